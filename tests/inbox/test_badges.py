"""The staff badge stays exact after every event, checked against the anti-join it replaces (the oracle)."""

from __future__ import annotations

import threading
from datetime import timedelta

import pytest
from django.db.models import Exists, OuterRef, Q
from django.urls import reverse
from django.utils import timezone

from inbox import selectors
from inbox.models import BadgeEntry, Conversation, ReadState, StaffBadge
from inbox.services import actions, badges, sources
from inbox.services.ingest import clubos_message_sink
from inbox.tasks import badges_rebuild as badges_rebuild_task
from tests.accounts.factories import StaffFactory, as_user

from .factories import synced

pytestmark = pytest.mark.django_db


def _unread_for(user):
    read = ReadState.objects.filter(
        conversation=OuterRef("pk"), user=user, last_read_message_id__gte=OuterRef("last_inbound_id")
    )
    return Conversation.objects.filter(last_inbound_id__isnull=False).exclude(Exists(read))


def _oracle(user) -> set[int]:
    """What the badge counted before it had entries: open or mine, with an inbound message past my pointer."""
    return set(_unread_for(user).filter(Q(status="open") | Q(assignee=user)).values_list("pk", flat=True))


def _kept_oracle(user) -> set[int]:
    """The entries kept: unread for me, and not resolved or mine."""
    return set(_unread_for(user).filter(~Q(status="resolved") | Q(assignee=user)).values_list("pk", flat=True))


def _entries(user) -> set[int]:
    """The conversations counted in my badge, by the entries."""
    return set(BadgeEntry.objects.filter(user=user, counted=True).values_list("conversation_id", flat=True))


def assert_exact(*users) -> None:
    for user in users:
        expected = _oracle(user)
        assert selectors.staff_unread_count(user=user) == len(expected)
        assert _entries(user) == expected
        kept = set(BadgeEntry.objects.filter(user=user).values_list("conversation_id", flat=True))
        assert kept == _kept_oracle(user)


def _inbound(*, clubos_id: int = 1, name: str = "Dana Reyes", body: str = "Is the pool open?") -> Conversation:
    clubos_message_sink.ingest(messages=[synced(clubos_id=clubos_id, name=name, body=body)])
    return Conversation.objects.get(contact__clubos_id=clubos_id)


def _read(conversation: Conversation, user) -> None:
    conversation.refresh_from_db()
    actions.conversation_mark_read(conversation=conversation, user=user)


@pytest.fixture
def other_staff(db):
    return as_user(StaffFactory())


@pytest.fixture
def built(staff, other_staff):
    """Both staff members' badges built (read once) before anything happens."""
    assert selectors.staff_unread_count(user=staff) == 0
    assert selectors.staff_unread_count(user=other_staff) == 0
    return staff, other_staff


def test_an_inbound_message_on_an_open_conversation_counts_for_every_built_badge(built):
    staff, other = built
    _inbound()
    assert selectors.staff_unread_count(user=staff) == 1
    assert_exact(staff, other)


def test_reading_clears_my_badge_only_and_a_new_message_past_my_pointer_counts_again(built):
    staff, other = built
    conversation = _inbound()
    _read(conversation, staff)
    assert selectors.staff_unread_count(user=staff) == 0
    assert selectors.staff_unread_count(user=other) == 1
    assert_exact(staff, other)
    _inbound(body="Hello?")
    assert selectors.staff_unread_count(user=staff) == 1
    assert_exact(staff, other)


def test_mark_unread_counts_it_again_for_me(built):
    staff, other = built
    conversation = _inbound()
    _read(conversation, staff)
    _read(conversation, other)
    actions.conversation_mark_unread(conversation=conversation, user=staff)
    assert (selectors.staff_unread_count(user=staff), selectors.staff_unread_count(user=other)) == (1, 0)
    assert_exact(staff, other)


def test_resolving_uncounts_and_an_inbound_message_reopening_it_counts_again(built):
    staff, other = built
    conversation = _inbound()
    actions.conversation_status_set(conversation=conversation, actor=staff, status="resolved")
    assert selectors.staff_unread_count(user=staff) == 0
    assert_exact(staff, other)
    reopened = _inbound(body="Still there?")
    assert reopened.status == "open"
    assert selectors.staff_unread_count(user=staff) == 1
    assert_exact(staff, other)


def test_assigned_to_me_counts_while_resolved_and_stops_when_assigned_to_someone_else(built):
    staff, other = built
    conversation = _inbound()
    actions.conversation_status_set(conversation=conversation, actor=staff, status="resolved")
    actions.conversation_assign(conversation=conversation, actor=other, assignee=staff)
    assert (selectors.staff_unread_count(user=staff), selectors.staff_unread_count(user=other)) == (1, 0)
    assert_exact(staff, other)
    actions.conversation_assign(conversation=conversation, actor=staff, assignee=other)
    assert (selectors.staff_unread_count(user=staff), selectors.staff_unread_count(user=other)) == (0, 1)
    assert_exact(staff, other)
    actions.conversation_assign(conversation=conversation, actor=staff, assignee=None)
    assert_exact(staff, other)
    actions.conversation_status_set(conversation=conversation, actor=staff, status="pending")
    assert_exact(staff, other)


