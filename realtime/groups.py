"""Channel-layer groups the notifications socket joins for everyone (apps name their own groups)."""

from __future__ import annotations

# Every `/ws/notifications/` socket (and any app socket that wants it) joins it: global state changed.
BROADCAST_GROUP = "notifications.all"


def user_group(user_id: int) -> str:
    return f"user.{user_id}"
