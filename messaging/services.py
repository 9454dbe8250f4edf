"""Writes for direct messages. Each validates, writes in one transaction and pushes after commit."""

from __future__ import annotations

import contextlib
import logging
import math
import threading
import time
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from django.core.cache import cache
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Count, F, OuterRef, Q, Subquery, Value
from django.db.models.functions import Coalesce
from django.utils import timezone

from core.validators import CONTROL_CHARACTERS_MESSAGE, has_control_characters
from realtime import push

from . import emails, live, moderation_selectors, selectors, signals
from .app_settings import app_settings
from .exceptions import (
    InvalidMessage,
    MessageNotEditable,
    MessagingSuspended,
    NotAParticipant,
    RateLimited,
    RecipientUnavailable,
    StartNotAllowed,
)
from .models import (
    Block,
    Message,
    MessagingSettings,
    Participant,
    Preferences,
    Report,
    ReportStatus,
    StartPolicy,
    Thread,
    ToggleChange,
)

if TYPE_CHECKING:
    from accounts.models import User

logger = logging.getLogger(__name__)


# --- The admin switch ---------------------------------------------------------------------------


@transaction.atomic
def messaging_set_enabled(*, actor: User | None, enabled: bool) -> MessagingSettings:
    """Turn direct messaging on or off; a real flip is recorded and pushed to every socket."""
    row, _ = MessagingSettings.objects.select_for_update().get_or_create(pk=MessagingSettings.SINGLETON_PK)
    if row.enabled == enabled:
        return row
    row.enabled = enabled
    row.save(update_fields=["enabled", "updated_at"])
    ToggleChange.objects.create(switch=row, enabled=enabled, changed_by=actor)
    actor_id = actor.pk if actor is not None else None
    # This process forgets its copy now and again at commit; others re-read within a second.
    selectors.messaging_enabled_cache_clear()
    transaction.on_commit(selectors.messaging_enabled_cache_clear)
    push.everyone_refresh()
    transaction.on_commit(
        lambda: signals.messaging_toggled.send(sender=MessagingSettings, enabled=enabled, changed_by_id=actor_id),
        robust=True,
    )
    return row


@transaction.atomic
def messaging_set_start_policy(*, actor: User | None, start_policy: str) -> MessagingSettings:
    """Who may start new conversations: all members, or only those whose membership is active."""
    if start_policy not in StartPolicy.values:
        raise InvalidMessage(f"Unknown start policy {start_policy!r}.")
    row, _ = MessagingSettings.objects.select_for_update().get_or_create(pk=MessagingSettings.SINGLETON_PK)
    if row.start_policy != start_policy:
        row.start_policy = start_policy
        row.save(update_fields=["start_policy", "updated_at"])
    return row


# --- Threads ------------------------------------------------------------------------------------


def _check_not_suspended(*, user: User) -> None:
    """A member whose messaging staff suspended may read but not write (MessagingSuspended: 403)."""
    suspension = moderation_selectors.suspension_in_force(member_id=user.pk)
    if suspension is not None:
        raise MessagingSuspended(moderation_selectors.suspension_notice(suspension=suspension))


def _check_can_message(*, user: User, other: User, blocked: bool | None = None) -> None:
    """`blocked`: the block either way, when the caller has read it already."""
    if user.pk == other.pk:
        raise RecipientUnavailable("You can't message yourself.")
    if not other.is_active:
        raise RecipientUnavailable("This member can't receive messages.")
    if blocked if blocked is not None else selectors.block_exists_between(user_id=user.pk, other_id=other.pk):
        raise RecipientUnavailable("You can't message this member.")


@transaction.atomic
def thread_start(*, initiator: User, recipient: User) -> tuple[Thread, bool]:
    """The pair's one thread, created if needed: (thread, created). Safe against concurrent starts."""
    selectors.messaging_require_enabled()
    _check_can_message(user=initiator, other=recipient)
    low, high = sorted((initiator.pk, recipient.pk))
    existing = Thread.objects.filter(user_low_id=low, user_high_id=high).first()
    if existing is not None:
        return existing, False  # reading and replying in an existing thread is never restricted
    _check_not_suspended(user=initiator)
    reason = selectors.start_refusal_reason(user=initiator)
    if reason:
        raise StartNotAllowed(reason)
    try:
        with transaction.atomic():
            thread = Thread.objects.create(user_low_id=low, user_high_id=high)
            Participant.objects.bulk_create(
                [
                    Participant(thread=thread, user_id=low, other_id=high, last_activity_at=thread.created_at),
                    Participant(thread=thread, user_id=high, other_id=low, last_activity_at=thread.created_at),
                ]
            )
    except IntegrityError:
        # The other member pressed *Message* at the same moment: the unique pair kept one thread.
        return Thread.objects.get(user_low_id=low, user_high_id=high), False
    return thread, True


