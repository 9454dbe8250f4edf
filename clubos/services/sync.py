"""The sync run: list → history → the sink, batch by batch.

One run at a time (lock.py); each batch of list items is written together with its owner's
watermark in one transaction, so a run killed half-way leaves nothing half-done and the next run
repeats the open batch. ClubOS is read a batch ahead (a bounded pool) while a batch is stored."""

from __future__ import annotations

import hashlib
import logging
import threading
import time
from collections.abc import Callable
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from dataclasses import dataclass, field
from datetime import timedelta
from typing import TYPE_CHECKING, Any

from django.core.cache import cache
from django.db import transaction
from django.db.models import F
from django.utils import timezone

from .. import parsers
from ..app_settings import app_settings
from ..exceptions import (
    ClubOSBadRequest,
    ClubOSError,
    ClubOSProtocolError,
)
from ..models import NameLookup, SyncState
from ..types import Channel, Direction, HistoryEntry, InboxItem, InboxOwner, MemberContact, MemberHistory
from .lock import RunLock, lock_renew
from .matching import match_items_to_history, name_key
from .retries import RUN_STOPPING_ERRORS, sync_error_message, with_retries
from .runs import ProgressCallback, SyncProgress, SyncResult, run_finish, run_start
from .session import clubos_session
from .sink import IngestResult, SyncedContact, SyncedMessage, message_sink

if TYPE_CHECKING:
    from ..client import ClubOSClient

logger = logging.getLogger(__name__)


def _cache_call(operation: Callable[..., Any], *args: Any) -> Any:
    """The cache only saves work (the owner list's request, a list tail's count): with it (Redis) down,
    do without it."""
    try:
        return operation(*args)
    except Exception as exc:
        logger.warning("the cache failed, the sync goes on without it: %s", exc)
        return None


# How long a count of a list's part below the watermark is remembered (an idle club's list stays the same).
LIST_REST_COUNT_SECONDS = 3600


def list_rest_count(rest: str) -> tuple[int, int]:
    """(complete, broken) items of a list below the watermark, as `parsers.count_list_rest` counts them,
    remembered in the shared cache by the text's digest: an idle poll reads the same 3.5 MB tail every
    time, and its four scans were half of the poll's CPU (a SHA-1 of it costs ~2 ms, the scans ~20)."""
    digest = hashlib.sha1(rest.encode("utf-8", "surrogatepass"), usedforsecurity=False).hexdigest()
    key = f"clubos:list-rest:{digest}:{len(rest)}"
    known = _cache_call(cache.get, key)
    if isinstance(known, list | tuple) and len(known) == 2:
        return int(known[0]), int(known[1])
    counted = parsers.count_list_rest(rest)
    _cache_call(cache.set, key, list(counted), LIST_REST_COUNT_SECONDS)
    return counted


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


@dataclass
class _Lookup:
    """What the pool learnt about one sender name: its ClubOS ids and, when there is exactly one, that
    member's history (namesakes are left to member_for, which stops at the first whose history holds
    the message)."""

    ids: list[int]
    searched: bool  # ClubOS was asked (not the stored NameLookup): to be stored
    history: tuple[int, _MemberInfo] | None = None


