"""The ClubOS sync (list → history → inbox copy) and outbound sends.

The sync hands messages to the sink the inbox registers (`CLUBOS_MESSAGE_SINK`): clubos never
writes the inbox's tables. One run at a time (a lease lock on the SyncControl row); each batch of
list items is written together with its owner's watermark in one transaction, so a run killed
half-way leaves nothing half-done and the next run repeats the open batch.
"""

from __future__ import annotations

import enum
import logging
import threading
import time
import unicodedata
import uuid
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Protocol

import httpx
from django.core.cache import cache
from django.db import transaction
from django.db.models import F, Q
from django.utils import timezone
from django.utils.module_loading import import_string

from . import app_settings
from .exceptions import (
    ClubOSAuthError,
    ClubOSBadRequest,
    ClubOSError,
    ClubOSServerError,
    ClubOSSessionExpired,
    ClubOSUnavailable,
)
from .models import NameLookup, SyncControl, SyncRun, SyncRunStatus, SyncState
from .types import Channel, Direction, HistoryEntry, InboxItem, InboxOwner, MemberContact, MemberHistory, SendReceipt

if TYPE_CHECKING:
    from .client import ClubOSClient

logger = logging.getLogger(__name__)

# Errors worth repeating the same request for: the next attempt may well succeed.
TRANSIENT_ERRORS: tuple[type[ClubOSError], ...] = (ClubOSUnavailable, ClubOSServerError, ClubOSSessionExpired)
RUN_STOPPING_ERRORS: tuple[type[ClubOSError], ...] = (*TRANSIENT_ERRORS, ClubOSAuthError)
CONVERSATION_CHANNELS = (Channel.SMS, Channel.EMAIL)
DAY_TOLERANCE = 36 * 3600.0


class SyncAlreadyRunning(Exception):
    """Another process holds the sync lock; this run did nothing."""

    def __str__(self) -> str:
        return "another sync is running"


class SyncLockLost(SyncAlreadyRunning):
    """This run stalled past its lease and another run took over; it stopped (its open batch rolled back)."""

    def __str__(self) -> str:
        return "the sync lock expired and another run took over"


# --- What the sync hands to the inbox ---------------------------------------------------------------


@dataclass(frozen=True)
class SyncedContact:
    clubos_id: int | None  # None: ClubOS search did not resolve the sender's name
    name: str
    email: str = ""
    phone: str = ""
    can_text: bool = True


@dataclass(frozen=True)
class SyncedMessage:
    clubos_message_id: int
    owner_id: int
    contact: SyncedContact
    direction: Direction  # INBOUND or OUTBOUND
    channel: Channel  # SMS or EMAIL
    body: str
    sent_at: datetime
    body_is_snippet: bool = False  # no history entry matched: the list's snippet is all we have


@dataclass
class IngestResult:
    new: int = 0
    duplicates: int = 0  # already stored, including our own replies coming back from ClubOS


class MessageSink(Protocol):
    """What `CLUBOS_MESSAGE_SINK` points at. Both calls run inside the sync's transaction."""

    def known_message_ids(self, *, ids: Sequence[int]) -> set[int]: ...

    def ingest(self, *, messages: Sequence[SyncedMessage]) -> IngestResult: ...


def message_sink() -> MessageSink:
    return import_string(app_settings.message_sink())  # type: ignore[no-any-return]


# --- Results and progress ----------------------------------------------------------------------------


@dataclass
class SyncProgress:
    members_done: int = 0
    members_total: int = 0
    messages_done: int = 0
    messages_total: int = 0


@dataclass
class SyncResult:
    """Counts of one run; always fetched = new + duplicates + skipped + errors.

    fetched: every item of every owner's list, malformed ones included (items at or below the
    watermark are counted, not parsed: lists are newest first); duplicates: already stored (below the
    watermark, a repeat after an interrupted run, or our own reply coming back from ClubOS);
    skipped: malformed items; errors: items left for the next run because their member's history failed.
    """

    run_id: int | None = None
    fetched: int = 0
    new: int = 0
    duplicates: int = 0
    skipped: int = 0
    errors: int = 0
    unmatched: int = 0
    new_by_owner: dict[int, int] = field(default_factory=dict)

    def summary_line(self) -> str:
        return (
            f"sync: fetched={self.fetched} new={self.new} duplicates={self.duplicates} "
            f"skipped={self.skipped} errors={self.errors}"
        )


