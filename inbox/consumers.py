"""The conversation socket `/ws/inbox/<id>/`: one open conversation page's live frames, staff only.

Frames: `{"type": "conversation.changed", "conversation_id": n}` (something in it changed: the page
refetches its timeline and state) and `{"type": "typing", "user_id": n, "name": "Sam"}` (another staff
member is writing a reply: the collision warning; the page lets it expire). Pages send
`{"type": "typing"}` while their reply box is being written in; relayed at most once a second.
Closes: 4403 not signed in as inbox staff, 4404 no such conversation, 4503 the database or the
channel layer is unavailable (the page retries with backoff).
"""

from __future__ import annotations

import logging
import time
from typing import Any

from django.db import DatabaseError

from realtime.consumers import CLOSE_TRY_AGAIN, PushConsumer, signed_in
from realtime.db import database_read

from . import live, selectors

logger = logging.getLogger(__name__)

CLOSE_FORBIDDEN = 4403
CLOSE_NOT_FOUND = 4404
TYPING_RELAY_SECONDS = 1.0


class ConversationConsumer(PushConsumer):
    async def connect(self) -> None:
        self.user = signed_in(self.scope)
        self.joined: list[str] = []
        self.last_typing = 0.0
        if self.user is None or not self.user.is_inbox_staff:
            await self._refuse(CLOSE_FORBIDDEN)
            return
        self.conversation_id = int(self.scope["url_route"]["kwargs"]["conversation_id"])
        try:
            exists = await database_read(selectors.conversation_exists)(conversation_id=self.conversation_id)
        except DatabaseError:  # PostgreSQL is down: the page retries with backoff
            await self._refuse(CLOSE_TRY_AGAIN)
            return
        if not exists:
            await self._refuse(CLOSE_NOT_FOUND)
            return
        # In the group before the handshake completes: nothing sent right after it is missed.
        self.joined = [live.conversation_group(self.conversation_id)]
        joined = await self.groups_join(self.joined)
        await self.accept()
        if not joined:  # the channel layer is down: the page reconnects with backoff
            await self.close(code=CLOSE_TRY_AGAIN)

    async def _refuse(self, code: int) -> None:
        """Accepted only to close with a code the page can read (a refused handshake has none)."""
        await self.accept()
        await self.close(code=code)

    async def disconnect(self, code: int) -> None:
        await self.groups_leave(self.joined)

    async def receive_json(self, content: Any, **kwargs: Any) -> None:
        if not self.joined or not isinstance(content, dict) or content.get("type") != "typing":
            return
        now = time.monotonic()
        if now - self.last_typing < TYPING_RELAY_SECONDS:
            return
        self.last_typing = now
        try:
            await self.channel_layer.group_send(
                live.conversation_group(self.conversation_id),
                {
                    "type": "conversation.typing",
                    "user_id": self.user.pk,
                    "name": self.user.name,
                    "origin": self.channel_name,
                },
            )
        except Exception as exc:  # a typing hint is not worth ending the socket for
            logger.warning("typing hint not relayed, channel layer unavailable: %s: %s", type(exc).__name__, exc)

    async def conversation_typing(self, event: dict[str, Any]) -> None:
        if event.get("origin") != self.channel_name and event.get("user_id") != self.user.pk:
            await self.send_json({"type": "typing", "user_id": event["user_id"], "name": event["name"]})

    async def realtime_event(self, event: dict[str, Any]) -> None:
        await self.send_json({**event["data"], "type": event["event"]})
