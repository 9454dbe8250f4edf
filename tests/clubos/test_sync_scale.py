"""The sync at a club's scale, pinned by behaviour (never by time): requests per run, bounded concurrency,
one login for as long as ClubOS keeps the session, malformed items counted as skipped, contacts written
only when they change. The timings are benchmarks/clubos_sync_bench.py's."""

from __future__ import annotations

import time
from collections import Counter

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from accounts import demo
from clubos.models import StoredSession
from clubos.sandbox.state import Person
from clubos.services import session, sync
from inbox.models import Contact, InboxMessage
from inbox.services.ingest import clubos_message_sink

pytestmark = pytest.mark.django_db(transaction=True)

CLUB = demo.CLUB_LOCATION_ID


@pytest.fixture
def busy_club(clubos_sandbox, settings):
    """A club inbox of 60 texts from 12 members nobody has searched for yet (no demo inbox)."""
    clubos_sandbox.reset()
    with clubos_sandbox.state.lock:
        for owner in clubos_sandbox.state.lists:
            clubos_sandbox.state.lists[owner].clear()
    members = clubos_sandbox.bulk_members(12)
    clubos_sandbox.bulk_seed(60, owner_id=CLUB, member_ids=members)
    settings.CLUBOS_INBOX_OWNERS = [str(CLUB)]
    clubos_sandbox.clear_requests()
    return members


def _paths(sandbox) -> Counter[str]:
    return Counter(r.path for r in sandbox.requests())


def test_a_first_sync_costs_one_search_and_one_history_per_member_not_per_message(clubos_sandbox, busy_club):
    result = sync.clubos_sync_run()

    assert result.summary_line() == "sync: fetched=60 new=60 duplicates=0 skipped=0 errors=0"
    assert _paths(clubos_sandbox) == {
        "/action/Login/view": 1,
        "/action/Login": 1,
        "/action/Dashboard/view": 1,
        "/action/Dashboard/messages": 1,
        "/action/UserSearch/": 12,
        "/action/FollowUp": 12,
    }


@pytest.mark.parametrize("concurrency", [1, 4])
def test_history_and_search_requests_stay_within_the_concurrency_setting(
    clubos_sandbox, busy_club, settings, concurrency
):
    settings.CLUBOS_SYNC_CONCURRENCY = concurrency
    clubos_sandbox.set_latency(0.05)  # requests overlap only if the sync sends them together

    result = sync.clubos_sync_run()

    assert result.new == 60
    assert _paths(clubos_sandbox)["/action/FollowUp"] == 12  # the same requests, however many at once
    if concurrency == 1:
        assert clubos_sandbox.max_in_flight() == 1
    else:
        assert 2 <= clubos_sandbox.max_in_flight() <= concurrency


def test_the_pool_reads_the_next_batchs_members_while_a_batch_is_stored(
    clubos_sandbox, busy_club, settings, monkeypatch
):
    settings.CLUBOS_SYNC_BATCH_SIZE = 4  # 12 members: three batches need searches and histories, the rest none
    histories_during_first_store: list[int] = []
    ingest = clubos_message_sink.ingest

    def slow_ingest(*, messages):
        if not histories_during_first_store:
            deadline = time.monotonic() + 10
            while len(clubos_sandbox.requests("/action/FollowUp")) <= 4 and time.monotonic() < deadline:
                time.sleep(0.01)
            histories_during_first_store.append(len(clubos_sandbox.requests("/action/FollowUp")))
        return ingest(messages=messages)

    monkeypatch.setattr(clubos_message_sink, "ingest", slow_ingest)
    result = sync.clubos_sync_run()

    assert result.summary_line() == "sync: fetched=60 new=60 duplicates=0 skipped=0 errors=0"
    assert histories_during_first_store[0] > 4  # the second batch's members, read while the first was stored
    assert _paths(clubos_sandbox)["/action/FollowUp"] == 12  # read ahead, never twice


@pytest.mark.parametrize("concurrency", [1, 2])
def test_namesakes_read_on_demand_share_the_concurrency_bound_with_the_read_ahead(
    clubos_sandbox, busy_club, settings, concurrency
):
    settings.CLUBOS_SYNC_CONCURRENCY = concurrency
    settings.CLUBOS_SYNC_BATCH_SIZE = 4
    for member in busy_club[:6]:  # half the senders have a namesake: their histories are read one by one
        person = clubos_sandbox.state.people[member]
        clubos_sandbox.state.add_person(Person(member + 500_000, person.first_name, person.last_name))
    clubos_sandbox.set_latency(0.03)

    result = sync.clubos_sync_run()

    assert result.summary_line() == "sync: fetched=60 new=60 duplicates=0 skipped=0 errors=0"
    assert 1 <= clubos_sandbox.max_in_flight() <= concurrency
    senders = set(Contact.objects.values_list("clubos_id", flat=True))
    assert senders == set(busy_club)  # each message with the namesake who sent it


def test_what_a_run_learns_is_reused_an_idle_poll_is_one_list_request(clubos_sandbox, busy_club):
    sync.clubos_sync_run()
    newcomer = busy_club[0]
    clubos_sandbox.inject(member_id=newcomer, text="One more question")
    clubos_sandbox.clear_requests()

    result = sync.clubos_sync_run()

    assert result.new == 1
    # The name was searched last run (the lookup is stored): only the member's history is read again.
    assert _paths(clubos_sandbox) == {"/action/Dashboard/messages": 1, "/action/FollowUp": 1}
    clubos_sandbox.clear_requests()
    sync.clubos_sync_run()
    assert _paths(clubos_sandbox) == {"/action/Dashboard/messages": 1}