ProgressCallback = Callable[[SyncProgress], None]


# --- One ClubOS session per process ---------------------------------------------------------------------

_session_lock = threading.RLock()
_session: ClubOSClient | None = None
_session_key: tuple[object, ...] | None = None


def _settings_key() -> tuple[object, ...]:
    """A new client when any of its settings change (tests and the admin can change them at runtime)."""
    return (
        app_settings.base_url(),
        app_settings.username(),
        app_settings.password(),
        app_settings.connect_timeout(),
        app_settings.read_timeout(),
    )


@contextmanager
def clubos_session() -> Iterator[ClubOSClient]:
    """The process's one logged-in client (repeated logins upset ClubOS), used by one caller at a time."""
    global _session, _session_key
    from .client import ClubOSClient

    with _session_lock:
        key = _settings_key()
        if _session is None or _session_key != key:
            clubos_session_reset()
            _session, _session_key = ClubOSClient.from_settings(), key
        try:
            yield _session
        except ClubOSAuthError:
            clubos_session_reset()
            raise


def clubos_session_reset() -> None:
    global _session, _session_key
    with _session_lock:
        if _session is not None:
            try:
                _session.close()
            except Exception:  # closing a broken connection must not hide the real error
                logger.debug("closing the ClubOS client failed", exc_info=True)
        _session, _session_key = None, None


def _with_retries[T](call: Callable[[], T]) -> T:
    retries, delay = app_settings.sync_retries(), app_settings.sync_retry_backoff()
    for attempt in range(retries + 1):
        try:
            return call()
        except TRANSIENT_ERRORS as exc:
            if attempt >= retries:
                raise
            logger.warning("ClubOS request failed (%s); retrying", exc)
            time.sleep(delay * (2**attempt))
    raise AssertionError("unreachable")


# --- The run lock ------------------------------------------------------------------------------------


def sync_control_get() -> SyncControl:
    control, _ = SyncControl.objects.get_or_create(pk=SyncControl.SINGLETON_PK)
    return control


def _lock_acquire(token: str) -> bool:
    sync_control_get()
    now = timezone.now()
    taken = (
        SyncControl.objects.filter(pk=SyncControl.SINGLETON_PK)
        .filter(Q(lock_token="") | Q(locked_until__isnull=True) | Q(locked_until__lt=now))
        .update(lock_token=token, locked_until=now + timedelta(seconds=app_settings.sync_lock_seconds()))
    )
    return taken == 1


def _lock_renew(token: str) -> None:
    until = timezone.now() + timedelta(seconds=app_settings.sync_lock_seconds())
    if not SyncControl.objects.filter(pk=SyncControl.SINGLETON_PK, lock_token=token).update(locked_until=until):
        raise SyncLockLost


def _lock_release(token: str) -> None:
    SyncControl.objects.filter(pk=SyncControl.SINGLETON_PK, lock_token=token).update(lock_token="", locked_until=None)


def sync_is_running() -> bool:
    return (
        SyncControl.objects.filter(pk=SyncControl.SINGLETON_PK, locked_until__gt=timezone.now())
        .exclude(lock_token="")
        .exists()
    )


# --- Pause / resume ----------------------------------------------------------------------------------


@transaction.atomic
def sync_pause() -> SyncControl:
    control = sync_control_get()
    if not control.paused:
        SyncControl.objects.filter(pk=control.pk).update(paused=True, paused_at=timezone.now())
    control.refresh_from_db()
    return control


@transaction.atomic
def sync_resume() -> SyncControl:
    SyncControl.objects.filter(pk=sync_control_get().pk).update(paused=False, paused_at=None)
    return sync_control_get()


# --- Text helpers -------------------------------------------------------------------------------------


