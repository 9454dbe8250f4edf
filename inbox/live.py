"""The staff inbox on `/ws/notifications/`: its group, its badge's groups, its hints."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from realtime import push

STAFF_GROUP = "staff.inbox"
# `{"type": "conversation.changed", "conversation_id": n}` to every staff socket: the list refetches.
CONVERSATION_CHANGED = "conversation.changed"
CHANGED_EVENTS_MAX = 20


def staff_groups(*, user: Any) -> Sequence[str]:
    """Staff sockets join the inbox's group; everyone else's do not."""
    return [STAFF_GROUP] if getattr(user, "is_inbox_staff", False) else []


def staff_inbox_changed() -> None:
    """The staff inbox's unread count may have changed: every staff socket re-reads it after commit."""
    push.badges_refresh(groups=[STAFF_GROUP])


def staff_badge_refresh(*, user_id: int) -> None:
    """One staff member's own read state changed: only their sockets re-read the badge."""
    push.badges_refresh(user_ids=[user_id])


def conversations_changed(*, conversation_ids: Sequence[int]) -> None:
    """These conversations changed (a new message, status, assignment…): open lists refetch after commit."""
    ids = sorted(set(conversation_ids))
    if not ids:
        return
    if len(ids) > CHANGED_EVENTS_MAX:  # a big sync batch: one "refetch everything" is enough
        push.event_send(groups=[STAFF_GROUP], event=CONVERSATION_CHANGED, data={"conversation_id": None})
        return
    for conversation_id in ids:
        push.event_send(groups=[STAFF_GROUP], event=CONVERSATION_CHANGED, data={"conversation_id": conversation_id})


def conversation_group(conversation_id: int) -> str:
    """The sockets of everyone who has this conversation's page open (`/ws/inbox/<id>/`)."""
    return f"inbox.conversation.{conversation_id}"


def conversation_changed(*, conversation_id: int) -> None:
    """Something in this conversation changed (a message, note, delivery or team state): after commit,
    staff lists and the open pages refetch it. The event carries the id only."""
    push.event_send(
        groups=[STAFF_GROUP, conversation_group(conversation_id)],
        event=CONVERSATION_CHANGED,
        data={"conversation_id": conversation_id},
    )


def readers_changed(*, user_ids: Sequence[int]) -> None:
    """These staff members' read state (or what is "mine" for them) changed: only their badges re-read."""
    push.badges_refresh(user_ids=user_ids)


def conversation_pages_refresh(*, conversation_ids: Sequence[int]) -> None:
    """New messages in these conversations (a sync batch): their open pages refetch after commit. Lists
    hear it from `staff_inbox_changed`, once per batch rather than once per conversation."""
    push.events_send(
        event=CONVERSATION_CHANGED,
        data_by_group={conversation_group(c): {"conversation_id": c} for c in conversation_ids},
    )
