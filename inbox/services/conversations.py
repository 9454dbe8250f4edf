"""Replying to a conversation (the other things staff do to one are in `actions`)."""

from __future__ import annotations

import uuid

from django.db import transaction
from django.utils import timezone

from accounts.models import User

from .. import live
from ..exceptions import NotInboxStaff, ReplyNotAllowed
from ..models import (
    AuthorKind,
    Conversation,
    ConversationEvent,
    ConversationStatus,
    DeliveryStatus,
    Direction,
    EventKind,
    InboxMessage,
    ReadState,
)
from .actions import event_record
from .outbound import outbound_message_queue


def _require_staff(user: User) -> None:
    if not user.is_inbox_staff:
        raise NotInboxStaff()


def _read_pointer_advance(*, conversation: Conversation, user: User) -> bool:
    """Move this staff member's read pointer to the newest inbound message; True when it moved."""
    newest = conversation.last_inbound_id
    if newest is None:
        return False
    moved = ReadState.objects.filter(conversation=conversation, user=user, last_read_message_id__lt=newest).update(
        last_read_message_id=newest, updated_at=timezone.now()
    )
    if moved:
        return True
    _, created = ReadState.objects.get_or_create(
        conversation=conversation, user=user, defaults={"last_read_message_id": newest}
    )
    return created


@transaction.atomic
def conversation_mark_read(*, conversation: Conversation, user: User) -> bool:
    """Opening a conversation reads it (for the team's count and for this staff member's own
    read pointer, which their badge counts); returns whether anything was unread."""
    _require_staff(user)
    changed = Conversation.objects.filter(pk=conversation.pk, unread_count__gt=0).update(
        unread_count=0, last_read_at=timezone.now()
    )
    if changed:
        conversation.unread_count = 0
        live.staff_inbox_changed()
    if _read_pointer_advance(conversation=conversation, user=user):
        live.staff_badge_refresh(user_id=user.pk)
    return bool(changed)


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


@transaction.atomic
def conversation_resolve(*, conversation: Conversation, user: User) -> bool:
    """Resolve from the list (the `e` key); audited. Returns False when it was resolved already."""
    _require_staff(user)
    locked = Conversation.objects.select_for_update().get(pk=conversation.pk)
    if locked.status == ConversationStatus.RESOLVED:
        return False
    now = timezone.now()
    event = ConversationEvent(conversation=locked, actor=user, kind=EventKind.STATUS, created_at=now)
    event.details = {"from": locked.status, "to": ConversationStatus.RESOLVED}
    locked.status, locked.snoozed_until, locked.status_changed_at = ConversationStatus.RESOLVED, None, now
    locked.save(update_fields=["status", "snoozed_until", "status_changed_at", "updated_at"])
    event.save()
    conversation.status = locked.status
    live.conversations_changed(conversation_ids=[locked.pk])
    live.staff_inbox_changed()  # resolved and not theirs: off every other staff member's badge
    return True