def normalize_text(text: str) -> str:
    """For comparing a list snippet with a history body: NFC, spaces collapsed, case folded."""
    return " ".join(unicodedata.normalize("NFC", text).split()).casefold()


def _snippet_key(snippet: str) -> str:
    key = normalize_text(snippet)
    for ellipsis in ("…", "..."):
        if key.endswith(ellipsis):
            key = key[: -len(ellipsis)].rstrip()
    return key


def name_key(name: str) -> str:
    return normalize_text(name)


# --- Matching list items to history entries ---------------------------------------------------------------


def match_items_to_history(
    items: Sequence[InboxItem], entries: Sequence[HistoryEntry], *, used: set[int] | None = None
) -> dict[int, HistoryEntry]:
    """Pair list items (ids, snippets) with history entries (full text, channel); unpaired items are left out.

    An entry pairs with an item of the same direction whose snippet is a prefix of its body, at
    the nearest time within the tolerance (history times have minute precision). `used` holds
    indexes of entries already paired earlier in the run; it is updated.
    """
    used = set() if used is None else used
    tolerance = app_settings.match_tolerance_seconds()
    paired: dict[int, HistoryEntry] = {}
    keyed = [
        (index, entry, normalize_text(entry.body))
        for index, entry in enumerate(entries)
        if entry.channel in CONVERSATION_CHANNELS and entry.direction in (Direction.INBOUND, Direction.OUTBOUND)
    ]
    for item in sorted(items, key=lambda i: i.message_id):
        wanted = Direction.OUTBOUND if item.from_owner else Direction.INBOUND
        prefix = _snippet_key(item.snippet)
        best: tuple[float, int, HistoryEntry] | None = None
        for index, entry, body in keyed:
            if index in used or entry.direction != wanted or not body.startswith(prefix):
                continue
            if item.sent_at is not None:
                distance = abs((entry.occurred_at - item.sent_at.replace(second=0, microsecond=0)).total_seconds())
                # Owner-sent items have no created-date: their time comes from the date cell, a day at best.
                if distance > (DAY_TOLERANCE if item.from_owner else tolerance):
                    continue
            else:  # no time at all: take the oldest unpaired candidate
                distance = entry.occurred_at.timestamp()
            if best is None or distance < best[0]:
                best = (distance, index, entry)
        if best is not None:
            used.add(best[1])
            paired[item.message_id] = best[2]
    return paired


# --- The sync run ----------------------------------------------------------------------------------------


@dataclass
class _OwnerWork:
    owner: InboxOwner
    state: SyncState
    items: list[InboxItem]  # above the watermark, oldest first
    skipped: int


@dataclass
class _MemberInfo:
    history: MemberHistory | None = None
    error: ClubOSError | None = None
    used_entries: set[int] = field(default_factory=set)


