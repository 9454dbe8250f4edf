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