def test_snoozing_uncounts_and_the_wake_counts_it_again(built):
    staff, other = built
    conversation = _inbound()
    until = timezone.now() + timedelta(hours=1)
    actions.conversation_snooze(conversation=conversation, actor=staff, until=until)
    assert selectors.staff_unread_count(user=staff) == 0
    assert_exact(staff, other)
    assert actions.snoozes_wake(now=until + timedelta(seconds=1)) == 1
    assert selectors.staff_unread_count(user=staff) == 1
    assert_exact(staff, other)


def test_a_source_webhook_message_counts_and_reopens(built, settings):
    staff, other = built
    settings.INBOX_SOURCES_ALLOW_LOCAL_HTTP = True
    source = sources.IntegrationSource.objects.create(slug="webchat", name="Chat", callback_url="https://x.test/r")
    contact = sources.SourceContact(id="v1", name="Visitor One")
    outcome = sources.source_message_ingest(source=source, message_id="m1", contact=contact, body="Hi")
    conversation = outcome.message.conversation
    assert selectors.staff_unread_count(user=staff) == 1
    actions.conversation_status_set(conversation=conversation, actor=staff, status="resolved")
    assert_exact(staff, other)
    sources.source_message_ingest(source=source, message_id="m2", contact=contact, body="Hello?")
    assert selectors.staff_unread_count(user=other) == 1
    assert_exact(staff, other)


def test_a_status_edited_in_admin_moves_the_badges(built, admin_client_logged_in):
    staff, other = built
    conversation = _inbound()
    url = reverse("admin:inbox_conversation_change", args=[conversation.pk])
    form = admin_client_logged_in.get(url).context["adminform"].form
    data = {name: form[name].value() or "" for name in form.fields}
    data |= {"status": "resolved", "labels": []}
    response = admin_client_logged_in.post(url, data)
    assert response.status_code == 302, response.context["adminform"].form.errors
    assert selectors.staff_unread_count(user=staff) == 0
    assert_exact(staff, other)


def test_a_new_staff_member_is_built_from_the_truth_on_first_read(staff, django_assert_num_queries):
    open_unread = _inbound(clubos_id=1, name="A A")
    read = _inbound(clubos_id=2, name="B B")
    resolved = _inbound(clubos_id=3, name="C C")
    actions.conversation_status_set(conversation=resolved, actor=staff, status="resolved")
    newcomer = as_user(StaffFactory())
    actions.conversation_assign(conversation=resolved, actor=staff, assignee=newcomer)
    _read(read, newcomer)  # reading builds nothing: only the badge's first read does
    assert not StaffBadge.objects.filter(user=newcomer).exists()

    assert selectors.staff_unread_count(user=newcomer) == 2  # open and unread, and resolved but theirs
    assert _entries(newcomer) == {open_unread.pk, resolved.pk}
    with django_assert_num_queries(1):  # built: a COUNT of the entries from now on
        assert selectors.staff_unread_count(user=newcomer) == 2
    assert_exact(newcomer, staff)


def test_members_and_anonymous_have_no_badge_and_build_nothing(member):
    from django.contrib.auth.models import AnonymousUser

    _inbound()
    assert selectors.staff_unread_count(user=member) is None
    assert selectors.staff_unread_count(user=AnonymousUser()) is None
    assert not StaffBadge.objects.exists()
    assert not BadgeEntry.objects.exists()


def test_the_rebuild_repairs_a_corrupted_entry_table(built, caplog):
    staff, other = built
    kept = _inbound(clubos_id=1, name="A A")
    lost = _inbound(clubos_id=2, name="B B")
    stray = _inbound(clubos_id=3, name="C C")
    _read(stray, staff)
    # A write path that forgot to reconcile, as the database would look after it:
    BadgeEntry.objects.filter(user=staff, conversation=lost).delete()
    BadgeEntry.objects.create(user=staff, conversation=stray, counted=True)
    BadgeEntry.objects.filter(user=other, conversation=stray).update(counted=False)
    Conversation.objects.filter(pk=kept.pk).update(status="resolved")  # behind the badges' back
    assert _entries(staff) != _oracle(staff)

    result = badges.badges_rebuild()

    assert (result.badges, result.added, result.removed, result.flipped, result.dropped) == (2, 1, 3, 1, 0)
    assert "repaired" in caplog.text
    assert_exact(staff, other)
    again = badges.badges_rebuild()
    assert again.added == again.removed == again.flipped == 0  # nothing left to repair


def test_the_rebuild_task_drops_badges_of_people_who_left_the_inbox_and_they_are_rebuilt_on_return(built):
    staff, other = built
    conversation = _inbound()
    other.role = "member"
    other.save(update_fields=["role"])
    assert "dropped=1" in badges_rebuild_task()
    assert not StaffBadge.objects.filter(user=other).exists()
    assert not BadgeEntry.objects.filter(user=other).exists()
    _read(conversation, staff)
    other.role = "staff"
    other.save(update_fields=["role"])
    assert selectors.staff_unread_count(user=other) == 1
    assert_exact(staff, other)