def test_a_new_process_continues_the_stored_session_without_logging_in(clubos_sandbox, busy_club):
    sync.clubos_sync_run()
    stored = StoredSession.objects.get()
    assert "sandbox-password" not in stored.data  # cookies and the dashboard, never the password
    session.clubos_session_reset()  # what a new `manage.py sync_clubos` process starts with
    clubos_sandbox.clear_requests()

    sync.clubos_sync_run()

    assert _paths(clubos_sandbox) == {"/action/Dashboard/messages": 1}  # no login, no dashboard


def test_an_expired_stored_session_means_exactly_one_new_login(clubos_sandbox, busy_club):
    sync.clubos_sync_run()
    session.clubos_session_reset()
    clubos_sandbox.expire_sessions()
    clubos_sandbox.inject(member_id=busy_club[1], text="Still there?")
    clubos_sandbox.clear_requests()

    result = sync.clubos_sync_run()

    assert result.new == 1
    paths = _paths(clubos_sandbox)
    assert (paths["/action/Login/view"], paths["/action/Login"]) == (1, 1)
    # The next process continues the new session.
    session.clubos_session_reset()
    clubos_sandbox.clear_requests()
    sync.clubos_sync_run()
    assert _paths(clubos_sandbox) == {"/action/Dashboard/messages": 1}


def test_a_session_ended_during_concurrent_reads_logs_in_once(clubos_sandbox, busy_club, settings):
    settings.CLUBOS_SYNC_CONCURRENCY = 4
    clubos_sandbox.set_latency(0.02)
    clubos_sandbox.expire_sessions(after_requests=6)  # in the middle of the searches

    result = sync.clubos_sync_run()

    assert result.summary_line() == "sync: fetched=60 new=60 duplicates=0 skipped=0 errors=0"
    assert _paths(clubos_sandbox)["/action/Login"] == 2  # the first login and one more, not one per thread


def test_malformed_items_are_skipped_never_duplicates_on_every_run(clubos_sandbox, busy_club):
    clubos_sandbox.set_malformed_items(4)

    first = sync.clubos_sync_run()
    idle = sync.clubos_sync_run()

    assert first.summary_line() == "sync: fetched=64 new=60 duplicates=0 skipped=4 errors=0"
    assert idle.summary_line() == "sync: fetched=64 new=0 duplicates=60 skipped=4 errors=0"


def test_an_idle_polls_unchanged_tail_is_counted_once_and_stays_right(clubos_sandbox, busy_club, monkeypatch):
    """The items below the watermark are counted on every run (skipped, never duplicates); an unchanged tail's
    count is remembered, a changed one is counted again."""
    from clubos import parsers

    scans: list[int] = []
    real = parsers.count_list_rest

    def counted(rest: str) -> tuple[int, int]:
        scans.append(len(rest))
        return real(rest)

    monkeypatch.setattr(parsers, "count_list_rest", counted)
    clubos_sandbox.set_malformed_items(4)
    sync.clubos_sync_run()
    runs = [sync.clubos_sync_run() for _ in range(3)]
    assert {run.summary_line() for run in runs} == {"sync: fetched=64 new=0 duplicates=60 skipped=4 errors=0"}
    assert len(scans) == 1  # the three idle runs read one tail

    clubos_sandbox.set_malformed_items(2)  # the tail changed: counted again, and right
    assert sync.clubos_sync_run().summary_line() == "sync: fetched=62 new=0 duplicates=60 skipped=2 errors=0"
    assert len(scans) == 2


def test_with_the_cache_down_the_tail_is_still_counted(clubos_sandbox, busy_club, monkeypatch):
    from django.core.cache import cache

    clubos_sandbox.set_malformed_items(4)
    sync.clubos_sync_run()

    def down(*args, **kwargs):
        raise ConnectionError("redis down")

    monkeypatch.setattr(cache, "get", down)
    monkeypatch.setattr(cache, "set", down)
    assert sync.clubos_sync_run().summary_line() == "sync: fetched=64 new=0 duplicates=60 skipped=4 errors=0"


def test_contacts_are_written_only_when_they_change(clubos_sandbox, busy_club):
    sync.clubos_sync_run()
    assert Contact.objects.count() == 12
    for member in busy_club[:3]:
        clubos_sandbox.inject(member_id=member, text="Unchanged contact, new text")

    with CaptureQueriesContext(connection) as unchanged:
        assert sync.clubos_sync_run().new == 3
    contact_writes = [q["sql"] for q in unchanged.captured_queries if "inbox_contact" in q["sql"].split(" WHERE")[0]]
    assert not [sql for sql in contact_writes if sql.startswith(("INSERT", "UPDATE"))]

    with clubos_sandbox.state.lock:
        clubos_sandbox.state.people[busy_club[0]].email = "new.address@members.example"
        clubos_sandbox.state.people[busy_club[1]].email = "another.address@members.example"
    for member in busy_club[:2]:
        clubos_sandbox.inject(member_id=member, text="New address")
    with CaptureQueriesContext(connection) as changed:
        assert sync.clubos_sync_run().new == 2
    updates = [q["sql"] for q in changed.captured_queries if q["sql"].startswith('UPDATE "inbox_contact"')]
    assert len(updates) == 1  # both changed contacts in one bulk write
    assert set(Contact.objects.filter(clubos_id__in=busy_club[:2]).values_list("email", flat=True)) == {
        "new.address@members.example",
        "another.address@members.example",
    }
    assert InboxMessage.objects.count() == 65
