"""Websocket consumers: they authenticate, join groups, read through selectors and push.

`/ws/notifications/` (NotificationsConsumer) is not a direct-message socket: it also carries the
staff inbox count, so it stays open while direct messaging is off and then reports 0 messages.
`/ws/messages/<id>/` (ThreadConsumer) is: refused, or closed, while direct messaging is off.
"""

from __future__ import annotations

import contextlib
import time
from typing import Any

from channels.db import database_sync_to_async
from channels.generic.websocket import AsyncJsonWebsocketConsumer

from . import realtime, selectors
from .exceptions import NotAParticipant

try:  # daphne's websocket library; other ASGI servers drop late sends silently
    from autobahn.exception import Disconnected as ClientGone
except ImportError:  # pragma: no cover
    ClientGone = ConnectionError  # type: ignore[assignment,misc]

CLOSE_NOT_FOUND = 4404
TYPING_RELAY_SECONDS = 1.0


def _signed_in(scope: dict[str, Any]) -> Any:
    user = scope.get("user")
    return user if user is not None and user.is_authenticated else None


class PushConsumer(AsyncJsonWebsocketConsumer):
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
    """Sends `{"type": "unread", "messages": int, "inbox": int | null}` on connect and on every hint."""

    async def connect(self) -> None:
        self.user = _signed_in(self.scope)
        self.joined: list[str] = []
        self.enabled: bool | None = None
        if self.user is None:
            await self.close()
            return
        self.joined = [realtime.user_group(self.user.pk), realtime.BROADCAST_GROUP]
        if self.user.is_inbox_staff:
            self.joined.append(realtime.STAFF_INBOX_GROUP)
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

    async def _send_snapshot(self) -> None:
        snapshot, enabled = await database_sync_to_async(selectors.notifications_state)(user=self.user)
        await self.send_json(snapshot)
        if self.enabled is not None and enabled != self.enabled:
            # Lets open pages show or hide the Messages link without a reload.
            await self.send_json({"type": "messaging", "enabled": enabled})
        self.enabled = enabled


class ThreadConsumer(PushConsumer):
    """New messages (`{"type": "message", "message": {...}}`) and typing hints for one thread."""

    async def connect(self) -> None:
        self.user = _signed_in(self.scope)
        self.joined: list[str] = []
        self.last_typing = 0.0
        if self.user is None:
            await self.close()
            return
        self.thread_id = int(self.scope["url_route"]["kwargs"]["thread_id"])
        if not await database_sync_to_async(selectors.thread_watchable)(user_id=self.user.pk, thread_id=self.thread_id):
            await self.close()
            return
        self.joined = [realtime.thread_group(self.thread_id), realtime.BROADCAST_GROUP]
        for group in self.joined:
            await self.channel_layer.group_add(group, self.channel_name)
        await self.accept()

    async def disconnect(self, code: int) -> None:
        for group in self.joined:
            await self.channel_layer.group_discard(group, self.channel_name)

    async def receive_json(self, content: Any, **kwargs: Any) -> None:
        if not isinstance(content, dict) or content.get("type") != "typing":
            return
        now = time.monotonic()
        if now - self.last_typing < TYPING_RELAY_SECONDS:
            return
        self.last_typing = now
        await self.channel_layer.group_send(
            realtime.thread_group(self.thread_id),
            {"type": "thread.typing", "name": self.user.name, "origin": self.channel_name},
        )

    async def thread_typing(self, event: dict[str, Any]) -> None:
        if event.get("origin") != self.channel_name:
            await self.send_json({"type": "typing", "name": event["name"]})

    async def thread_message(self, event: dict[str, Any]) -> None:
        try:
            payload = await database_sync_to_async(selectors.message_payload_for_user)(
                user_id=self.user.pk, message_id=event["message_id"]
            )
        except NotAParticipant:
            return
        await self.send_json({"type": "message", "message": payload})

    async def unread_refresh(self, event: dict[str, Any]) -> None:
        """The switch may have flipped: a thread socket does not outlive direct messaging."""
        if not await database_sync_to_async(selectors.messaging_enabled)(fresh=True):
            await self.close(code=CLOSE_NOT_FOUND)
