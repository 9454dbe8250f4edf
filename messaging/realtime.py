"""Public hints for the live unread badges on `/ws/notifications/`.

Counts are state, not deltas: a hint only tells connected sockets to re-read their counts from
the database and send a fresh snapshot. Hints are sent after the current transaction commits,
so a socket never sees a count the database does not yet hold. Any app may call these.
Hints are best effort (robust on_commit): a channel layer outage is logged, never turned into an
error for a write that already committed; clients re-read the truth when they reconnect.
"""

from __future__ import annotations

from collections.abc import Iterable

from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer
from django.db import transaction

STAFF_INBOX_GROUP = "staff.inbox"
# Every `/ws/notifications/` and thread socket joins it: the admin switch re-reads everyone.
BROADCAST_GROUP = "notifications.all"
REFRESH_EVENT = {"type": "unread.refresh"}
THREAD_MESSAGE_EVENT = "thread.message"


def user_group(user_id: int) -> str:
    return f"user.{user_id}"


def thread_group(thread_id: int) -> str:
    return f"thread.{thread_id}"


def _send(groups: list[str], event: dict[str, object] | None = None) -> None:
    layer = get_channel_layer()
    if layer is None:
        return
    for group in groups:
        async_to_sync(layer.group_send)(group, dict(event or REFRESH_EVENT))


def notify_unread_changed(*, user_ids: Iterable[int]) -> None:
    """These users' unread counts may have changed: push them fresh snapshots after commit."""
    groups = sorted({user_group(user_id) for user_id in user_ids})
    if groups:
        transaction.on_commit(lambda: _send(groups), robust=True)


def notify_staff_inbox_changed() -> None:
    """The staff inbox's unread count may have changed: every connected staff socket re-reads it."""
    transaction.on_commit(lambda: _send([STAFF_INBOX_GROUP]), robust=True)


def notify_everyone() -> None:
    """Something global changed (the direct-messaging switch): every socket re-reads its state."""
    transaction.on_commit(lambda: _send([BROADCAST_GROUP]), robust=True)


def notify_thread_message(*, thread_id: int, message_id: int) -> None:
    """A message was posted: sockets watching the thread fetch it by id after commit."""
    event = {"type": THREAD_MESSAGE_EVENT, "message_id": message_id}
    transaction.on_commit(lambda: _send([thread_group(thread_id)], event), robust=True)