class _Run:
    """The state of one sync run: caches so each member's history and each name is fetched once."""

    def __init__(self, client: ClubOSClient, token: str, progress: ProgressCallback | None) -> None:
        self.client = client
        self.token = token
        self.progress_cb = progress
        self.progress = SyncProgress()
        self.result = SyncResult()
        self.sink = message_sink()
        self.members: dict[int, _MemberInfo] = {}
        self.names: dict[str, list[int]] = {}
        self.renewed_at = time.monotonic()

    def keep_lock(self) -> None:
        """Renew the lease well before it ends (slow ClubOS pages can make one batch take minutes)."""
        if time.monotonic() - self.renewed_at > app_settings.sync_lock_seconds() / 4:
            _lock_renew(self.token)
            self.renewed_at = time.monotonic()

    def report(self) -> None:
        if self.progress_cb is not None:
            self.progress_cb(self.progress)

    # owners and lists

    def owners(self) -> list[InboxOwner]:
        key = f"clubos:owners:{app_settings.base_url()}|{app_settings.username()}"
        cached = cache.get(key)
        if cached is None:
            owners = _with_retries(self.client.inbox_owners)
            cache.set(key, [(o.id, o.name) for o in owners], app_settings.owners_cache_seconds())
        else:
            owners = [InboxOwner(id=owner_id, name=name) for owner_id, name in cached]
        wanted = set(app_settings.inbox_owners())
        return [o for o in owners if not wanted or o.id in wanted]

    def owner_work(self, owner: InboxOwner) -> _OwnerWork:
        state, _ = SyncState.objects.get_or_create(owner_id=owner.id, defaults={"owner_name": owner.name})
        if state.owner_name != owner.name:
            SyncState.objects.filter(pk=state.pk).update(owner_name=owner.name)
        # Only items above the watermark are parsed (the list is newest first): an idle poll reads
        # one <li> of a list that can run to megabytes. "fetched" counts what was read.
        listing = _with_retries(lambda: self.client.inbox_list(owner_id=owner.id, newer_than=state.watermark))
        unique = {item.message_id: item for item in listing.items}
        above = sorted((i for i in unique.values() if i.message_id > state.watermark), key=lambda i: i.message_id)
        self.result.fetched += len(listing.items) + listing.skipped + listing.older
        self.result.skipped += listing.skipped
        # Items at or below the watermark are stored already; so are ids repeated inside one list.
        self.result.duplicates += listing.older + len(listing.items) - len(above)
        return _OwnerWork(owner, state, above, listing.skipped)

    # names → ClubOS ids

    def resolve_names(self, names: set[str]) -> None:
        keys = {name_key(n): n for n in names if name_key(n) not in self.names}
        if not keys:
            return
        retry_after = timezone.now() - timedelta(seconds=app_settings.unknown_name_retry_seconds())
        for lookup in NameLookup.objects.filter(name__in=list(keys)):
            if lookup.member_ids or lookup.looked_up_at >= retry_after:
                self.names[lookup.name] = lookup.member_ids
        for key, name in keys.items():
            if key in self.names:
                continue
            results = _with_retries(lambda name=name: self.client.search_members(keyword=name))  # type: ignore[misc]
            ids = sorted({r.id for r in results if name_key(r.full_name) == key})
            found = {"found_ids": " ".join(map(str, ids)), "looked_up_at": timezone.now()}
            NameLookup.objects.update_or_create(name=key, defaults=found)
            self.names[key] = ids

    def member(self, member_id: int) -> _MemberInfo:
        info = self.members.get(member_id)
        if info is None:
            info = _MemberInfo()
            try:
                info.history = _with_retries(lambda: self.client.member_history(member_id=member_id))
            except RUN_STOPPING_ERRORS:
                raise  # the whole run stops; the open batch is rolled back and retried next run
            except ClubOSBadRequest as exc:  # stale tokens: likely gone next run, so this member's items wait
                logger.warning("ClubOS history of member %s failed: %s", member_id, exc)
                info.error = exc
            except ClubOSError as exc:
                # This member's page is broken or gone: waiting would block the watermark for good,
                # so the items are kept with their list snippets instead.
                logger.warning("ClubOS history of member %s failed, keeping snippets: %s", member_id, exc)
            self.members[member_id] = info
            self.keep_lock()
            self.progress.members_done += 1
            # Namesakes can cost more than one history per name: the total grows with them.
            self.progress.members_total = max(self.progress.members_total, self.progress.members_done)
            self.report()
        return info

    # one batch

    def member_for(self, item: InboxItem) -> int | None:
        """The ClubOS id of the person on the other side of this item, when ClubOS knows exactly one."""
        candidates = self.names.get(name_key(item.sender_name), [])
        if len(candidates) == 1:
            return candidates[0]
        # Names are not unique: the one whose history holds this very message is the sender.
        unread_namesake = None
        for candidate in candidates:
            info = self.member(candidate)
            if info.history is not None and match_items_to_history([item], info.history.entries):
                return candidate
            if info.error is not None and unread_namesake is None:
                unread_namesake = candidate
        # A namesake whose history failed for now may be the sender: attributing the item to them makes
        # it wait below the watermark for the next run, rather than be stored unlinked for good.
        return unread_namesake

    def process_batch(self, work: _OwnerWork, batch: list[InboxItem], blocked_at: int | None) -> int | None:
        self.resolve_names({item.sender_name for item in batch})
        known = self.sink.known_message_ids(ids=[i.message_id for i in batch])
        by_member: dict[int | None, list[InboxItem]] = {}
        for item in batch:
            if item.message_id in known:
                continue
            by_member.setdefault(self.member_for(item), []).append(item)

        messages: list[SyncedMessage] = []
        failed: list[InboxItem] = []
        for member_id, items in by_member.items():
            info = self.member(member_id) if member_id is not None else _MemberInfo()
            if info.error is not None:
                failed.extend(items)
                continue
            history = info.history
            paired = match_items_to_history(items, history.entries, used=info.used_entries) if history else {}
            contact = _synced_contact(history.contact if history else None, items[0].sender_name, member_id)
            for item in items:
                entry = paired.get(item.message_id)
                if entry is None:
                    self.result.unmatched += 1
                messages.append(_synced_message(work.owner.id, item, contact, entry))

        if failed:
            self.result.errors += len(failed)
            first_failed = min(i.message_id for i in failed)
            blocked_at = first_failed if blocked_at is None else min(blocked_at, first_failed)
        watermark = max(i.message_id for i in batch)
        if blocked_at is not None:
            watermark = max([work.state.watermark, *(i.message_id for i in batch if i.message_id < blocked_at)])

        with transaction.atomic():
            _lock_renew(self.token)  # still ours? Otherwise this batch rolls back and the run stops.
            self.renewed_at = time.monotonic()
            outcome = self.sink.ingest(messages=messages) if messages else IngestResult()
            work.state.watermark = max(work.state.watermark, watermark)
            SyncState.objects.filter(pk=work.state.pk).update(
                watermark=work.state.watermark, messages_stored=F("messages_stored") + outcome.new
            )
        self.result.new += outcome.new
        self.result.new_by_owner[work.owner.id] = self.result.new_by_owner.get(work.owner.id, 0) + outcome.new
        self.result.duplicates += outcome.duplicates + len(known)
        self.progress.messages_done += len(batch)
        self.report()
        return blocked_at

    def run(self) -> SyncResult:
        works = [self.owner_work(owner) for owner in self.owners()]
        self.progress.messages_total = sum(len(w.items) for w in works)
        self.progress.members_total = len({name_key(i.sender_name) for w in works for i in w.items})
        self.report()
        size = app_settings.sync_batch_size()
        for work in works:
            blocked_at: int | None = None
            for start in range(0, len(work.items), size):
                blocked_at = self.process_batch(work, work.items[start : start + size], blocked_at)
            SyncState.objects.filter(pk=work.state.pk).update(last_synced_at=timezone.now())
        return self.result


