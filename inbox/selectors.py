"""Reads of the staff inbox."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.db.models import Q, QuerySet

from accounts.models import User

from .exceptions import ConversationNotFound
from .models import Conversation, ConversationEvent, EventKind, InboxMessage, Label, Note, ReadState, SavedReply


def staff_unread_count(*, user: Any) -> int | None:
    """Conversations with unread inbound messages, for staff; None for anyone else (one indexed COUNT)."""
    if not getattr(user, "is_authenticated", False) or not user.is_inbox_staff:
        return None
    return Conversation.objects.with_unread().count()


def conversation_list(*, status: str = "") -> QuerySet[Conversation]:
    """Conversations latest first, with what the list page shows in the same query."""
    conversations = Conversation.objects.select_related("contact", "contact__user", "assignee").latest_first()
    if status:
        conversations = conversations.filter(status=status)
    return conversations


def conversation_get(*, conversation_id: int) -> Conversation:
    conversation = (
        Conversation.objects.select_related("contact", "contact__user", "assignee")
        .prefetch_related("labels")
        .filter(pk=conversation_id)
        .first()
    )
    if conversation is None:
        raise ConversationNotFound()
    return conversation


def conversation_messages(*, conversation: Conversation) -> QuerySet[InboxMessage]:
    """Oldest first, as a conversation reads."""
    return InboxMessage.objects.filter(conversation=conversation).select_related("author").order_by("sent_at", "pk")


def conversations_mentioning(*, user: Any) -> QuerySet[Conversation]:
    """Conversations with a note that @mentions this staff member (the list's "mine" adds these to the
    assigned ones; filter by status on top). One subquery, chainable."""
    return Conversation.objects.filter(pk__in=Note.objects.filter(mentions=user).values("conversation_id"))


@dataclass(frozen=True)
class TimelineItem:
    """One row of the conversation page's timeline: a message, a note or an audit event."""

    kind: str  # "message" | "note" | "event"
    at: datetime
    obj: Any

    @property
    def key(self) -> str:
        return f"{self.kind}-{self.obj.pk}"


# Read and unread are one staff member's own business: the shared timeline leaves them out.
PRIVATE_EVENTS = (EventKind.READ, EventKind.UNREAD)
_ORDER = {"message": 0, "note": 1, "event": 2}


def conversation_timeline(*, conversation: Conversation) -> list[TimelineItem]:
    """Messages, notes and team events, oldest first (three queries, merged in Python)."""
    messages = conversation_messages(conversation=conversation)
    notes = Note.objects.filter(conversation=conversation).select_related("author").prefetch_related("mentions")
    events = (
        ConversationEvent.objects.filter(conversation=conversation)
        .exclude(kind__in=PRIVATE_EVENTS)
        .exclude(kind__in=[EventKind.REPLIED, EventKind.NOTED])  # the message or note itself shows them
        .select_related("actor")
    )
    items = [
        *(TimelineItem("message", message.sent_at, message) for message in messages),
        *(TimelineItem("note", note.created_at, note) for note in notes),
        *(TimelineItem("event", event.created_at, event) for event in events),
    ]
    items.sort(key=lambda item: (item.at, _ORDER[item.kind], item.obj.pk))
    return items


def conversation_events(*, conversation: Conversation) -> QuerySet[ConversationEvent]:
    """The whole audit trail (the API's), oldest first."""
    return (
        ConversationEvent.objects.filter(conversation=conversation).select_related("actor").order_by("created_at", "pk")
    )


def conversation_notes(*, conversation: Conversation) -> QuerySet[Note]:
    return Note.objects.filter(conversation=conversation).select_related("author").prefetch_related("mentions")


def read_pointer(*, conversation: Conversation, user: Any) -> int:
    """How far this staff member has read (0: nothing)."""
    state = ReadState.objects.filter(conversation=conversation, user=user).values_list(
        "last_read_message_id", flat=True
    )
    return state.first() or 0


def conversation_others(*, conversation: Conversation) -> QuerySet[Conversation]:
    """Other conversations of the same person: the same linked account, email or phone."""
    contact = conversation.contact
    same = Q()
    if contact.user_id is not None:
        same |= Q(contact__user_id=contact.user_id)
    if contact.email:
        same |= Q(contact__email__iexact=contact.email)
    if contact.phone:
        same |= Q(contact__phone=contact.phone)
    if not same:
        return Conversation.objects.none()
    return Conversation.objects.filter(same).exclude(pk=conversation.pk).select_related("contact").latest_first()


def labels_list() -> QuerySet[Label]:
    return Label.objects.order_by("name", "pk")


def assignable_staff() -> QuerySet[User]:
    return User.objects.inbox_staff().order_by("first_name", "username")


def saved_replies_list() -> QuerySet[SavedReply]:
    return SavedReply.objects.order_by("title", "pk")
