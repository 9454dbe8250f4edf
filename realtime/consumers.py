"""`/ws/notifications/`: the site-wide socket. It authenticates, joins groups, reads through selectors and pushes.

Frames: `{"type": "unread", <badge>: int | null, ...}` on connect and on every refresh hint (one key per
registered badge: `messages`, `inbox`); `{"type": <flag>, "enabled": bool}` when a registered flag
changed since the socket's last snapshot; `{"type": <topic>, ...}` for per-object events.
"""

from __future__ import annotations

import contextlib
from typing import Any

from channels.db import database_sync_to_async
from channels.generic.websocket import AsyncJsonWebsocketConsumer

from . import selectors

try:  # daphne's websocket library; other ASGI servers drop late sends silently
    from autobahn.exception import Disconnected as ClientGone
except ImportError:  # pragma: no cover
    ClientGone = ConnectionError  # type: ignore[assignment,misc]


def signed_in(scope: dict[str, Any]) -> Any:
    user = scope.get("user")
    return user if user is not None and user.is_authenticated else None


class PushConsumer(AsyncJsonWebsocketConsumer):
    """Base of every socket of the project: garbage frames are ignored, late pushes are dropped."""

    async def receive(self, text_data: str | None = None, bytes_data: bytes | None = None, **kwargs: Any) -> None:
        """Frames that are not JSON text are dropped: a client's garbage must not end its own socket."""
        if not text_data:
            return
        try:
            content = await self.decode_json(text_data)
        except ValueError:
            return
        await self.receive_json(content, **kwargs)

    async def send_json(self, content: Any, close: bool = False) -> None:
        # The browser may leave while a push is on its way (a page change): nothing to deliver then.
        with contextlib.suppress(ClientGone):
            await super().send_json(content, close)


class NotificationsConsumer(PushConsumer):
    async def connect(self) -> None:
        self.user = signed_in(self.scope)
        self.joined: list[str] = []
        self.flags: dict[str, bool] | None = None
        if self.user is None:
            await self.close()
            return
        self.joined = await database_sync_to_async(selectors.notification_groups)(user=self.user)
        for group in self.joined:
            await self.channel_layer.group_add(group, self.channel_name)
        await self.accept()
        await self._send_snapshot()

    async def disconnect(self, code: int) -> None:
        for group in self.joined:
            await self.channel_layer.group_discard(group, self.channel_name)

    async def receive_json(self, content: Any, **kwargs: Any) -> None:
        """Clients only listen; anything they send is ignored."""

    async def unread_refresh(self, event: dict[str, Any]) -> None:
        await self._send_snapshot()

    async def realtime_event(self, event: dict[str, Any]) -> None:
        await self.send_json({**event["data"], "type": event["event"]})

    async def _send_snapshot(self) -> None:
        snapshot, flags = await database_sync_to_async(selectors.notifications_state)(user=self.user)
        await self.send_json(snapshot)
        if self.flags is not None:
            for name, enabled in flags.items():
                if self.flags.get(name) != enabled:
                    # Lets open pages show or hide a feature's links without a reload.
                    await self.send_json({"type": name, "enabled": enabled})
        self.flags = flags