def _synced_contact(contact: MemberContact | None, sender_name: str, member_id: int | None) -> SyncedContact:
    if contact is None or member_id is None:
        return SyncedContact(clubos_id=member_id, name=sender_name.strip())
    name = f"{contact.first_name} {contact.last_name}".strip() or sender_name.strip()
    return SyncedContact(
        clubos_id=member_id, name=name, email=contact.email, phone=contact.mobile_phone, can_text=contact.can_text
    )


def _synced_message(
    owner_id: int, item: InboxItem, contact: SyncedContact, entry: HistoryEntry | None
) -> SyncedMessage:
    direction = Direction.OUTBOUND if item.from_owner else Direction.INBOUND
    if entry is not None:
        return SyncedMessage(
            clubos_message_id=item.message_id,
            owner_id=owner_id,
            contact=contact,
            direction=direction,
            channel=entry.channel,
            body=entry.body,
            # A list time from data-created-date has seconds; an owner-sent item's is a day at best.
            sent_at=entry.occurred_at if item.from_owner or item.sent_at is None else item.sent_at,
        )
    return SyncedMessage(
        clubos_message_id=item.message_id,
        owner_id=owner_id,
        contact=contact,
        direction=direction,
        channel=Channel.SMS,
        body=item.snippet,
        sent_at=item.sent_at or timezone.now(),
        body_is_snippet=True,
    )


