"""The sync against the ClubOS sandbox over HTTP: copy, idempotence, faults, locking."""

from __future__ import annotations

import threading
import time
from datetime import timedelta

import pytest
from django.db import connection, connections
from django.utils import timezone

from accounts import demo
from accounts.services import demo_club_seed
from clubos.client import ClubOSClient
from clubos.exceptions import (
    ClubOSAuthError,
    ClubOSBadRequest,
    ClubOSPageNotFound,
    ClubOSServerError,
    ClubOSUnavailable,
)
from clubos.models import NameLookup, SyncControl, SyncRun, SyncState
from clubos.sandbox import SYNC_ACCOUNT_ID
from clubos.sandbox.demo import UNLINKED_LEAD_ID
from clubos.sandbox.state import Person
from clubos.services import lock, runs, sync
from inbox.models import Contact, Conversation, InboxMessage
from inbox.signals import inbound_messages_received
from tests.clubos.conftest import HOLDER, sync_lock_held_elsewhere

pytestmark = pytest.mark.django_db(transaction=True)

CLUB = demo.CLUB_LOCATION_ID
MEMBERS = {f"{m.first_name} {m.last_name}": m for m in demo.MEMBERS}
DANA = MEMBERS["Dana Reyes"]


def _seeded_ids(sandbox) -> set[int]:
    return set(sandbox.list_ids(CLUB)) | set(sandbox.list_ids(SYNC_ACCOUNT_ID))


def _stored_ids() -> set[int]:
    ids = InboxMessage.objects.exclude(clubos_message_id=None).values_list("clubos_message_id", flat=True)
    return {message_id for message_id in ids if message_id is not None}


def test_full_sync_copies_every_conversation_message_with_full_text(clubos_sandbox):
    demo_club_seed()
    result = sync.clubos_sync_run()

    seeded = _seeded_ids(clubos_sandbox)
    assert (result.fetched, result.new, result.duplicates, result.skipped, result.errors) == (
        len(seeded),
        len(seeded),
        0,
        0,
        0,
    )
    assert result.unmatched == 0
    assert _stored_ids() == seeded  # staff notes, calls and system entries are not messages
    dana = Conversation.objects.get(contact__clubos_id=DANA.clubos_id)
    bodies = [(m.direction, m.channel, m.body) for m in dana.messages.order_by("sent_at")]
    assert bodies == [
        ("inbound", "sms", "Can I bring a friend on Saturday? \U0001f60a"),
        ("outbound", "sms", "Sure! Guests are free on weekends, just sign the waiver at the desk."),
        ("inbound", "sms", "Great, thanks!"),
    ]
    assert dana.unread_count == 2
    zoe = InboxMessage.objects.get(conversation__contact__clubos_id=MEMBERS["Zoë Müller"].clubos_id)
    assert zoe.channel == "email"
    assert zoe.body == "Hi,\nIs the pool open on Thanksgiving & the day after?\nZoë"
    placeholder = InboxMessage.objects.get(
        conversation__contact__clubos_id=MEMBERS["Amélie Dubois"].clubos_id, direction="inbound"
    )
    assert placeholder.body == "Type message here..."


def test_full_sync_links_members_and_keeps_unknown_people_as_contacts(clubos_sandbox):
    demo_club_seed()
    sync.clubos_sync_run()
    dana = Contact.objects.get(clubos_id=DANA.clubos_id)
    assert dana.user is not None
    assert dana.user.username == DANA.username
    riley = Contact.objects.get(clubos_id=UNLINKED_LEAD_ID)
    assert (riley.name, riley.user) == ("Riley Chen", None)
    assert riley.conversation.messages.get().body == "Hi, do you offer a free trial week?"


