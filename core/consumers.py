"""The websocket route of last resort: an unknown path is a socket closed with 4404, not a 500."""

from __future__ import annotations

from channels.generic.websocket import AsyncWebsocketConsumer

CLOSE_NOT_FOUND = 4404


class NotFoundConsumer(AsyncWebsocketConsumer):
    """Accepts only to close with a code the client can read (a refused handshake carries none)."""

    async def connect(self) -> None:
        await self.accept()
        await self.close(code=CLOSE_NOT_FOUND)