def _run_start(trigger: str) -> SyncRun:
    # Holding the lock means no other run is alive: "running" rows are leftovers of killed runs.
    SyncRun.objects.filter(status=SyncRunStatus.RUNNING).update(
        status=SyncRunStatus.INTERRUPTED, error="The run stopped before it finished (process ended)."
    )
    return SyncRun.objects.create(started_at=timezone.now(), trigger=trigger[:16])


def _run_finish(run: SyncRun, result: SyncResult, error: str = "") -> None:
    now = timezone.now()
    duration_ms = int((now - run.started_at).total_seconds() * 1000)
    run.finished_at, run.duration_ms = now, duration_ms
    run.status = SyncRunStatus.FAILED if error else SyncRunStatus.SUCCEEDED
    run.fetched, run.new, run.duplicates = result.fetched, result.new, result.duplicates
    run.skipped, run.errors, run.unmatched, run.error = result.skipped, result.errors, result.unmatched, error
    run.save()
    totals = {
        "runs": F("runs") + 1,
        "messages_fetched": F("messages_fetched") + result.fetched,
        "messages_new": F("messages_new") + result.new,
        "messages_duplicate": F("messages_duplicate") + result.duplicates,
        "messages_skipped": F("messages_skipped") + result.skipped,
        "last_run_at": now,
        "last_duration_ms": duration_ms,
    }
    if error:
        totals |= {"failures": F("failures") + 1, "last_error": error, "last_error_at": now}
    else:
        totals |= {"successes": F("successes") + 1, "last_success_at": now}
    SyncControl.objects.filter(pk=SyncControl.SINGLETON_PK).update(**totals)
    keep = app_settings.sync_runs_kept()
    cutoff = SyncRun.objects.order_by("-started_at", "-pk").values_list("pk", flat=True)[keep : keep + 1]
    if cutoff:
        SyncRun.objects.filter(pk__lte=cutoff[0]).exclude(pk=run.pk).delete()


def sync_error_message(exc: BaseException) -> str:
    """One clear line for a failed run (never a password or token)."""
    if isinstance(exc, ClubOSAuthError):
        return "ClubOS rejected the username or password"
    text = str(exc).strip().splitlines()[0] if str(exc).strip() else exc.__class__.__name__
    if isinstance(exc, ClubOSUnavailable):
        return f"ClubOS could not be reached: {text}"
    return text


def clubos_sync_run(*, trigger: str = "manual", progress: ProgressCallback | None = None) -> SyncResult:
    """One sync run over every configured inbox owner.

    Raises SyncAlreadyRunning when another run holds the lock (nothing was done) and ClubOSError
    (after recording the failed run) when ClubOS cannot be used; batches committed before the
    failure stay, the open one is rolled back.
    """
    token = uuid.uuid4().hex
    if not _lock_acquire(token):
        raise SyncAlreadyRunning
    try:
        run = _run_start(trigger)
        worker: _Run | None = None
        try:
            with clubos_session() as client:
                worker = _Run(client, token, progress)
                result = worker.run()
        except Exception as exc:
            partial = worker.result if worker is not None else SyncResult()
            _run_finish(run, partial, error=sync_error_message(exc))
            logger.warning("ClubOS sync failed: %s", sync_error_message(exc))
            raise
        result.run_id = run.pk
        _run_finish(run, result)
        return result
    finally:
        _lock_release(token)


# --- Outbound ----------------------------------------------------------------------------------------------


class SendStatus(enum.StrEnum):
    SENT = "sent"  # ClubOS took the message (or its history shows an earlier attempt did)
    REFUSED = "refused"  # ClubOS answered that it did not take it: it never went out
    UNCERTAIN = "uncertain"  # the request may have reached ClubOS; nobody can tell yet


@dataclass(frozen=True)
class SendOutcome:
    """What one delivery attempt came to, in terms a caller can act on without knowing ClubOS's errors.

    `retry_in` (seconds) is set when another attempt is worth making: the error was temporary and
    this was not the last attempt allowed (CLUBOS_SEND_MAX_ATTEMPTS). `reason` is one line fit to show staff.
    """

    status: SendStatus
    reason: str = ""
    retry_in: float | None = None


