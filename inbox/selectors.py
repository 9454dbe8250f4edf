"""Reads of the staff inbox."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet

from .exceptions import ConversationNotFound
from .models import Conversation, InboxMessage


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
    conversation = Conversation.objects.select_related("contact", "contact__user").filter(pk=conversation_id).first()
    if conversation is None:
        raise ConversationNotFound()
    return conversation


def conversation_messages(*, conversation: Conversation) -> QuerySet[InboxMessage]:
    """Oldest first, as a conversation reads."""
    return InboxMessage.objects.filter(conversation=conversation).select_related("author").order_by("sent_at", "pk")
