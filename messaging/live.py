"""The thread socket's groups and hints (the badge hints go through `realtime.push`)."""

from __future__ import annotations

from realtime import push

THREAD_MESSAGE_EVENT = "thread.message"


def thread_group(thread_id: int) -> str:
    return f"thread.{thread_id}"


def thread_message_announce(*, thread_id: int, message_id: int) -> None:
    """A message was posted: sockets watching the thread fetch it by id after commit."""
    push.group_send_on_commit(
        groups=[thread_group(thread_id)], message={"type": THREAD_MESSAGE_EVENT, "message_id": message_id}
    )


THREAD_CHANGED_EVENT = "thread.changed"
THREAD_READ_EVENT = "thread.read"


def thread_message_changed(*, thread_id: int, message_id: int) -> None:
    """A message was edited or deleted: sockets watching the thread re-fetch it by id after commit."""
    push.group_send_on_commit(
        groups=[thread_group(thread_id)], message={"type": THREAD_CHANGED_EVENT, "message_id": message_id}
    )


def thread_read_announce(*, thread_id: int, reader_id: int, message_id: int) -> None:
    """`reader_id` has read up to `message_id`: the other side's sockets may show "Seen" after commit."""
    push.group_send_on_commit(
        groups=[thread_group(thread_id)],
        message={"type": THREAD_READ_EVENT, "reader_id": reader_id, "message_id": message_id},
    )