def clubos_message_deliver(
    *,
    member_id: int,
    channel: str,
    body: str,
    subject: str = "",
    attempt: int,
    uncertain_since: datetime | None = None,
    identical_sent_since: Callable[[datetime], int] | None = None,
) -> SendOutcome:
    """One delivery attempt of one outbound message (the caller owns idempotency and the attempt count).

    `uncertain_since`: when an earlier attempt whose outcome stayed unknown began. The member's
    history is then searched first, so a retry never texts twice; `identical_sent_since(floor)`
    says how many identical messages the caller already knows were sent since `floor` (only an
    entry beyond those can be the earlier attempt's). Errors other than ClubOS's propagate.
    """
    if channel not in CONVERSATION_CHANNELS:
        raise ValueError(f"ClubOS delivers a text or an email, not {channel!r}.")
    clubos_channel = Channel(channel)
    try:
        if uncertain_since is not None:
            floor = outbound_search_floor(uncertain_since)
            known = identical_sent_since(floor) if identical_sent_since is not None else 0
            if clubos_outbound_find(
                member_id=member_id, channel=clubos_channel, body=body, since=uncertain_since, already_known=known
            ):
                return SendOutcome(SendStatus.SENT)
        clubos_message_send(member_id=member_id, channel=clubos_channel, body=body, subject=subject)
    except TRANSIENT_ERRORS as exc:
        status = SendStatus.UNCERTAIN if send_outcome_unknown(exc) else SendStatus.REFUSED
        reason = f"Attempt {attempt} failed: {sync_error_message(exc)}"
        if attempt >= app_settings.send_max_attempts():
            return SendOutcome(status, reason)
        return SendOutcome(status, reason, retry_in=app_settings.send_retry_backoff() * 2 ** (attempt - 1))
    except ClubOSError as exc:  # permanent: validation, no mobile, credentials…
        return SendOutcome(SendStatus.REFUSED, sync_error_message(exc))
    return SendOutcome(SendStatus.SENT)


def send_attempt_lease_seconds() -> float:
    """How long a delivery attempt may be in flight; one older than this was interrupted."""
    return app_settings.send_lease_seconds()


def clubos_message_send(*, member_id: int, channel: Channel, body: str, subject: str = "") -> SendReceipt:
    """Text or email a member through ClubOS (one attempt: the caller owns retries and idempotency)."""
    with clubos_session() as client:
        return client.send_message(member_id=member_id, channel=channel, body=body, subject=subject)


def outbound_search_floor(since: datetime) -> datetime:
    """History times are to the minute and may lag: how far back a send at `since` can show."""
    return since.replace(second=0, microsecond=0) - timedelta(seconds=app_settings.match_tolerance_seconds())


def clubos_outbound_find(
    *, member_id: int, channel: Channel, body: str, since: datetime, already_known: int = 0
) -> bool:
    """Whether the member's ClubOS history shows this message sent at or after `since`.

    Used before repeating a send whose earlier attempt may have reached ClubOS (timeout after
    the request left, process killed mid-call), so a retry never texts twice. `already_known`
    is how many identical sends in that window are accounted for by other stored replies: only
    an entry beyond those can be this attempt's.
    """
    with clubos_session() as client:
        history = _with_retries(lambda: client.member_history(member_id=member_id))
    wanted = normalize_text(body)
    floor = outbound_search_floor(since)
    found = sum(
        1
        for entry in history.entries
        if entry.direction == Direction.OUTBOUND
        and entry.channel == channel
        and entry.occurred_at >= floor
        and normalize_text(entry.body) == wanted
    )
    return found > already_known


def send_outcome_unknown(exc: ClubOSError) -> bool:
    """Whether a failed send may still have reached ClubOS.

    A refused connection never left; an OOPS page, an expired session or a validation error is
    ClubOS answering that it did not take the message. A read timeout or a dropped connection
    after the request went out leaves it unknown.
    """
    if not isinstance(exc, ClubOSUnavailable):
        return False
    return not isinstance(exc.__cause__, httpx.ConnectError | httpx.ConnectTimeout | httpx.InvalidURL)