def message_clean_body(body: object) -> str:
    """Trim and check a body: 1 to BODY_MAX_LENGTH characters."""
    if not isinstance(body, str):
        raise InvalidMessage("Write a message.")
    text = body.replace("\r\n", "\n").strip()
    if not text:
        raise InvalidMessage("Write a message.")
    if has_control_characters(text):
        raise InvalidMessage(CONTROL_CHARACTERS_MESSAGE)
    limit = app_settings.BODY_MAX_LENGTH
    if len(text) > limit:
        raise InvalidMessage(f"Messages can be at most {limit:,} characters (this one has {len(text):,}).")
    return text


class _LocalRateWindow:
    """The fallback while the shared cache (Redis) is down: the same sliding window, in this process.

    Each process then allows up to the limit on its own (fail open: a send is never refused or
    turned into an error because Redis is out), which still stops a runaway client on one process.
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._counts: dict[tuple[int, int], int] = {}

    def hit(self, *, user_id: int, window: int) -> tuple[int, int]:
        with self._lock:
            if len(self._counts) > 50_000:  # old windows: nobody reads them again
                self._counts = {k: v for k, v in self._counts.items() if k[1] >= window - 1}
            current = self._counts.get((user_id, window), 0) + 1
            self._counts[(user_id, window)] = current
            return current, self._counts.get((user_id, window - 1), 0)

    def undo(self, *, user_id: int, window: int) -> None:
        with self._lock:
            self._counts[(user_id, window)] = max(0, self._counts.get((user_id, window), 1) - 1)


_local_rate_window = _LocalRateWindow()
_shared_cache_down = threading.Event()


def _shared_rate_hit(key: str, previous_key: str) -> tuple[int, int]:
    cache.add(key, 0, timeout=130)
    try:
        current = cache.incr(key)
    except ValueError:  # expired between add and incr
        cache.set(key, 1, timeout=130)
        current = 1
    return current, int(cache.get(previous_key) or 0)


def _rate_limit_hit(*, user_id: int) -> None:
    """Sliding-window counter in the shared cache (Redis in production), so it holds across processes.

    With the cache unreachable the count falls back to this process (logged once per outage).
    """
    limit = app_settings.RATE_LIMIT_PER_MINUTE
    now = time.time()
    window = int(now // 60)
    key, previous_key = f"messaging:rate:{user_id}:{window}", f"messaging:rate:{user_id}:{window - 1}"
    shared = True
    try:
        current, previous = _shared_rate_hit(key, previous_key)
        if _shared_cache_down.is_set():
            _shared_cache_down.clear()
            logger.warning("rate limits are shared again: the cache answers")
    except Exception as exc:  # Redis down or timing out: never fail a send for it
        if not _shared_cache_down.is_set():
            _shared_cache_down.set()
            logger.warning(
                "rate limits fall back to each process: the shared cache failed (%s: %s)", type(exc).__name__, exc
            )
        shared = False
        current, previous = _local_rate_window.hit(user_id=user_id, window=window)
    elapsed = now - window * 60
    if previous * (1 - elapsed / 60) + current > limit:
        # A refused attempt does not count against the sender.
        if shared:
            with contextlib.suppress(Exception):
                cache.decr(key)
        else:
            _local_rate_window.undo(user_id=user_id, window=window)
        retry_after = max(1, math.ceil(60 - elapsed))
        raise RateLimited(
            f"You're sending messages too quickly (more than {limit} a minute). Try again in a moment.",
            retry_after=retry_after,
        )


@transaction.atomic
def message_send(*, sender: User, thread_id: int, body: object) -> Message:
    """Store a message, bump the recipient's unread counter in the same transaction, push after commit."""
    selectors.messaging_require_enabled()
    # One read for the participant, the other member, a block either way and a suspension in force.
    conversation = selectors.conversation_get(user_id=sender.pk, thread_id=thread_id)
    participant = conversation.participant
    text = message_clean_body(body)
    _check_can_message(user=sender, other=participant.other, blocked=conversation.blocked)
    if conversation.suspension is not None:
        raise MessagingSuspended(moderation_selectors.suspension_notice(suspension=conversation.suspension))
    _rate_limit_hit(user_id=sender.pk)

    message = Message(thread_id=thread_id, sender=sender, body=text)
    try:
        message.full_clean(exclude=["thread", "sender"])
    except ValidationError as error:
        raise InvalidMessage(" ".join(error.messages)) from error
    # Lock order everywhere: thread row, then participant rows. Taking the thread lock before the
    # insert serialises sends in a thread, so ids follow commit order and `last_message` and the
    # read pointers (which the recount trusts) always name the newest message.
    Thread.objects.select_for_update().filter(pk=thread_id).values_list("pk", flat=True).get()
    message.save()
    now = message.created_at
    Thread.objects.filter(pk=thread_id).update(last_message=message)
    Participant.objects.filter(thread_id=thread_id).exclude(user_id=sender.pk).update(
        unread_count=F("unread_count") + 1,
        last_activity_at=now,
        archived=False,
        unread_since=Coalesce(F("unread_since"), Value(now)),  # the burst starts with its first message
    )
    # Writing in a thread means having read it.
    Participant.objects.filter(pk=participant.pk).update(
        unread_count=0,
        last_read_message=message,
        last_read_at=now,
        last_activity_at=now,
        archived=False,
        unread_since=None,
        emailed_at=None,
    )

    recipient_id = participant.other_id
    # The sender's badge moves only if this thread held unread messages it counted (writing reads them):
    # usually it did not, and a snapshot less per send is a database read less on the socket side.
    sender_badge_moved = participant.unread_count > 0 and not participant.muted
    push.badges_refresh(user_ids=[recipient_id, *([sender.pk] if sender_badge_moved else [])])
    live.thread_message_announce(thread_id=thread_id, message_id=message.pk)
    message_id = message.pk
    transaction.on_commit(
        lambda: signals.message_sent.send(
            sender=Message, message_id=message_id, thread_id=thread_id, sender_id=sender.pk, recipient_id=recipient_id
        ),
        robust=True,  # a failing receiver must not turn a stored message into an error
    )
    return message