def test_sync_records_state_watermarks_and_totals(clubos_sandbox):
    result = sync.clubos_sync_run(trigger="test")
    states = {s.owner_id: s for s in SyncState.objects.all()}
    assert states[CLUB].watermark == max(clubos_sandbox.list_ids(CLUB))
    assert states[SYNC_ACCOUNT_ID].watermark == max(clubos_sandbox.list_ids(SYNC_ACCOUNT_ID))
    assert states[CLUB].owner_name.startswith("Clubroom Riverside")
    run = SyncRun.objects.get()
    assert (run.status, run.trigger, run.new, run.fetched) == ("succeeded", "test", result.new, result.fetched)
    assert run.finished_at is not None
    assert run.duration_ms is not None
    control = SyncControl.objects.get()
    assert (control.runs, control.successes, control.failures, control.messages_new) == (1, 1, 0, result.new)
    assert control.lock_token == ""  # released


def test_second_run_creates_nothing_and_costs_one_list_request_per_owner(clubos_sandbox):
    sync.clubos_sync_run()
    count = InboxMessage.objects.count()
    clubos_sandbox.clear_requests()

    again = sync.clubos_sync_run()

    listed = clubos_sandbox.listed()
    assert again.summary_line() == f"sync: fetched={listed} new=0 duplicates={listed} skipped=0 errors=0"
    assert InboxMessage.objects.count() == count
    paths = [r.path for r in clubos_sandbox.requests()]
    assert paths == ["/action/Dashboard/messages", "/action/Dashboard/messages"]  # no login, owners, search, history


def test_a_new_member_text_arrives_unread_and_is_announced_after_commit(clubos_sandbox):
    sync.clubos_sync_run()
    received: list[list[int]] = []

    def receiver(sender, message_ids, **kwargs):
        received.append(message_ids)

    inbound_messages_received.connect(receiver)
    try:
        message_id = clubos_sandbox.inject(member_id=DANA.clubos_id, text="Is the sauna open\non Sunday?")
        clubos_sandbox.clear_requests()
        result = sync.clubos_sync_run()
    finally:
        inbound_messages_received.disconnect(receiver)
    assert (result.fetched, result.new, result.duplicates) == (clubos_sandbox.listed(), 1, clubos_sandbox.listed() - 1)
    message = InboxMessage.objects.get(clubos_message_id=message_id)
    assert message.body == "Is the sauna open\non Sunday?"
    assert received == [[message.pk]]
    # Dana's name was resolved in the first run: no search, one history request.
    assert not clubos_sandbox.requests("/action/UserSearch")
    assert len(clubos_sandbox.requests("/action/FollowUp")) == 1


def test_session_expiring_in_the_middle_of_a_run_is_survived(clubos_sandbox, settings):
    settings.CLUBOS_SYNC_BATCH_SIZE = 3
    clubos_sandbox.expire_sessions(after_requests=8)
    result = sync.clubos_sync_run()
    assert result.errors == 0
    assert _stored_ids() == _seeded_ids(clubos_sandbox)
    assert len(clubos_sandbox.requests("/action/Login")) >= 2 * 2  # logged in again (GET view + POST, twice)


def test_one_oops_is_retried_without_duplicates(clubos_sandbox):
    clubos_sandbox.fail_next("/action/FollowUp", count=1)
    clubos_sandbox.fail_next("/action/Dashboard/messages", count=1)
    result = sync.clubos_sync_run()
    assert result.errors == 0
    assert _stored_ids() == _seeded_ids(clubos_sandbox)
    assert InboxMessage.objects.count() == len(_seeded_ids(clubos_sandbox))


def test_a_timeout_is_retried(clubos_sandbox, settings):
    settings.CLUBOS_READ_TIMEOUT = 0.3
    clubos_sandbox.delay("/action/FollowUp", seconds=1.0, count=1)
    result = sync.clubos_sync_run()
    assert result.new == len(_seeded_ids(clubos_sandbox))