class _Run:
    """The state of one sync run: caches so each member's history and each name is fetched once.

    ClubOS reads run in a pool of SYNC_CONCURRENCY threads, one lookup per sender name (search, then
    history), a batch ahead of the one being stored: while the main thread writes batch k, the pool
    reads the members batch k+1 needs. Every read takes one of SYNC_CONCURRENCY slots, so the main
    thread's own reads (namesakes' histories) never push ClubOS past the setting either. Threads only
    talk to ClubOS; the database, the lock lease and progress stay on the main thread."""

    def __init__(self, client: ClubOSClient, token: str, progress: ProgressCallback | None) -> None:
        self.client = client
        self.token = token
        self.progress_cb = progress
        self.progress = SyncProgress()
        self.result = SyncResult()
        self.sink = message_sink()
        self.members: dict[int, _MemberInfo] = {}
        self.names: dict[str, list[int]] = {}
        self.lookups: dict[str, Future[_Lookup]] = {}  # submitted to the pool, not collected yet
        self.renewed_at = time.monotonic()
        self.slots = threading.BoundedSemaphore(app_settings.SYNC_CONCURRENCY)
        self.pool = ThreadPoolExecutor(max_workers=app_settings.SYNC_CONCURRENCY, thread_name_prefix="clubos-sync")

    def close(self) -> None:
        self.pool.shutdown(wait=True, cancel_futures=True)

    def keep_lock(self) -> None:
        """Renew the lease well before it ends (slow ClubOS pages can make one batch take minutes)."""
        if time.monotonic() - self.renewed_at > app_settings.SYNC_LOCK_SECONDS / 4:
            lock_renew(self.token)
            self.renewed_at = time.monotonic()

    def report(self) -> None:
        if self.progress_cb is not None:
            self.progress_cb(self.progress)

    # owners and lists

    def owners(self) -> list[InboxOwner]:
        key = f"clubos:owners:{app_settings.BASE_URL}|{app_settings.USERNAME}"
        cached = _cache_call(cache.get, key)
        if cached is None:
            owners = with_retries(self.client.inbox_owners)
            if owners:
                _cache_call(cache.set, key, [(o.id, o.name) for o in owners], app_settings.OWNERS_CACHE_SECONDS)
        else:
            owners = [InboxOwner(id=owner_id, name=name) for owner_id, name in cached]
        if not owners:
            raise ClubOSProtocolError("ClubOS's dashboard lists no inbox owners (not the page the protocol describes)")
        wanted = set(app_settings.INBOX_OWNERS)
        return [o for o in owners if not wanted or o.id in wanted]

    def owner_work(self, owner: InboxOwner) -> _OwnerWork:
        state, _ = SyncState.objects.get_or_create(owner_id=owner.id, defaults={"owner_name": owner.name})
        if state.owner_name != owner.name:
            SyncState.objects.filter(pk=state.pk).update(owner_name=owner.name)
        # Only items above the watermark are parsed (the list is newest first): an idle poll reads
        # one <li> of a list that can run to megabytes. "fetched" counts what was read.
        listing = with_retries(
            lambda: self.client.inbox_list(owner_id=owner.id, newer_than=state.watermark, count_rest=list_rest_count)
        )
        if listing.skipped and not listing.items and not listing.older:
            # Not one readable item (a broken proxy, a new layout): a failed run, not "nothing new".
            raise ClubOSProtocolError(
                f"could not read any of the {listing.skipped} items in the inbox list of {owner.name or owner.id}"
                " (unknown layout)"
            )
        unique = {item.message_id: item for item in listing.items}
        above = sorted((i for i in unique.values() if i.message_id > state.watermark), key=lambda i: i.message_id)
        self.result.fetched += len(listing.items) + listing.skipped + listing.older
        self.result.skipped += listing.skipped
        # Items at or below the watermark are stored already; so are ids repeated inside one list.
        self.result.duplicates += listing.older + len(listing.items) - len(above)
        return _OwnerWork(owner, state, above, listing.skipped)

    # names → ClubOS ids → histories, in the pool

    def lookups_start(self, items: list[InboxItem]) -> None:
        """Queue the pool's reads for these items' senders: a search unless the stored NameLookup answers,
        then the history of a name's only member. Items stored already need neither."""
        known = self.sink.known_message_ids(ids=[i.message_id for i in items])
        names = {name_key(i.sender_name): i.sender_name for i in items if i.message_id not in known}
        keys = {key: name for key, name in names.items() if key not in self.names and key not in self.lookups}
        if not keys:
            return
        retry_after = timezone.now() - timedelta(seconds=app_settings.UNKNOWN_NAME_RETRY_SECONDS)
        for stored in NameLookup.objects.filter(name__in=list(keys)):
            if stored.member_ids or stored.looked_up_at >= retry_after:
                self.names[stored.name] = stored.member_ids
        for key, name in keys.items():
            ids = self.names.get(key)
            if ids is not None and (len(ids) != 1 or ids[0] in self.members):
                continue  # nothing to read: unknown, namesakes (read on demand) or read already
            self.lookups[key] = self.pool.submit(self.lookup, key, name, ids)

    def lookup(self, key: str, name: str, ids: list[int] | None) -> _Lookup:
        """One sender name's ClubOS reads (a pool thread: ClubOS only, no database)."""
        searched = ids is None
        if ids is None:
            results = self.read(lambda: self.client.search_members(keyword=name))
            ids = sorted({r.id for r in results if name_key(r.full_name) == key})
        found = _Lookup(ids=ids, searched=searched)
        if len(ids) == 1:
            found.history = (ids[0], self.fetch_history(ids[0]))
        return found

    def lookups_finish(self, items: list[InboxItem]) -> None:
        """Wait for the pool's reads these items need, renewing the lease meanwhile; keep what they found.
        An error that stops the run is raised here, after what was learnt is stored."""
        pending = {self.lookups[key]: key for key in {name_key(i.sender_name) for i in items} if key in self.lookups}
        found: list[NameLookup] = []
        try:
            while pending:
                finished, _ = wait(pending, timeout=app_settings.SYNC_LOCK_SECONDS / 8, return_when=FIRST_COMPLETED)
                self.keep_lock()
                for future in finished:
                    key = pending.pop(future)
                    del self.lookups[key]
                    lookup = future.result()
                    self.names[key] = lookup.ids
                    if lookup.searched:
                        found.append(
                            NameLookup(name=key, found_ids=" ".join(map(str, lookup.ids)), looked_up_at=timezone.now())
                        )
                    if lookup.history is not None:
                        self.store_history(*lookup.history)
        finally:  # what was learnt before an error is kept
            NameLookup.objects.bulk_create(
                found, update_conflicts=True, unique_fields=["name"], update_fields=["found_ids", "looked_up_at"]
            )

    def read[T](self, call: Callable[[], T]) -> T:
        """A ClubOS read, with retries, in one of the SYNC_CONCURRENCY slots."""
        with self.slots:
            return with_retries(call)

    def fetch_history(self, member_id: int) -> _MemberInfo:
        """One member's history (ClubOS only). Errors that stop the run are raised."""
        info = _MemberInfo()
        try:
            info.history = self.read(lambda: self.client.member_history(member_id=member_id))
        except RUN_STOPPING_ERRORS:
            raise  # the whole run stops; the open batch is rolled back and retried next run
        except ClubOSBadRequest as exc:  # stale tokens: likely gone next run, so this member's items wait
            logger.warning("ClubOS history of member %s failed: %s", member_id, exc)
            info.error = exc
        except ClubOSError as exc:
            # This member's page is broken or gone: waiting would block the watermark for good,
            # so the items are kept with their list snippets instead.
            logger.warning("ClubOS history of member %s failed, keeping snippets: %s", member_id, exc)
        return info

    def store_history(self, member_id: int, info: _MemberInfo) -> None:
        self.members.setdefault(member_id, info)
        self.keep_lock()
        self.progress.members_done += 1
        # Namesakes can cost more than one history per name: the total grows with them.
        self.progress.members_total = max(self.progress.members_total, self.progress.members_done)
        self.report()

    def member(self, member_id: int) -> _MemberInfo:
        info = self.members.get(member_id)
        if info is None:
            info = self.fetch_history(member_id)
            self.store_history(member_id, info)
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
        known = self.sink.known_message_ids(ids=[i.message_id for i in batch])
        self.lookups_finish([item for item in batch if item.message_id not in known])
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
            lock_renew(self.token)  # still ours? Otherwise this batch rolls back and the run stops.
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
        size = app_settings.SYNC_BATCH_SIZE
        upcoming = [work.items[start : start + size] for work in works for start in range(0, len(work.items), size)]
        if upcoming:
            self.lookups_start(upcoming[0])
        position = 0
        for work in works:
            blocked_at: int | None = None
            for start in range(0, len(work.items), size):
                position += 1
                if position < len(upcoming):  # the pool reads ahead while this batch is stored
                    self.lookups_start(upcoming[position])
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


def clubos_sync_run(*, trigger: str = "manual", progress: ProgressCallback | None = None) -> SyncResult:
    """One sync run over every configured inbox owner.

    Raises SyncAlreadyRunning when another run holds the lock (nothing was done) and ClubOSError
    (after recording the failed run) when ClubOS cannot be used; batches committed before the
    failure stay, the open one is rolled back.
    """
    lock = RunLock(trigger)
    lock.acquire()  # or SyncAlreadyRunning, naming the holder
    try:
        run = run_start(trigger)
        worker: _Run | None = None
        try:
            with clubos_session(stored=True) as client:
                worker = _Run(client, lock.token, progress)
                try:
                    result = worker.run()
                finally:
                    worker.close()
        except Exception as exc:
            partial = worker.result if worker is not None else SyncResult()
            run_finish(run, partial, error=sync_error_message(exc))
            logger.warning("ClubOS sync failed: %s", sync_error_message(exc))
            raise
        result.run_id = run.pk
        run_finish(run, result)
        return result
    finally:
        lock.release()
