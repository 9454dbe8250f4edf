"""Public hints for the live unread badges on `/ws/notifications/`.

Counts are state, not deltas: a hint only tells connected sockets to re-read their counts from
the database and send a fresh snapshot. Hints are sent after the current transaction commits,
so a socket never sees a count the database does not yet hold. Any app may call these.
"""

from __future__ import annotations

from collections.abc import Iterable

from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer
from django.db import transaction

STAFF_INBOX_GROUP = "staff.inbox"
REFRESH_EVENT = {"type": "unread.refresh"}


def user_group(user_id: int) -> str:
    return f"user.{user_id}"


def _send(groups: list[str]) -> None:
    layer = get_channel_layer()
    if layer is None:
        return
    for group in groups:
        async_to_sync(layer.group_send)(group, dict(REFRESH_EVENT))


def notify_unread_changed(*, user_ids: Iterable[int]) -> None:
    """These users' unread counts may have changed: push them fresh snapshots after commit."""
    groups = sorted({user_group(user_id) for user_id in user_ids})
    if groups:
        transaction.on_commit(lambda: _send(groups))


def notify_staff_inbox_changed() -> None:
    """The staff inbox's unread count may have changed: every connected staff socket re-reads it."""
    transaction.on_commit(lambda: _send([STAFF_INBOX_GROUP]))