def participant_needs_read(*, participant: Participant) -> bool:
    """Cheap check on an already-loaded participant, so opening a read thread writes nothing."""
    return participant.unread_count > 0 or participant.last_read_message_id != participant.thread.last_message_id


@transaction.atomic
def thread_mark_read(*, user: User, thread_id: int) -> Participant:
    """Move the read pointer to the thread's latest message and zero the counter."""
    selectors.messaging_require_enabled()
    participant = Participant.objects.select_for_update().filter(user_id=user.pk, thread_id=thread_id).first()
    if participant is None:
        raise NotAParticipant()
    last_message_id = Thread.objects.filter(pk=thread_id).values_list("last_message_id", flat=True).get()
    if participant.unread_count == 0 and participant.last_read_message_id == last_message_id:
        return participant
    participant.unread_count = 0
    participant.last_read_message_id = last_message_id
    participant.last_read_at = timezone.now()
    # The burst is over: read in time, no email; the next message starts a new one.
    participant.unread_since = None
    participant.emailed_at = None
    participant.save(update_fields=["unread_count", "last_read_message", "last_read_at", "unread_since", "emailed_at"])
    push.badges_refresh(user_ids=[user.pk])
    if last_message_id is not None:
        live.thread_read_announce(thread_id=thread_id, reader_id=user.pk, message_id=last_message_id)
    return participant


# --- Editing and deleting one's own messages ----------------------------------------------------


def _own_message_for_update(*, user: User, message_id: int) -> Message:
    selectors.messaging_require_enabled()
    selectors.message_get_for_user(user_id=user.pk, message_id=message_id)  # NotAParticipant first
    message = Message.objects.select_for_update().get(pk=message_id)
    if message.sender_id != user.pk:
        raise MessageNotEditable("You can only change your own messages.")
    return message