def test_a_run_failing_half_way_keeps_whole_batches_only_and_the_next_run_completes_it(clubos_sandbox, settings):
    settings.CLUBOS_SYNC_BATCH_SIZE = 4
    settings.CLUBOS_SYNC_RETRIES = 1
    sync.clubos_sync_run()
    before = _stored_ids()
    new_ids = [
        clubos_sandbox.inject(member_id=m.clubos_id, text=f"Question {i}") for i, m in enumerate(demo.MEMBERS[:10])
    ]
    # Five histories answer; then ClubOS keeps failing (OOPS), past the retry.
    original = clubos_sandbox.state.before_request
    served = {"history": 0}

    def flaky(method, path):
        oops, wait = original(method, path)
        if path.startswith("/action/FollowUp"):
            served["history"] += 1
            if served["history"] > 5:
                return True, wait
        return oops, wait

    clubos_sandbox.state.before_request = flaky
    with pytest.raises(ClubOSServerError):
        sync.clubos_sync_run()

    club = SyncState.objects.get(owner_id=CLUB)
    stored_new = _stored_ids() - before
    assert stored_new == {i for i in new_ids if i <= club.watermark}  # nothing above the watermark: no half batch
    assert len(stored_new) == 4  # one whole batch of four
    failed = SyncRun.objects.latest("started_at")
    assert (failed.status, failed.new) == ("failed", 4)
    assert "OOPS" in failed.error
    assert SyncControl.objects.get().failures == 1

    clubos_sandbox.state.before_request = original
    result = sync.clubos_sync_run()
    assert (result.new, result.duplicates) == (6, clubos_sandbox.listed() - 6)
    assert _stored_ids() == before | set(new_ids)


def test_persistent_timeouts_fail_the_run_with_a_clear_error(clubos_sandbox, settings):
    settings.CLUBOS_READ_TIMEOUT = 0.2
    settings.CLUBOS_SYNC_RETRIES = 1
    sync.clubos_sync_run()
    clubos_sandbox.inject(member_id=DANA.clubos_id, text="hello?")
    clubos_sandbox.delay("/action/FollowUp", seconds=0.6, count=5)
    with pytest.raises(ClubOSUnavailable):
        sync.clubos_sync_run()
    assert SyncControl.objects.get().last_error.startswith("ClubOS could not be reached: ")
    assert SyncState.objects.get(owner_id=CLUB).watermark < max(clubos_sandbox.list_ids(CLUB))


def test_malformed_and_legacy_markup_are_skipped_and_counted_never_fatal(clubos_sandbox):
    clubos_sandbox.set_legacy_markup(True)
    clubos_sandbox.set_malformed_items(4)
    result = sync.clubos_sync_run()
    assert result.skipped >= 4
    assert result.errors == 0
    assert _stored_ids() == _seeded_ids(clubos_sandbox)
    assert result.fetched == result.new + result.duplicates + result.skipped


def test_wrong_password_fails_the_run_with_a_clear_error(clubos_sandbox, settings):
    settings.CLUBOS_PASSWORD = "not-the-password"
    with pytest.raises(ClubOSAuthError):
        sync.clubos_sync_run()
    run = SyncRun.objects.get()
    assert (run.status, run.error) == ("failed", "ClubOS rejected the username or password")
    assert not InboxMessage.objects.exists()
    assert SyncControl.objects.get().lock_token == ""


def test_concurrent_runs_never_both_work(clubos_sandbox):
    clubos_sandbox.delay("/action/Dashboard/messages", seconds=0.8, count=1)
    outcomes: list[str] = []
    started = threading.Event()

    def first() -> None:
        started.set()
        try:
            outcomes.append(sync.clubos_sync_run().summary_line())
        finally:
            connections.close_all()

    thread = threading.Thread(target=first)
    thread.start()
    started.wait()
    # Wait until the first run holds the lock, then try a second one.
    for _ in range(100):
        if lock.sync_is_running():
            break
        threading.Event().wait(0.02)
    with pytest.raises(lock.SyncAlreadyRunning):
        sync.clubos_sync_run()
    thread.join(timeout=30)
    assert len(outcomes) == 1
    assert InboxMessage.objects.count() == len(_seeded_ids(clubos_sandbox))
    assert SyncRun.objects.count() == 1


