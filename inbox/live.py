"""The staff inbox on `/ws/notifications/`: its group, its badge's groups, its hints."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from realtime import push

STAFF_GROUP = "staff.inbox"


def staff_groups(*, user: Any) -> Sequence[str]:
    """Staff sockets join the inbox's group; everyone else's do not."""
    return [STAFF_GROUP] if getattr(user, "is_inbox_staff", False) else []


def staff_inbox_changed() -> None:
    """The staff inbox's unread count may have changed: every staff socket re-reads it after commit."""
    push.badges_refresh(groups=[STAFF_GROUP])
