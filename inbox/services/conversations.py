"""Replying to a conversation (the other things staff do to one are in `actions`)."""

from __future__ import annotations

import uuid

from django.db import transaction

from accounts.models import User

from ..exceptions import NotInboxStaff, ReplyNotAllowed
from ..models import (
    AuthorKind,
    Conversation,
    DeliveryStatus,
    Direction,
    EventKind,
    InboxMessage,
)
from .actions import event_record
from .outbound import outbound_message_queue


def _require_staff(user: User) -> None:
    if not user.is_inbox_staff:
        raise NotInboxStaff()


def conversation_reply(
    *,
    conversation: Conversation,
    author: User,
    channel: str,
    body: str,
    subject: str = "",
    idempotency_key: str | None = None,
) -> InboxMessage:
    """Queue a staff reply (sent to ClubOS by a task after commit).

    Pages pass the key their form was rendered with, so a double submit queues one reply; without
    one, every call is a new reply.
    """
    _require_staff(author)
    key = idempotency_key or uuid.uuid4().hex
    with transaction.atomic():
        # The row lock serialises replies to one conversation: the key check below cannot race.
        locked = Conversation.objects.select_for_update().select_related("contact").get(pk=conversation.pk)
        existing = InboxMessage.objects.filter(idempotency_key=key, conversation=locked).first()
        message = outbound_message_queue(
            conversation=locked,
            channel=channel,
            body=body,
            subject=subject,
            author_kind=AuthorKind.STAFF,
            author=author,
            idempotency_key=key,
        )
        if existing is None:
            event_record(
                conversation=locked,
                actor=author,
                kind=EventKind.REPLIED,
                details={"message_id": message.pk, "channel": message.channel},
            )  # the conversation.changed push is outbound_message_queue's
    return message


def message_retry(*, conversation: Conversation, message_id: int, author: User) -> InboxMessage:
    """Send a failed reply again: a new queued message with the same text (the failed one stays, with its
    reason). Keyed by the failed message, so retrying it twice queues one new message."""
    _require_staff(author)
    failed = InboxMessage.objects.filter(
        pk=message_id, conversation=conversation, direction=Direction.OUTBOUND, delivery_status=DeliveryStatus.FAILED
    ).first()
    if failed is None:
        raise ReplyNotAllowed("Only a reply that failed can be sent again.")
    return conversation_reply(
        conversation=conversation,
        author=author,
        channel=failed.channel,
        body=failed.body,
        subject=failed.subject,
        idempotency_key=f"retry-{failed.pk}",
    )