def test_a_lock_left_by_a_killed_run_is_freed(clubos_sandbox):
    """PostgreSQL: the dead holder's connection took its advisory lock along, so the next run starts
    at once. Elsewhere the lease (renewed only by a live holder's heartbeat) runs out."""
    dead_run = SyncRun.objects.create(started_at=timezone.now() - timedelta(minutes=5))
    with sync_lock_held_elsewhere():
        with pytest.raises(lock.SyncAlreadyRunning) as busy:
            sync.clubos_sync_run()
        assert busy.value.holder == HOLDER
    # The holder's process is gone now (its connection closed).
    if connection.vendor != "postgresql":
        with pytest.raises(lock.SyncAlreadyRunning):
            sync.clubos_sync_run()
        SyncControl.objects.update(locked_until=timezone.now() - timedelta(seconds=1))
    assert sync.clubos_sync_run().new > 0
    dead_run.refresh_from_db()
    assert dead_run.status == "interrupted"


def test_namesakes_are_told_apart_by_their_history(clubos_sandbox):
    twin = clubos_sandbox.state.add_person(
        Person(61_777_001, "Dana", "Reyes", "other.dana@example.net", "+17735550111")
    )
    sync.clubos_sync_run()
    message_id = clubos_sandbox.inject(member_id=twin.id, text="I'm the other Dana")
    sync.clubos_sync_run()
    message = InboxMessage.objects.select_related("conversation__contact").get(clubos_message_id=message_id)
    assert message.conversation.contact.clubos_id == twin.id
    assert message.body == "I'm the other Dana"
    lookup = NameLookup.objects.get(name="dana reyes")
    assert sorted(lookup.member_ids) == sorted([DANA.clubos_id, twin.id])


def test_only_configured_owners_are_synced(clubos_sandbox, settings):
    settings.CLUBOS_INBOX_OWNERS = [str(SYNC_ACCOUNT_ID)]
    sync.clubos_sync_run()
    assert list(SyncState.objects.values_list("owner_id", flat=True)) == [SYNC_ACCOUNT_ID]
    assert _stored_ids() == set(clubos_sandbox.list_ids(SYNC_ACCOUNT_ID))


def test_progress_is_reported_up_to_the_totals(clubos_sandbox):
    seen: list[tuple[int, int, int, int]] = []
    sync.clubos_sync_run(
        progress=lambda p: seen.append((p.members_done, p.members_total, p.messages_done, p.messages_total))
    )
    total = len(_seeded_ids(clubos_sandbox))
    assert seen[-1][2:] == (total, total)
    assert seen[-1][0] == seen[-1][1] > 0


def test_a_run_that_lost_its_lock_stops_and_rolls_back_its_open_batch(clubos_sandbox, settings):
    settings.CLUBOS_SYNC_BATCH_SIZE = 4

    def thief(progress: runs.SyncProgress) -> None:
        if progress.messages_done == 4:  # a stalled run's lease ran out and another run took it
            SyncControl.objects.update(lock_token="thief")

    with pytest.raises(lock.SyncLockLost):
        sync.clubos_sync_run(progress=thief)
    assert InboxMessage.objects.count() == 4
    assert SyncControl.objects.get().lock_token == "thief"  # not released by the loser
    assert SyncRun.objects.get().status == "failed"


