"""The conversation list's reads: each filter, the counts, unread-for-me and the staff badge."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from inbox import selectors
from inbox.models import Conversation, Label, Note, ReadState
from inbox.selectors import ListCursor, Scope
from inbox.services.actions import conversation_mark_read
from inbox.services.ingest import clubos_message_sink
from tests.accounts.factories import StaffFactory, as_user

from .factories import ContactFactory, ConversationFactory, InboxMessageFactory, synced

pytestmark = pytest.mark.django_db


def _inbound(*, name: str, clubos_id: int, body: str = "Is the pool open?", minutes_ago: int = 5) -> Conversation:
    clubos_message_sink.ingest(messages=[synced(clubos_id=clubos_id, name=name, body=body, minutes_ago=minutes_ago)])
    return Conversation.objects.get(contact__clubos_id=clubos_id)


def _names(conversations) -> list[str]:
    return [c.contact.display_name for c in conversations]


def _read(conversation: Conversation, user) -> None:
    conversation.refresh_from_db()
    conversation_mark_read(conversation=conversation, user=user)


@pytest.fixture
def other_staff(db):
    return as_user(StaffFactory())


# --- the badge: unread for me, open or mine ------------------------------------------------------


def test_badge_counts_until_my_read_pointer_passes_the_newest_inbound(staff):
    conversation = _inbound(name="Dana Reyes", clubos_id=1)
    assert selectors.staff_unread_count(user=staff) == 1
    _read(conversation, staff)
    assert ReadState.objects.get(user=staff, conversation=conversation).last_read_message_id == (
        conversation.last_inbound_id
    )
    assert selectors.staff_unread_count(user=staff) == 0
    _inbound(name="Dana Reyes", clubos_id=1, body="Hello?", minutes_ago=1)  # a new text moves past my pointer
    assert selectors.staff_unread_count(user=staff) == 1


def test_another_staff_members_read_does_not_change_my_badge(staff, other_staff):
    conversation = _inbound(name="Dana Reyes", clubos_id=1)
    _read(conversation, other_staff)
    assert selectors.staff_unread_count(user=other_staff) == 0
    assert selectors.staff_unread_count(user=staff) == 1


def test_resolved_and_not_mine_is_not_counted_but_assigned_to_me_counts_even_if_pending(staff, other_staff):
    resolved = _inbound(name="Rita Resolved", clubos_id=1)
    pending_mine = _inbound(name="Pat Pending", clubos_id=2)
    pending_theirs = _inbound(name="Olly Other", clubos_id=3)
    Conversation.objects.filter(pk=resolved.pk).update(status="resolved")
    Conversation.objects.filter(pk=pending_mine.pk).update(status="pending", assignee=staff)
    Conversation.objects.filter(pk=pending_theirs.pk).update(status="pending", assignee=other_staff)
    assert selectors.staff_unread_count(user=staff) == 1  # only the pending one assigned to me
    assert selectors.staff_unread_count(user=other_staff) == 1


def test_badge_is_one_query_once_built(staff, django_assert_num_queries):
    _inbound(name="A A", clubos_id=1)
    assert selectors.staff_unread_count(user=staff) == 1  # the first read builds the badge's entries
    _inbound(name="B B", clubos_id=2)
    with django_assert_num_queries(1):
        assert selectors.staff_unread_count(user=staff) == 2


def test_conversation_without_inbound_is_never_unread(staff):
    ConversationFactory.create()  # no inbound message: last_inbound_id is empty
    assert selectors.staff_unread_count(user=staff) == 0
    assert [c.unread_for_me for c in selectors.conversation_list(user=staff)] == [False]  # type: ignore[attr-defined]


# --- the list and its filters --------------------------------------------------------------------


def test_list_is_latest_activity_first_and_marks_unread_for_me(staff):
    older = _inbound(name="Older Olga", clubos_id=1, minutes_ago=60)
    _inbound(name="Newer Nina", clubos_id=2, minutes_ago=1)
    _read(older, staff)
    rows = list(selectors.conversation_list(user=staff))
    assert _names(rows) == ["Newer Nina", "Older Olga"]
    assert [row.unread_for_me for row in rows] == [True, False]  # type: ignore[attr-defined]


def test_filter_by_status_scope_label_channel_source_and_unread(staff, other_staff):
    mine = _inbound(name="Mia Mine", clubos_id=1)
    theirs = _inbound(name="Theo Theirs", clubos_id=2)
    loose = _inbound(name="Una Unassigned", clubos_id=3)
    Conversation.objects.filter(pk=mine.pk).update(assignee=staff, status="pending")
    Conversation.objects.filter(pk=theirs.pk).update(assignee=other_staff, last_message_channel="email")
    Conversation.objects.filter(pk=loose.pk).update(source="webchat")
    billing = Label.objects.create(name="billing")
    theirs.labels.add(billing)
    _read(loose, staff)

    def names(**filters) -> set[str]:
        return set(_names(selectors.conversation_list(user=staff, **filters)))

    assert names(status="pending") == {"Mia Mine"}
    assert names(status="open") == {"Theo Theirs", "Una Unassigned"}
    assert names(scope=Scope.MINE) == {"Mia Mine"}
    assert names(scope=Scope.UNASSIGNED) == {"Una Unassigned"}
    assert names(label_id=billing.pk) == {"Theo Theirs"}
    assert names(channel="email") == {"Theo Theirs"}
    assert names(channel="sms") == {"Mia Mine", "Una Unassigned"}
    assert names(source="webchat") == {"Una Unassigned"}
    assert names(unread_only=True) == {"Mia Mine", "Theo Theirs"}
    assert names(status="open", unread_only=True, scope=Scope.ALL) == {"Theo Theirs"}


def test_mine_includes_mentions_in_notes_of_conversations_not_resolved(staff, other_staff):
    mentioned = _inbound(name="Nora Noted", clubos_id=1)
    done = _inbound(name="Dora Done", clubos_id=2)
    for conversation in (mentioned, done):
        note = Note.objects.create(
            conversation=conversation, author=other_staff, body="@me look", created_at=datetime.now(UTC)
        )
        note.mentions.add(staff)
    Conversation.objects.filter(pk=done.pk).update(status="resolved")
    assert _names(selectors.conversation_list(user=staff, scope=Scope.MINE)) == ["Nora Noted"]
    assert list(selectors.conversation_list(user=other_staff, scope=Scope.MINE)) == []


def test_search_matches_name_phone_email_and_message_text(staff):
    ContactFactory.reset_sequence()
    by_text = _inbound(name="Tess Text", clubos_id=1, body="Can I freeze my membership?")
    by_phone = ConversationFactory.create(contact=ContactFactory.create(name="Phil Phone", phone="+17735550199"))
    by_email = ConversationFactory.create(contact=ContactFactory.create(name="Emma Mail", email="emma@gym.test"))
    InboxMessageFactory.create(conversation=by_phone, body="hello")
    InboxMessageFactory.create(conversation=by_email, body="hello")

    def found(q: str) -> list[str]:
        return _names(selectors.conversation_list(user=staff, q=q))

    assert found("freeze") == [by_text.contact.name]
    assert found("5550199") == ["Phil Phone"]
    assert found("EMMA@GYM") == ["Emma Mail"]
    assert found("tess") == ["Tess Text"]
    assert found("nobody-matches-this") == []


@pytest.mark.parametrize("as_set", [2000, 0], ids=["rare-word-as-a-set", "common-word-per-conversation"])
def test_message_text_search_finds_the_same_conversations_by_either_plan(staff, as_set, monkeypatch):
    from django.db import connection

    if connection.vendor != "postgresql":
        pytest.skip("needs PostgreSQL: SQLite searches with a plain match, one plan")
    monkeypatch.setattr(selectors, "TEXT_MATCHES_AS_SET", as_set)  # 0: any estimate is "common"
    sauna = [_inbound(name=f"Sam Sauna {n}", clubos_id=n + 1, body="The sauna is cold") for n in range(3)]
    _inbound(name="Pat Pool", clubos_id=9, body="Is the pool open?")
    found = selectors.conversation_list(user=staff, q="sauna")
    assert {row.pk for row in found} == {c.pk for c in sauna}
    assert ("to_tsvector" in str(found.query)) is (as_set == 0)  # checked per conversation, or a set of ids


def test_keyset_pages_walk_every_row_once_without_counting(staff, django_assert_num_queries):
    base = datetime(2026, 1, 1, tzinfo=UTC)
    for n in range(7):  # two share a timestamp: the id breaks the tie
        ConversationFactory.create(last_message_at=base + timedelta(minutes=min(n, 5)))
    seen: list[int] = []
    cursor: ListCursor | None = None
    while True:
        with django_assert_num_queries(2):  # the rows, their labels
            rows, cursor = selectors.conversation_list_page(
                conversations=selectors.conversation_list(user=staff, after=cursor), size=3
            )
        seen += [row.pk for row in rows]
        if cursor is None:
            break
    expected = list(Conversation.objects.order_by("-last_message_at", "-pk").values_list("pk", flat=True))
    assert seen == expected


def test_updated_since_keeps_recently_changed_conversations(staff):
    old = ConversationFactory.create()
    Conversation.objects.filter(pk=old.pk).update(updated_at=datetime(2025, 1, 1, tzinfo=UTC))
    fresh = ConversationFactory.create()
    rows = selectors.conversation_list(user=staff, updated_since=datetime(2026, 1, 1, tzinfo=UTC))
    assert [row.pk for row in rows] == [fresh.pk]


def test_filter_counts_per_status_and_for_me_in_one_query(staff, other_staff, django_assert_num_queries):
    a = _inbound(name="A A", clubos_id=1)
    b = _inbound(name="B B", clubos_id=2)
    c = _inbound(name="C C", clubos_id=3)
    Conversation.objects.filter(pk=a.pk).update(assignee=staff)
    Conversation.objects.filter(pk=b.pk).update(status="snoozed", assignee=other_staff)
    Conversation.objects.filter(pk=c.pk).update(status="resolved")
    _read(a, staff)
    with django_assert_num_queries(1):
        counts = selectors.conversation_filter_counts(user=staff)
    assert counts == {
        "open": 1, "pending": 0, "snoozed": 1, "resolved": 1, "all": 3,
        "mine": 1, "unassigned": 0, "unread": 1,  # b: snoozed, not read by me; c is resolved
    }  # fmt: skip


def test_mine_counts_assigned_and_mentioning_once_each_up_to_the_cap(staff, other_staff, monkeypatch):
    monkeypatch.setattr(selectors, "COUNT_CAP", 2)
    conversations = [_inbound(name=f"Person {n}", clubos_id=n + 1) for n in range(5)]
    Conversation.objects.filter(pk__in=[c.pk for c in conversations[:2]]).update(assignee=staff)
    for conversation in conversations[1:3]:  # one of them also assigned to me: counted once
        note = Note.objects.create(
            conversation=conversation, author=other_staff, body="@me", created_at=datetime.now(UTC)
        )
        note.mentions.add(staff)
    Conversation.objects.filter(pk=conversations[4].pk).update(status="resolved", assignee=staff)
    assert selectors.conversation_filter_counts(user=staff)["mine"] == 3  # past the cap of 2: "2+"
    Conversation.objects.filter(pk=conversations[0].pk).update(assignee=None)
    assert selectors.conversation_filter_counts(user=staff)["mine"] == 2
    Conversation.objects.filter(pk__in=[c.pk for c in conversations[:4]]).update(assignee=staff)
    assert selectors.conversation_filter_counts(user=staff)["mine"] == 3  # by the assignments alone
    assert selectors.count_label(3) == "2+"