@transaction.atomic
def message_edit(*, user: User, message_id: int, body: object) -> Message:
    """Change one's own message within the edit window; it is marked edited and pushed to the thread."""
    message = _own_message_for_update(user=user, message_id=message_id)
    if message.is_deleted:
        raise MessageNotEditable("This message was deleted.")
    if timezone.now() - message.created_at > timedelta(seconds=app_settings.EDIT_WINDOW_SECONDS):
        minutes = app_settings.EDIT_WINDOW_SECONDS // 60
        raise MessageNotEditable(f"Messages can only be edited for {minutes} minutes after sending.")
    text = message_clean_body(body)
    if text == message.body:
        return message
    _check_not_suspended(user=user)  # an edit is a send: a suspended member can't rewrite their messages
    _rate_limit_hit(user_id=user.pk)  # each edit is pushed to the thread like a send: the same limit
    message.body = text
    message.edited_at = timezone.now()
    message.save(update_fields=["body", "edited_at"])
    live.thread_message_changed(thread_id=message.thread_id, message_id=message.pk)
    return message


@transaction.atomic
def message_delete(*, user: User, message_id: int) -> Message:
    """Delete one's own message: both sides see "message deleted" (the row stays for staff reports)."""
    message = _own_message_for_update(user=user, message_id=message_id)
    if message.is_deleted:
        return message
    message.deleted_at = timezone.now()
    message.save(update_fields=["deleted_at"])
    live.thread_message_changed(thread_id=message.thread_id, message_id=message.pk)
    return message


# --- Per-member preferences ---------------------------------------------------------------------


@transaction.atomic
def preferences_update(
    *, user_id: int, read_receipts: bool | None = None, email_unread: bool | None = None
) -> Preferences:
    """Change a member's messaging settings (None leaves a setting as it is)."""
    prefs, _ = Preferences.objects.select_for_update().get_or_create(user_id=user_id)
    changed = []
    if read_receipts is not None and prefs.read_receipts != read_receipts:
        prefs.read_receipts = read_receipts
        changed.append("read_receipts")
    if email_unread is not None and prefs.email_unread != email_unread:
        prefs.email_unread = email_unread
        changed.append("email_unread")
    if changed:
        prefs.save(update_fields=[*changed, "updated_at"])
    return prefs


def preferences_unsubscribe(*, token: str) -> int:
    """Turn unread emails off for the member a signed unsubscribe token names; returns their id."""
    user_id = emails.unsubscribe_token_user_id(token)  # raises BadSignature
    preferences_update(user_id=user_id, email_unread=False)
    return user_id


# --- Unread emails ------------------------------------------------------------------------------


def _due_bursts(*, now: datetime) -> Q:
    """Sides whose unread burst is older than the delay and not yet emailed (reading ends a burst and
    clears both fields)."""
    cutoff = now - timedelta(seconds=app_settings.UNREAD_EMAIL_DELAY_SECONDS)
    return Q(unread_since__lte=cutoff, unread_count__gt=0, muted=False, emailed_at__isnull=True)


def unread_email_claim(*, participant_id: int, now: datetime) -> bool:
    """Claim one due burst for this worker: a conditional UPDATE, so of two workers only one wins."""
    return bool(Participant.objects.filter(_due_bursts(now=now), pk=participant_id).update(emailed_at=now))


def unread_emails_send(*, now: datetime | None = None) -> int:
    """Email each member whose message has sat unread past the delay: one email per thread per burst,
    none if it was read meanwhile, none for members who turned the emails off. Returns emails sent."""
    if not selectors.messaging_enabled(fresh=True):
        return 0
    now = now or timezone.now()
    due = list(
        Participant.objects.filter(_due_bursts(now=now), user__is_active=True)
        .exclude(user__email="")
        .exclude(user__messaging_preferences__email_unread=False)
        .order_by("unread_since")
        .values_list("id", flat=True)[: app_settings.UNREAD_EMAIL_BATCH]
    )
    sent = 0
    for participant_id in due:
        if not unread_email_claim(participant_id=participant_id, now=now):
            continue  # another worker took it, or it was read a moment ago
        participant = Participant.objects.select_related("user", "other").get(pk=participant_id)
        try:
            emails.send_unread_email(participant=participant)
        except Exception:
            logger.exception("unread email to member %s failed; the next sweep retries", participant.user_id)
            Participant.objects.filter(pk=participant_id, emailed_at=now).update(emailed_at=None)
            continue
        sent += 1
    return sent


@transaction.atomic
def participant_set_archived(*, user: User, thread_id: int, archived: bool) -> Participant:
    """Archive a thread (it comes back on the next message) or restore it."""
    selectors.messaging_require_enabled()
    participant = selectors.participant_get(user_id=user.pk, thread_id=thread_id)
    if participant.archived != archived:
        participant.archived = archived
        participant.save(update_fields=["archived"])
    return participant