@pytest.mark.parametrize(
    ("error", "waits"),
    [(ClubOSBadRequest("stale tokens"), True), (ClubOSPageNotFound("no page"), False)],
)
def test_one_members_broken_history_never_blocks_the_others(clubos_sandbox, monkeypatch, error, waits):
    sync.clubos_sync_run()
    broken = MEMBERS["Kwame Mensah"].clubos_id
    first = clubos_sandbox.inject(member_id=broken, text="first, from the broken page")
    second = clubos_sandbox.inject(member_id=DANA.clubos_id, text="second, all fine")
    real = ClubOSClient.member_history

    def history(self, *, member_id):
        if member_id == broken:
            raise error
        return real(self, member_id=member_id)

    monkeypatch.setattr(ClubOSClient, "member_history", history)
    result = sync.clubos_sync_run()

    assert InboxMessage.objects.filter(clubos_message_id=second).exists()
    club = SyncState.objects.get(owner_id=CLUB)
    if waits:  # likely gone next run: the item waits below the watermark
        assert (result.new, result.errors) == (1, 1)
        assert not InboxMessage.objects.filter(clubos_message_id=first).exists()
        assert club.watermark == first - 1
        monkeypatch.setattr(ClubOSClient, "member_history", real)
        listed = clubos_sandbox.listed()
        assert sync.clubos_sync_run().summary_line() == (
            f"sync: fetched={listed} new=1 duplicates={listed - 1} skipped=0 errors=0"
        )
        assert club.watermark < SyncState.objects.get(owner_id=CLUB).watermark == second
    else:  # a page that is gone: kept with its snippet rather than blocking the watermark for ever
        assert (result.new, result.errors, result.unmatched) == (2, 0, 1)
        kept = InboxMessage.objects.get(clubos_message_id=first)
        assert kept.body_is_snippet
        assert kept.body == "first, from the broken page"
        assert club.watermark == second


def test_expired_api_tokens_mid_run_are_survived(clubos_sandbox):
    sync.clubos_sync_run()
    clubos_sandbox.set_token_ttl(1.0)
    message_id = clubos_sandbox.inject(member_id=DANA.clubos_id, text="still there?")
    time.sleep(1.1)  # the client's token is now stale: XHRs answer "Session Expired"
    clubos_sandbox.clear_requests()
    result = sync.clubos_sync_run()
    assert (result.new, result.errors) == (1, 0)
    assert [r.method for r in clubos_sandbox.requests("/action/Login")] == ["GET", "POST"]  # logged in again
    assert InboxMessage.objects.filter(clubos_message_id=message_id).exists()


# An idle poll (nothing new): the run lock and its release, the run log, the owner states and watermarks;
# on PostgreSQL also taking and dropping the advisory lock.
IDLE_POLL_QUERIES = 12
ADVISORY_LOCK_QUERIES = 2


@pytest.mark.parametrize("stored", [3, 30])
def test_an_idle_poll_costs_the_same_pinned_queries_however_many_messages_are_stored(
    clubos_sandbox, stored, django_assert_num_queries
):
    for index in range(stored):
        clubos_sandbox.inject(member_id=DANA.clubos_id, text=f"message {index}")
    assert sync.clubos_sync_run().new >= stored
    expected = IDLE_POLL_QUERIES + (ADVISORY_LOCK_QUERIES if connection.vendor == "postgresql" else 0)
    with django_assert_num_queries(expected):
        result = sync.clubos_sync_run()
    assert (result.new, result.errors) == (0, 0)


def test_a_namesakes_message_waits_while_their_history_fails_for_now(clubos_sandbox, monkeypatch):
    other_dana = Person(61_777_001, "Dana", "Reyes", "other.dana@example.net", "+17735550111")
    twin = clubos_sandbox.state.add_person(other_dana)
    sync.clubos_sync_run()
    message_id = clubos_sandbox.inject(member_id=twin.id, text="I'm the other Dana")
    real = ClubOSClient.member_history

    def history(self, *, member_id):
        if member_id == twin.id:
            raise ClubOSBadRequest("stale tokens")
        return real(self, member_id=member_id)

    monkeypatch.setattr(ClubOSClient, "member_history", history)
    assert sync.clubos_sync_run().errors == 1
    assert not InboxMessage.objects.filter(clubos_message_id=message_id).exists()  # waits, not stored unlinked

    monkeypatch.setattr(ClubOSClient, "member_history", real)
    sync.clubos_sync_run()
    stored = InboxMessage.objects.select_related("conversation__contact").get(clubos_message_id=message_id)
    assert (stored.body, stored.body_is_snippet) == ("I'm the other Dana", False)
    assert stored.conversation.contact.clubos_id == twin.id
