"""The one outbound path: every message the club sends a member is queued here and delivered here.

`outbound_message_queue` validates, stores the message `queued` under the caller's idempotency key
and, once the transaction commits, hands its id to the delivery task. Staff replies, the AI agent
and system messages all go through it; the same key twice returns the stored message, never a
second send.

`outbound_message_deliver` is the delivery state machine the task runs:
queued → sending → sent | queued again (temporary error, retried later) | failed.
ClubOS itself is one call (`clubos_message_deliver`) that answers sent / refused / uncertain; an
integration source's conversation is delivered by `source_message_deliver`, answering the same way.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone

from clubos.services.delivery import (
    SendStatus,
    clubos_message_deliver,
    send_attempt_lease_seconds,
    send_max_attempts,
    send_uncertain_wait_seconds,
)
from clubos.services.matching import normalize_text
from core.nudge import task_nudge
from core.validators import CONTROL_CHARACTERS_MESSAGE, has_control_characters

from .. import app_settings, live
from ..exceptions import ReplyNotAllowed
from ..models import (
    CLUBOS_SOURCE,
    AuthorKind,
    Channel,
    Conversation,
    DeliveryStatus,
    Direction,
    InboxMessage,
    message_preview,
)
from .sources import source_external_contact_id, source_message_deliver

BODY_MAX_LENGTH = 5000
SMS_MAX_LENGTH = 1600  # what ClubOS accepts for one text
SUBJECT_MAX_LENGTH = 200
IDEMPOTENCY_KEY_MAX_LENGTH = 64
# Queued by name: the task module imports this one, never the other way round.
DELIVERY_TASK = "inbox.tasks.send_outbound_message"
NO_CLUBOS_CONTACT = "ClubOS did not recognise this sender, so there is no one to reply to."
NO_SOURCE_CONTACT = "This contact did not come from the conversation's source, so there is no one to reply to."


def _unreachable_reason(conversation: Conversation) -> str | None:
    """Why replies to this conversation have nowhere to go (None: they do)."""
    contact = conversation.contact
    if conversation.source == CLUBOS_SOURCE:
        return NO_CLUBOS_CONTACT if contact.clubos_id is None else None
    if source_external_contact_id(contact=contact, slug=conversation.source) is None:
        return NO_SOURCE_CONTACT
    return None


def _cleaned(*, channel: str, body: str, subject: str) -> tuple[str, str]:
    body, subject = body.strip(), " ".join(subject.split())
    if channel not in Channel.values:
        raise ReplyNotAllowed("Choose SMS or email.")
    if not body:
        raise ReplyNotAllowed("Write a message first.")
    if has_control_characters(body) or has_control_characters(subject):
        raise ReplyNotAllowed(CONTROL_CHARACTERS_MESSAGE)
    if len(body) > BODY_MAX_LENGTH:
        raise ReplyNotAllowed(f"A message can be at most {BODY_MAX_LENGTH} characters.")
    if channel == Channel.SMS and len(body) > SMS_MAX_LENGTH:
        raise ReplyNotAllowed(f"A text can be at most {SMS_MAX_LENGTH} characters; send an email instead.")
    if channel == Channel.EMAIL and not subject:
        raise ReplyNotAllowed("An email needs a subject.")
    if len(subject) > SUBJECT_MAX_LENGTH:
        raise ReplyNotAllowed(f"A subject can be at most {SUBJECT_MAX_LENGTH} characters.")
    return body, subject if channel == Channel.EMAIL else ""


def _existing(*, idempotency_key: str, conversation: Conversation) -> InboxMessage | None:
    message = InboxMessage.objects.filter(idempotency_key=idempotency_key).first()
    if message is not None and message.conversation_id != conversation.pk:
        raise ReplyNotAllowed("This idempotency key already belongs to a message in another conversation.")
    return message


logger = logging.getLogger(__name__)


def _delivery_queue(message_id: int) -> None:
    """The nudge: best effort (the row is the truth; outbound_sweep re-queues a lost one)."""
    task_nudge(DELIVERY_TASK, message_id)


@transaction.atomic
def outbound_message_queue(
    *,
    conversation: Conversation,
    channel: str,
    body: str,
    subject: str = "",
    author_kind: str,
    author: Any = None,
    idempotency_key: str,
) -> InboxMessage:
    """Queue one message to the conversation's member; it is delivered by a task after commit.

    `author_kind` is staff, AI or system (`author` the staff user, if any). `idempotency_key`
    (at most 64 characters) names this send for the caller: calling again with the same key
    returns the message stored the first time and queues nothing. Raises ReplyNotAllowed with a
    message fit to show when the input or the contact cannot be sent to.
    """
    if not idempotency_key or len(idempotency_key) > IDEMPOTENCY_KEY_MAX_LENGTH:
        raise ReplyNotAllowed(f"An idempotency key of 1 to {IDEMPOTENCY_KEY_MAX_LENGTH} characters is required.")
    if author_kind not in AuthorKind.values or author_kind == AuthorKind.MEMBER:
        raise ReplyNotAllowed("An outbound message is written by staff, the AI agent or the system.")
    existing = _existing(idempotency_key=idempotency_key, conversation=conversation)
    if existing is not None:
        return existing
    body, subject = _cleaned(channel=channel, body=body, subject=subject)
    unreachable = _unreachable_reason(conversation)
    if unreachable is not None:
        raise ReplyNotAllowed(unreachable)
    now = timezone.now()
    message = InboxMessage(
        conversation=conversation,
        direction=Direction.OUTBOUND,
        channel=channel,
        author_kind=author_kind,
        author=author,
        subject=subject,
        body=body,
        sent_at=now,
        delivery_status=DeliveryStatus.QUEUED,
        idempotency_key=idempotency_key,
        next_attempt_at=now,
        nudged_at=now,
    )
    # The key's uniqueness is the database's job (below): a check here would race a concurrent caller.
    message.full_clean(validate_unique=False, validate_constraints=False)
    try:
        with transaction.atomic():  # a concurrent call with the same key wins the unique constraint
            message.save()
    except IntegrityError:
        raced = _existing(idempotency_key=idempotency_key, conversation=conversation)
        if raced is None:
            raise
        return raced
    Conversation.objects.filter(pk=conversation.pk).update(
        last_message_at=now, last_message_preview=message_preview(body), last_message_channel=channel, updated_at=now
    )
    live.conversation_changed(conversation_id=conversation.pk)  # open lists move it to the top; open pages show it
    message_id = message.pk
    transaction.on_commit(lambda: _delivery_queue(message_id))
    return message


# --- Delivery --------------------------------------------------------------------------------------------


WAITING = "waiting"  # not due yet: an uncertain attempt's follow-up waits for a slow ClubOS


@dataclass(frozen=True)
class DeliveryOutcome:
    status: str  # a DeliveryStatus value, or "in-progress" / "missing" / "waiting"
    retry_in: float | None = None  # seconds: the caller should try again then


def _delivery_update(message: InboxMessage, **fields: object) -> None:
    # Guarded by the attempt number: a stale worker never overwrites a newer attempt's outcome.
    updated = InboxMessage.objects.filter(
        pk=message.pk, delivery_status=DeliveryStatus.SENDING, attempts=message.attempts
    ).update(**fields)
    if updated:  # open conversation pages show the delivery state live
        live.conversation_changed(conversation_id=message.conversation_id)


def _delivery_start(message_id: int) -> tuple[InboxMessage | None, DeliveryOutcome | None, datetime | None]:
    """Lock the row and mark it `sending` (attempt counted) before any HTTP call."""
    now = timezone.now()
    lease_floor = now - timedelta(seconds=send_attempt_lease_seconds())
    with transaction.atomic():
        message = (
            InboxMessage.objects.select_for_update()
            .select_related("conversation__contact")
            .filter(pk=message_id, direction=Direction.OUTBOUND)
            .first()
        )
        if message is None:
            return None, DeliveryOutcome("missing"), None
        if message.delivery_status in (DeliveryStatus.SENT, DeliveryStatus.FAILED):
            return None, DeliveryOutcome(message.delivery_status), None
        started = message.attempt_started_at
        if message.delivery_status == DeliveryStatus.SENDING and started is not None and started > lease_floor:
            return None, DeliveryOutcome("in-progress"), None
        # Only an attempt whose outcome is unknown may have texted already (see delivery_uncertain).
        uncertain_since = started if message.attempts and message.delivery_uncertain else None
        due = message.next_attempt_at
        if (
            uncertain_since is not None
            and message.delivery_status == DeliveryStatus.QUEUED
            and due is not None
            and due > now
        ):
            # A slow ClubOS may still be saving that attempt: looking at its history now could miss it
            # and text twice. Early tasks (a duplicate, a sweep, an eager retry) wait for the due time.
            return None, DeliveryOutcome(WAITING, retry_in=(due - now).total_seconds()), None
        if message.attempts >= send_max_attempts():
            # Only an interrupted last attempt gets here (`sending` past its lease): no attempts left.
            reason = f"Attempt {message.attempts} was interrupted (the worker stopped) and no attempts are left"
            InboxMessage.objects.filter(pk=message.pk).update(
                delivery_status=DeliveryStatus.FAILED, failure_reason=reason, delivery_uncertain=True
            )
            return None, DeliveryOutcome(DeliveryStatus.FAILED), None
        message.delivery_status = DeliveryStatus.SENDING
        message.attempts += 1
        message.attempt_started_at = now
        message.delivery_uncertain = True  # until ClubOS answers either way
        message.save(update_fields=["delivery_status", "attempts", "attempt_started_at", "delivery_uncertain"])
    return message, None, uncertain_since


def outbound_message_deliver(*, message_id: int) -> DeliveryOutcome:
    """Send one queued message to ClubOS (or, for a source's conversation, to the source's callback URL),
    at most once, whatever retries or duplicate tasks happen.

    A row still `sending` within its lease belongs to another worker; after the lease, or on any
    later attempt whose predecessor's outcome is unknown, ClubOS's history is checked before
    sending again (inside `clubos_message_deliver`).
    """
    message, done, uncertain_since = _delivery_start(message_id)
    if done is not None or message is None:
        return done or DeliveryOutcome("missing")
    conversation = message.conversation
    unreachable = _unreachable_reason(conversation)
    if unreachable is not None:
        _delivery_update(
            message, delivery_status=DeliveryStatus.FAILED, failure_reason=unreachable, delivery_uncertain=False
        )
        return DeliveryOutcome(DeliveryStatus.FAILED)
    from_source = conversation.source != CLUBOS_SOURCE
    try:
        if from_source:
            # The source dedupes by our idempotency key: no history to check before a repeat.
            outcome = source_message_deliver(message=message, attempt=message.attempts)
        else:
            outcome = clubos_message_deliver(
                member_id=conversation.contact.clubos_id,  # type: ignore[arg-type]
                channel=message.channel,
                body=message.body,
                subject=message.subject,
                attempt=message.attempts,
                uncertain_since=uncertain_since,
                identical_sent_since=lambda floor: _identical_replies_sent(message, since=floor),
            )
    except Exception as exc:
        # Whether it went out is unknown: fail visibly rather than guess; staff can resend.
        _delivery_update(
            message, delivery_status=DeliveryStatus.FAILED, failure_reason=f"Unexpected error: {exc}"[:500]
        )
        raise
    if outcome.status == SendStatus.SENT:
        _delivery_update(
            message,
            delivery_status=DeliveryStatus.SENT,
            failure_reason="",
            sent_at=timezone.now(),
            delivery_uncertain=False,
        )
        return DeliveryOutcome(DeliveryStatus.SENT)
    uncertain = outcome.status == SendStatus.UNCERTAIN
    if outcome.retry_in is None:
        _delivery_update(
            message,
            delivery_status=DeliveryStatus.FAILED,
            failure_reason=outcome.reason[:500],
            delivery_uncertain=uncertain,
        )
        return DeliveryOutcome(DeliveryStatus.FAILED)
    retry_in = outcome.retry_in
    if uncertain and not from_source:  # the next attempt looks at ClubOS's history: not before a slow save could land
        retry_in = max(retry_in, send_uncertain_wait_seconds())
    now = timezone.now()
    _delivery_update(
        message,
        delivery_status=DeliveryStatus.QUEUED,
        failure_reason=f"{outcome.reason}; retrying"[:500],
        delivery_uncertain=uncertain,
        next_attempt_at=now + timedelta(seconds=retry_in),
        nudged_at=now,  # the task's own retry is this row's nudge
    )
    return DeliveryOutcome(DeliveryStatus.QUEUED, retry_in=retry_in)


def _identical_replies_sent(message: InboxMessage, *, since: datetime) -> int:
    """Other messages with this text to this person, sent since `since` (ClubOS's history window)."""
    wanted = normalize_text(message.body)
    others = (
        InboxMessage.objects.filter(
            conversation_id=message.conversation_id,
            direction=Direction.OUTBOUND,
            channel=message.channel,
            delivery_status=DeliveryStatus.SENT,
            sent_at__gte=since,
        )
        .exclude(pk=message.pk)
        .values_list("body", flat=True)
    )
    return sum(1 for body in others if normalize_text(body) == wanted)


# --- The sweep ----------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class SweepResult:
    requeued: int  # queued messages whose nudge was lost (broker down, eager retry stopped, task dropped)
    expired: int  # `sending` messages whose attempt outlived its lease (worker killed): re-queued


def outbound_sweep() -> SweepResult:
    """Re-queue what no task will deliver: run by beat every INBOX_OUTBOX_SWEEP_SECONDS.

    A `queued` message is due once its next_attempt_at has passed, and its nudge counts as lost when
    neither it nor a retry was queued within INBOX_OUTBOX_NUDGE_GRACE_SECONDS. A `sending` message past
    its attempt lease was interrupted. Each gets a new task; delivery itself (the row lock, the attempt
    count, the history check after an uncertain attempt) decides what happens, so a duplicate is harmless.
    """
    now = timezone.now()
    grace = now - timedelta(seconds=app_settings.outbox_nudge_grace())
    lease_floor = now - timedelta(seconds=send_attempt_lease_seconds())
    lost_nudge = (
        Q(delivery_status=DeliveryStatus.QUEUED)
        & (Q(next_attempt_at__isnull=True) | Q(next_attempt_at__lte=now))
        & (Q(nudged_at__isnull=True) | Q(nudged_at__lte=grace))
    )
    stale_attempt = (
        Q(delivery_status=DeliveryStatus.SENDING)
        & Q(attempt_started_at__lt=lease_floor)
        & (Q(nudged_at__isnull=True) | Q(nudged_at__lte=grace))
    )
    rows = list(
        InboxMessage.objects.filter(lost_nudge | stale_attempt, direction=Direction.OUTBOUND)
        .order_by("pk")
        .values_list("pk", "delivery_status")[: app_settings.outbox_sweep_batch()]
    )
    if not rows:
        return SweepResult(0, 0)
    InboxMessage.objects.filter(pk__in=[pk for pk, _ in rows]).update(nudged_at=now)
    for pk, _ in rows:
        _delivery_queue(pk)
    expired = sum(1 for _, status in rows if status == DeliveryStatus.SENDING)
    logger.info("outbox sweep: re-queued %d queued and %d interrupted message(s)", len(rows) - expired, expired)
    return SweepResult(requeued=len(rows) - expired, expired=expired)
