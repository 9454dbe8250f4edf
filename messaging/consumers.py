"""The thread socket `/ws/messages/<id>/`: refused, or closed, while direct messaging is off.

The unread badge travels on `realtime`'s `/ws/notifications/` (messaging registers its badge there).
"""

from __future__ import annotations

import logging
import time
from typing import Any

from realtime.consumers import CLOSE_TRY_AGAIN, PushConsumer, signed_in
from realtime.db import database_read
from realtime.groups import BROADCAST_GROUP

from . import live, moderation_selectors, selectors
from .exceptions import NotAParticipant

logger = logging.getLogger(__name__)

CLOSE_NOT_FOUND = 4404
TYPING_RELAY_SECONDS = 1.0


class ThreadConsumer(PushConsumer):
    """One thread's live frames: `{"type": "message", "message": {...}}` (new),
    `{"type": "message_changed", "message": {...}}` (edited or deleted), `{"type": "seen", "message_id": n}`
    (the other side read up to n; only when both share read receipts) and `{"type": "typing", "name": ...}`."""

    async def connect(self) -> None:
        self.user = signed_in(self.scope)
        self.joined: list[str] = []
        self.last_typing = 0.0
        if self.user is None:
            await self.close()
            return
        self.thread_id = int(self.scope["url_route"]["kwargs"]["thread_id"])
        if not await database_read(selectors.thread_watchable)(user_id=self.user.pk, thread_id=self.thread_id):
            await self.close()
            return
        self.joined = [live.thread_group(self.thread_id), BROADCAST_GROUP]
        joined = await self.groups_join(self.joined)
        await self.accept()
        if not joined:  # the channel layer is down: the page reconnects with backoff and jitter
            await self.close(code=CLOSE_TRY_AGAIN)

    async def disconnect(self, code: int) -> None:
        await self.groups_leave(self.joined)

    async def receive_json(self, content: Any, **kwargs: Any) -> None:
        if not isinstance(content, dict) or content.get("type") != "typing":
            return
        now = time.monotonic()
        if now - self.last_typing < TYPING_RELAY_SECONDS:
            return
        self.last_typing = now
        # A member whose messaging is suspended can read live but not write, nor announce writing.
        if await database_read(moderation_selectors.suspension_in_force)(member_id=self.user.pk):
            return
        try:
            await self.channel_layer.group_send(
                live.thread_group(self.thread_id),
                {"type": "thread.typing", "name": self.user.name, "origin": self.channel_name},
            )
        except Exception as exc:  # a typing hint is not worth ending the socket for
            logger.warning("typing hint not relayed, channel layer unavailable: %s: %s", type(exc).__name__, exc)

    async def thread_typing(self, event: dict[str, Any]) -> None:
        if event.get("origin") != self.channel_name:
            await self.send_json({"type": "typing", "name": event["name"]})

    async def thread_message(self, event: dict[str, Any]) -> None:
        try:
            payload = await database_read(selectors.message_payload_for_user)(
                user_id=self.user.pk, message_id=event["message_id"]
            )
        except NotAParticipant:
            return
        await self.send_json({"type": "message", "message": payload})

    async def thread_changed(self, event: dict[str, Any]) -> None:
        """An edit or a delete: the message as it is now (a deleted one without its body)."""
        try:
            payload = await database_read(selectors.message_payload_for_user)(
                user_id=self.user.pk, message_id=event["message_id"]
            )
        except NotAParticipant:
            return
        await self.send_json({"type": "message_changed", "message": payload})

    async def thread_read(self, event: dict[str, Any]) -> None:
        """The other side read up to a message: "Seen", unless either of the two turned receipts off."""
        reader_id = event["reader_id"]
        if reader_id == self.user.pk:
            return
        if await database_read(selectors.receipts_visible)(viewer_id=self.user.pk, other_id=reader_id):
            await self.send_json({"type": "seen", "message_id": event["message_id"]})

    async def unread_refresh(self, event: dict[str, Any]) -> None:
        """The switch may have flipped: a thread socket does not outlive direct messaging."""
        if not await database_read(selectors.messaging_enabled)(fresh=True):
            await self.close(code=CLOSE_NOT_FOUND)