@pytest.mark.django_db(transaction=True)
def test_reconcile_refuses_to_run_outside_the_writing_transaction(staff):
    conversation = _inbound()
    with pytest.raises(RuntimeError, match="inside the transaction"):
        badges.badge_reconcile(conversation_ids=[conversation.pk])


def test_the_list_marks_unread_rows_that_agree_with_the_badge(built, staff_client):
    staff, _ = built
    first = _inbound(clubos_id=1, name="A A")
    second = _inbound(clubos_id=2, name="B B")
    _read(first, staff)
    rows = list(selectors.conversation_list(user=staff))
    unread_rows = {row.pk for row in rows if row.unread_for_me}  # type: ignore[attr-defined]
    assert unread_rows == _entries(staff) == {second.pk}
    listed = {row.pk for row in selectors.conversation_list(user=staff, unread_only=True, status="open")}
    assert listed == _entries(staff)
    assert staff_client.get(reverse("inbox:conversation_list")).context["inbox_unread"] == 1


def test_the_rebuild_is_on_the_beat_schedule(settings):
    from config.celery import beat_schedule

    settings.INBOX_BADGES_REBUILD_SECONDS = 300
    entry = beat_schedule()["inbox-badges-rebuild"]
    assert (entry["task"], entry["schedule"]) == (badges_rebuild_task.name, 300.0)


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_a_first_badge_read_waits_for_a_write_in_flight_and_counts_it(staff):
    """Without the advisory lock the build reads a snapshot without the uncommitted message, while that
    write's reconcile ran before the new badge existed: the new staff member's badge would miss it."""
    from django.db import connection, connections, transaction

    if connection.vendor != "postgresql":
        pytest.skip("needs PostgreSQL: SQLite serialises writers, so there is no race to test")
    newcomer = as_user(StaffFactory())
    reconciled, commit = threading.Event(), threading.Event()
    counted: list[int | None] = []
    errors: list[BaseException] = []

    def write() -> None:
        try:
            with transaction.atomic():
                clubos_message_sink.ingest(messages=[synced(clubos_id=1, name="Dana Reyes")])
                reconciled.set()
                commit.wait(timeout=10)
        except BaseException as error:
            errors.append(error)
        finally:
            connections.close_all()

    def first_read() -> None:
        try:
            counted.append(selectors.staff_unread_count(user=newcomer))
        except BaseException as error:
            errors.append(error)
        finally:
            connections.close_all()

    writer = threading.Thread(target=write)
    writer.start()
    assert reconciled.wait(timeout=10)
    reader = threading.Thread(target=first_read)
    reader.start()
    reader.join(timeout=0.5)
    assert reader.is_alive()  # waiting for the write to commit
    commit.set()
    writer.join(timeout=10)
    reader.join(timeout=10)
    assert not errors
    assert counted == [1]
    assert_exact(newcomer, staff)


def test_the_rebuild_command_repairs_and_reports(built):
    from io import StringIO

    from django.core.management import call_command

    staff, other = built
    conversation = _inbound()
    BadgeEntry.objects.filter(user=staff, conversation=conversation).delete()
    out = StringIO()
    call_command("inbox_badges_rebuild", stdout=out)
    assert out.getvalue().strip() == "inbox_badges_rebuild: checked=2 added=1 removed=0 flipped=0 dropped=0"
    assert_exact(staff, other)


def test_the_filter_bars_unread_count_from_my_entries_agrees_with_the_anti_join(built, django_assert_num_queries):
    staff, other = built
    conversations = [_inbound(clubos_id=n + 1, name=f"Person {n}") for n in range(6)]
    actions.conversation_status_set(conversation=conversations[0], actor=other, status="pending")
    actions.conversation_snooze(conversation=conversations[1], actor=other, until=timezone.now() + timedelta(hours=1))
    actions.conversation_status_set(conversation=conversations[2], actor=other, status="resolved")
    actions.conversation_assign(conversation=conversations[2], actor=other, assignee=staff)  # resolved, mine
    actions.conversation_assign(conversation=conversations[3], actor=other, assignee=other)
    _read(conversations[4], staff)

    def unread_active(user) -> int:
        return len(_unread_for(user).filter(last_message_at__isnull=False).exclude(status="resolved"))

    for user in (staff, other):
        with django_assert_num_queries(1):
            counts = selectors.conversation_filter_counts(user=user)
        assert counts["unread"] == unread_active(user)
    assert selectors.conversation_filter_counts(user=staff)["unread"] == 4  # pending, snoozed, theirs, one open
    newcomer = as_user(StaffFactory())  # no badge yet: the anti-join answers, the same
    assert selectors.conversation_filter_counts(user=newcomer)["unread"] == unread_active(newcomer) == 5
    assert not StaffBadge.objects.filter(user=newcomer).exists()
