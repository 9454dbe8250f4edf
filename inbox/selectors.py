"""Reads of the staff inbox."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.db import models
from django.db.models import Exists, OuterRef, Q, QuerySet
from django.db.models.functions import Lower

from accounts.models import User
from core.timefmt import club_time_format

from .exceptions import ConversationNotFound, StaffMemberNotFound
from .models import (
    Conversation,
    ConversationEvent,
    ConversationStatus,
    EventKind,
    InboxMessage,
    Label,
    Note,
    Priority,
    ReadState,
    SavedReply,
)


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


def conversation_exists(*, conversation_id: int) -> bool:
    if not 0 < conversation_id < 2**63:  # the URL takes any digits; the database takes 64-bit ids
        return False
    return Conversation.objects.filter(pk=conversation_id).exists()


def conversation_get(*, conversation_id: int) -> Conversation:
    conversation = (
        Conversation.objects.select_related("contact", "contact__user", "assignee").filter(pk=conversation_id).first()
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

    @property
    def summary(self) -> str:
        return event_summary(self.obj) if self.kind == "event" else ""


def _display(choices: type[models.TextChoices], value: Any) -> str:
    return str(choices(value).label) if value in choices.values else str(value)


def event_summary(event: ConversationEvent) -> str:
    """One line for the timeline: "Sam assigned it to Alex", "Status: Open → Resolved" (plain text)."""
    who = event.actor.name if event.actor is not None else "Clubroom"
    details = event.details
    if event.kind == EventKind.ASSIGNED:
        return f"{who} assigned it to {details['to_name']}" if details.get("to") else f"{who} unassigned it"
    if event.kind == EventKind.LABELLED:
        labels = ", ".join(details.get("to") or []) or "none"
        return f"{who} set the labels: {labels}"
    if event.kind == EventKind.PRIORITY:
        before, after = _display(Priority, details.get("from")), _display(Priority, details.get("to"))
        return f"{who} changed the priority: {before} → {after}"
    if event.kind == EventKind.STATUS:
        before, after = (
            _display(ConversationStatus, details.get("from")),
            _display(ConversationStatus, details.get("to")),
        )
        reason = f" ({details['reason']})" if details.get("reason") else ""
        return f"{who} changed the status: {before} → {after}{reason}"
    if event.kind == EventKind.SNOOZED:
        until = details.get("until")
        when = club_time_format(datetime.fromisoformat(until)) if until else "later"
        return f"{who} snoozed it until {when}"
    return f"{who}: {event.get_kind_display().lower()}"


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
    return Label.objects.order_by(Lower("name"), "pk")


def labels_with_selection(*, conversation: Conversation) -> QuerySet[Label]:
    """Every label, each with `selected`: whether it is on this conversation (one query)."""
    on_it = Conversation.labels.through.objects.filter(conversation_id=conversation.pk, label_id=OuterRef("pk"))
    return Label.objects.annotate(selected=Exists(on_it)).order_by(Lower("name"), "pk")


def assignable_staff() -> QuerySet[User]:
    return User.objects.inbox_staff().order_by("first_name", "username")


def staff_member_get(*, user_id: int) -> User:
    """An active staff member someone may assign a conversation to."""
    user = User.objects.inbox_staff().filter(pk=user_id).first()
    if user is None:
        raise StaffMemberNotFound()
    return user


def saved_replies_list() -> QuerySet[SavedReply]:
    return SavedReply.objects.order_by("title", "pk")


PLACEHOLDER = re.compile(r"\{(first_name|last_name|name)\}")


def saved_reply_fill(*, body: str, conversation: Conversation) -> str:
    """A saved reply's text with `{first_name}`, `{last_name}` and `{name}` filled in for
    this conversation's member (unknown placeholders are left as written).

    Stands in for i11b's `inbox.services.saved_replies.saved_reply_render` until that lands.
    """
    contact = conversation.contact
    user = contact.user
    full = contact.display_name.strip()
    first = (user.first_name if user is not None and user.first_name else full.split(" ")[0]) if full else ""
    last = (user.last_name if user is not None and user.last_name else " ".join(full.split(" ")[1:])) if full else ""
    values = {"first_name": first, "last_name": last, "name": full}
    return PLACEHOLDER.sub(lambda match: values[match.group(1)] or "there", body)


def saved_replies_for(*, conversation: Conversation) -> list[tuple[SavedReply, str]]:
    """Each saved reply with its text filled in for this member (one query)."""
    return [(reply, saved_reply_fill(body=reply.body, conversation=conversation)) for reply in saved_replies_list()]
