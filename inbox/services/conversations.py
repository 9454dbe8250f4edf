"""What staff do with a conversation: read it, reply to it (later: assign, resolve, reopen)."""

from __future__ import annotations

import uuid

from django.db import transaction
from django.utils import timezone

from accounts.models import User

from .. import live
from ..exceptions import NotInboxStaff
from ..models import AuthorKind, Conversation, InboxMessage
from .outbound import outbound_message_queue


def _require_staff(user: User) -> None:
    if not user.is_inbox_staff:
        raise NotInboxStaff()


@transaction.atomic
def conversation_mark_read(*, conversation: Conversation, user: User) -> bool:
    """Opening a conversation reads it; returns whether anything was unread."""
    _require_staff(user)
    changed = Conversation.objects.filter(pk=conversation.pk, unread_count__gt=0).update(
        unread_count=0, last_read_at=timezone.now()
    )
    if changed:
        conversation.unread_count = 0
        live.staff_inbox_changed()
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
    return outbound_message_queue(
        conversation=conversation,
        channel=channel,
        body=body,
        subject=subject,
        author_kind=AuthorKind.STAFF,
        author=author,
        idempotency_key=idempotency_key or uuid.uuid4().hex,
    )