@transaction.atomic
def participant_set_muted(*, user: User, thread_id: int, muted: bool) -> Participant:
    """Muted threads still show their own count but stay out of the nav badge."""
    selectors.messaging_require_enabled()
    participant = selectors.participant_get(user_id=user.pk, thread_id=thread_id)
    if participant.muted != muted:
        participant.muted = muted
        participant.save(update_fields=["muted"])
        push.badges_refresh(user_ids=[user.pk])
    return participant


# --- Blocks and reports -------------------------------------------------------------------------


@transaction.atomic
def block_create(*, blocker: User, blocked: User) -> Block:
    """Idempotent: blocking twice keeps one row."""
    selectors.messaging_require_enabled()
    if blocker.pk == blocked.pk:
        raise RecipientUnavailable("You can't block yourself.")
    try:
        with transaction.atomic():
            block, _ = Block.objects.get_or_create(blocker=blocker, blocked=blocked)
    except IntegrityError:
        block = Block.objects.get(blocker=blocker, blocked=blocked)
    return block


@transaction.atomic
def block_delete(*, blocker: User, blocked: User) -> bool:
    selectors.messaging_require_enabled()
    deleted, _ = Block.objects.filter(blocker=blocker, blocked=blocked).delete()
    return bool(deleted)


REPORT_REASON_MAX = 1000


@transaction.atomic
def report_create(*, reporter: User, message_id: int, reason: str = "") -> tuple[Report, bool]:
    """Flag a message in one of the reporter's threads for staff review; reporting twice keeps one."""
    selectors.messaging_require_enabled()
    message = selectors.message_get_for_user(user_id=reporter.pk, message_id=message_id)
    if message.sender_id == reporter.pk:
        raise InvalidMessage("You can't report your own message.")
    reason = (reason or "").strip()
    if len(reason) > REPORT_REASON_MAX:
        raise InvalidMessage(f"Keep the reason under {REPORT_REASON_MAX:,} characters.")
    if has_control_characters(reason):
        raise InvalidMessage(CONTROL_CHARACTERS_MESSAGE)
    existing = Report.objects.filter(message=message, reporter=reporter).first()
    if existing is not None:
        return existing, False
    try:
        with transaction.atomic():
            report = Report.objects.create(message=message, reporter=reporter, reason=reason)
    except IntegrityError:
        return Report.objects.get(message=message, reporter=reporter), False
    return report, True


@transaction.atomic
def report_mark_reviewed(*, reviewer: User, report_ids: list[int]) -> int:
    return Report.objects.filter(pk__in=report_ids, status=ReportStatus.OPEN).update(
        status=ReportStatus.REVIEWED, reviewed_by=reviewer, reviewed_at=timezone.now()
    )


# --- Repair -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class RecountResult:
    checked: int
    drifted: int
    total_drift: int  # sum of |stored - true| over drifted rows


def unread_recount(*, fix: bool = True, batch_size: int = 5000) -> RecountResult:
    """Rebuild every unread counter from its read pointer; report (and repair) any drift."""
    true_unread = Subquery(
        Message.objects.filter(
            thread_id=OuterRef("thread_id"), id__gt=Coalesce(OuterRef("last_read_message_id"), Value(0))
        )
        .exclude(sender_id=OuterRef("user_id"))
        .order_by()
        .values("thread_id")
        .annotate(n=Count("*"))
        .values("n")
    )
    checked = drifted = total_drift = 0
    last_id = 0
    while True:
        with transaction.atomic():
            batch = list(
                Participant.objects.select_for_update()
                .filter(id__gt=last_id)
                .order_by("id")
                .annotate(true_unread=Coalesce(true_unread, Value(0)))
                .only("id", "user_id", "unread_count")[:batch_size]
            )
            if not batch:
                break
            last_id = batch[-1].pk
            checked += len(batch)
            wrong = [p for p in batch if p.unread_count != p.true_unread]  # type: ignore[attr-defined]
            drifted += len(wrong)
            total_drift += sum(abs(p.unread_count - p.true_unread) for p in wrong)  # type: ignore[attr-defined]
            if fix and wrong:
                for participant in wrong:
                    participant.unread_count = participant.true_unread  # type: ignore[attr-defined]
                Participant.objects.bulk_update(wrong, ["unread_count"])
                push.badges_refresh(user_ids=[p.user_id for p in wrong])
    return RecountResult(checked=checked, drifted=drifted, total_drift=total_drift)
