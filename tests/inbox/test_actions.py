"""The conversation actions (inbox.services.actions): each acts, audits and announces; per-staff read state."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core.exceptions import PermissionDenied
from django.utils import timezone

from accounts.models import User
from inbox import live, selectors
from inbox.exceptions import ActionNotAllowed, ReplyNotAllowed
from inbox.models import Conversation, ConversationEvent, DeliveryStatus, EventKind, Label, ReadState
from inbox.services import actions, conversations
from inbox.services.ingest import clubos_message_sink
from inbox.tasks import snoozes_wake
from realtime.push import EVENT
from tests.accounts.factories import MemberFactory, StaffFactory, as_user
from tests.inbox.factories import ConversationFactory, InboxMessageFactory, LabelFactory, synced

pytestmark = pytest.mark.django_db


def _events(conversation: Conversation, kind: str | None = None) -> list[ConversationEvent]:
    rows = ConversationEvent.objects.filter(conversation=conversation).order_by("pk")
    return list(rows.filter(kind=kind) if kind else rows)


@pytest.fixture
def sent_groups(monkeypatch):
    """What the on-commit pushes would send (group, message), captured at send time."""
    sent: list[tuple[str, dict]] = []
    monkeypatch.setattr("realtime.push._send_now", lambda groups, message: sent.extend((g, message) for g in groups))
    return sent


def _changed_ids(sent: list[tuple[str, dict]]) -> set[tuple[str, int]]:
    return {
        (group, message["data"]["conversation_id"])
        for group, message in sent
        if message["type"] == EVENT and message["event"] == live.CONVERSATION_CHANGED
    }


# --- assign ------------------------------------------------------------------------------------


def test_assign_take_and_unassign_are_audited_and_announced_after_commit(
    staff, sent_groups, django_capture_on_commit_callbacks
):
    conversation = ConversationFactory.create()
    colleague = as_user(StaffFactory())
    with django_capture_on_commit_callbacks(execute=True):
        actions.conversation_assign(conversation=conversation, actor=staff, assignee=staff)
    assert Conversation.objects.get().assignee_id == staff.pk
    assert _changed_ids(sent_groups) == {
        (live.STAFF_GROUP, conversation.pk),
        (live.conversation_group(conversation.pk), conversation.pk),
    }
    actions.conversation_assign(conversation=conversation, actor=staff, assignee=colleague)
    actions.conversation_assign(conversation=conversation, actor=colleague, assignee=None)
    details = [(e.actor_id, e.details["from"], e.details["to"]) for e in _events(conversation, EventKind.ASSIGNED)]
    assert details == [
        (staff.pk, None, staff.pk),
        (staff.pk, staff.pk, colleague.pk),
        (colleague.pk, colleague.pk, None),
    ]
    assert Conversation.objects.get().assignee_id is None


def test_assigning_to_whoever_has_it_already_changes_nothing(staff, sent_groups, django_capture_on_commit_callbacks):
    conversation = ConversationFactory.create(assignee=staff)
    with django_capture_on_commit_callbacks(execute=True):
        actions.conversation_assign(conversation=conversation, actor=staff, assignee=staff)
    assert _events(conversation) == []
    assert sent_groups == []


def test_only_active_staff_can_assign_or_be_assigned(staff, member):
    conversation = ConversationFactory.create()
    with pytest.raises(PermissionDenied):
        actions.conversation_assign(conversation=conversation, actor=member, assignee=staff)
    with pytest.raises(ActionNotAllowed, match="active club staff"):
        actions.conversation_assign(conversation=conversation, actor=staff, assignee=member)
    gone = as_user(StaffFactory(is_active=False))
    with pytest.raises(ActionNotAllowed):
        actions.conversation_assign(conversation=conversation, actor=staff, assignee=gone)
    assert Conversation.objects.get().assignee_id is None
    assert _events(conversation) == []


# --- labels, priority, status, snooze -----------------------------------------------------------------


def test_labels_set_by_id_and_by_name_creates_new_ones_case_insensitively(staff):
    conversation = ConversationFactory.create()
    billing = LabelFactory.create(name="Billing")
    labels = actions.conversation_labels_set(
        conversation=conversation, actor=staff, label_ids=[billing.pk], names=["billing", " PT  lead "]
    )
    assert [label.name for label in labels] == ["Billing", "PT lead"]
    assert Label.objects.count() == 2
    assert sorted(Conversation.objects.get().labels.values_list("name", flat=True)) == ["Billing", "PT lead"]
    actions.conversation_labels_set(conversation=conversation, actor=staff, names=["pt lead"])
    events = _events(conversation, EventKind.LABELLED)
    assert [(e.details["from"], e.details["to"]) for e in events] == [
        ([], ["Billing", "PT lead"]),
        (["Billing", "PT lead"], ["PT lead"]),
    ]


def test_labels_refuse_unknown_ids_and_control_characters(staff):
    conversation = ConversationFactory.create()
    with pytest.raises(ActionNotAllowed, match="No such label"):
        actions.conversation_labels_set(conversation=conversation, actor=staff, label_ids=[999])
    with pytest.raises(ActionNotAllowed, match="control characters"):
        actions.conversation_labels_set(conversation=conversation, actor=staff, names=["bad\x00name"])
    assert not Label.objects.exists()


def test_priority_and_status_changes_are_audited_with_from_and_to(staff):
    conversation = ConversationFactory.create()
    actions.conversation_priority_set(conversation=conversation, actor=staff, priority="urgent")
    actions.conversation_status_set(conversation=conversation, actor=staff, status="resolved")
    actions.conversation_status_set(conversation=conversation, actor=staff, status="open")  # reopen
    actions.conversation_status_set(conversation=conversation, actor=staff, status="open")  # no change
    stored = Conversation.objects.get()
    assert (stored.priority, stored.status) == ("urgent", "open")
    assert stored.status_changed_at is not None
    assert [(e.kind, e.details["from"], e.details["to"]) for e in _events(conversation)] == [
        ("priority", "normal", "urgent"),
        ("status", "open", "resolved"),
        ("status", "resolved", "open"),
    ]
    with pytest.raises(ActionNotAllowed):
        actions.conversation_priority_set(conversation=conversation, actor=staff, priority="whenever")
    with pytest.raises(ActionNotAllowed, match="snoozing needs a time"):
        actions.conversation_status_set(conversation=conversation, actor=staff, status="snoozed")


def test_snooze_needs_a_future_time_and_wakes_when_due(staff, clubroom_now):
    conversation = ConversationFactory.create()
    now = timezone.now()
    with pytest.raises(ActionNotAllowed, match="future"):
        actions.conversation_snooze(conversation=conversation, actor=staff, until=now - timedelta(minutes=1))
    actions.conversation_snooze(conversation=conversation, actor=staff, until=now + timedelta(hours=2))
    stored = Conversation.objects.get()
    assert stored.status == "snoozed"
    assert snoozes_wake.apply().get() == "snoozes: woke=0"  # not due yet
    assert actions.snoozes_wake(now=now + timedelta(hours=2, seconds=1)) == 1
    stored = Conversation.objects.get()
    assert (stored.status, stored.snoozed_until) == ("open", None)
    last = _events(conversation)[-1]
    assert (last.kind, last.actor_id, last.details["from"], last.details["to"]) == ("status", None, "snoozed", "open")


def test_a_new_inbound_message_reopens_a_snoozed_conversation(staff):
    clubos_message_sink.ingest(messages=[synced(clubos_id=61_000_100, body="first")])
    conversation = Conversation.objects.get()
    actions.conversation_snooze(conversation=conversation, actor=staff, until=timezone.now() + timedelta(days=1))
    clubos_message_sink.ingest(messages=[synced(clubos_id=61_000_100, body="are you there?")])
    assert Conversation.objects.get().status == "open"


def test_the_wake_task_is_on_the_beat_schedule():
    from config.celery import beat_schedule

    assert beat_schedule()["inbox-snoozes-wake"]["task"] == snoozes_wake.name == "inbox.tasks.snoozes_wake"


# --- per-staff read state --------------------------------------------------------------------------


def test_read_and_unread_move_only_my_pointer(staff):
    colleague = as_user(StaffFactory())
    clubos_message_sink.ingest(messages=[synced(body="one", minutes_ago=9), synced(body="two", minutes_ago=8)])
    conversation = Conversation.objects.get()
    first, second = conversation.messages.order_by("pk").values_list("pk", flat=True)
    assert actions.conversation_mark_read(conversation=conversation, user=staff) is True
    assert selectors.read_pointer(conversation=conversation, user=staff) == second
    assert selectors.read_pointer(conversation=conversation, user=colleague) == 0  # theirs did not move
    assert actions.conversation_mark_read(conversation=Conversation.objects.get(), user=staff) is False

    assert actions.conversation_mark_unread(conversation=conversation, user=staff) is True
    assert selectors.read_pointer(conversation=conversation, user=staff) == first
    assert ReadState.objects.filter(user=colleague).count() == 0
    kinds = [(e.kind, e.actor_id, e.details["to"]) for e in _events(conversation)]
    assert kinds == [("read", staff.pk, second), ("unread", staff.pk, first)]


def test_mark_unread_of_a_single_message_goes_back_to_zero_and_needs_a_member_message(staff):
    clubos_message_sink.ingest(messages=[synced(body="only one")])
    conversation = Conversation.objects.get()
    actions.conversation_mark_read(conversation=conversation, user=staff)
    assert actions.conversation_mark_unread(conversation=conversation, user=staff) is True
    assert selectors.read_pointer(conversation=conversation, user=staff) == 0
    empty = ConversationFactory.create()
    with pytest.raises(ActionNotAllowed, match="no message from the member"):
        actions.conversation_mark_unread(conversation=empty, user=staff)


def test_reading_refreshes_only_my_badge(staff, sent_groups, django_capture_on_commit_callbacks):
    clubos_message_sink.ingest(messages=[synced(body="hi")])
    conversation = Conversation.objects.get()
    Conversation.objects.update(unread_count=0)  # the team counter is not what this test is about
    conversation.refresh_from_db()
    sent_groups.clear()
    with django_capture_on_commit_callbacks(execute=True):
        actions.conversation_mark_read(conversation=conversation, user=staff)
    assert [group for group, message in sent_groups] == [f"user.{staff.pk}"]


# --- notes and mentions -----------------------------------------------------------------------------


def test_note_mentions_staff_by_username_or_unique_first_name_never_members(staff):
    sam = as_user(StaffFactory(username="sam.lee", first_name="Sam"))
    alex = as_user(StaffFactory(username="alex", first_name="Alex"))
    twin_a = as_user(StaffFactory(username="jo1", first_name="Jo"))
    as_user(StaffFactory(username="jo2", first_name="Jo"))  # "@jo" is ambiguous: nobody
    member = as_user(MemberFactory(username="mia", first_name="Mia"))
    conversation = ConversationFactory.create()
    note = actions.note_add(
        conversation=conversation,
        author=staff,
        body="@sam.lee and @ALEX please call back; @jo @mia @jo1, email@example.com",
    )
    assert set(note.mentions.all()) == {sam, alex, twin_a}
    assert member not in note.mentions.all()
    event = _events(conversation, EventKind.NOTED)[0]
    assert sorted(event.details["mentions"]) == sorted([sam.pk, alex.pk, twin_a.pk])
    assert list(selectors.conversations_mentioning(user=sam)) == [conversation]
    assert list(selectors.conversations_mentioning(user=staff)) == []


def test_notes_refuse_empty_and_control_characters_and_members(staff, member):
    conversation = ConversationFactory.create()
    with pytest.raises(ActionNotAllowed):
        actions.note_add(conversation=conversation, author=staff, body="   ")
    with pytest.raises(ActionNotAllowed):
        actions.note_add(conversation=conversation, author=staff, body="a\x00b")
    with pytest.raises(PermissionDenied):
        actions.note_add(conversation=conversation, author=member, body="hi")
    assert not conversation.notes.exists()


# --- replies and retries -----------------------------------------------------------------------------


def test_a_reply_is_audited_once_per_idempotency_key(staff):
    conversation = ConversationFactory.create()
    first = conversations.conversation_reply(
        conversation=conversation, author=staff, channel="sms", body="Hi", idempotency_key="k1"
    )
    again = conversations.conversation_reply(
        conversation=conversation, author=staff, channel="sms", body="Hi", idempotency_key="k1"
    )
    assert first.pk == again.pk
    assert [(e.actor_id, e.details["message_id"]) for e in _events(conversation, EventKind.REPLIED)] == [
        (staff.pk, first.pk)
    ]


def test_retrying_a_failed_reply_queues_one_new_message(staff):
    conversation = ConversationFactory.create()
    failed = InboxMessageFactory.create(
        conversation=conversation, direction="outbound", author_kind="staff", author=staff, body="Class at 6",
        clubos_message_id=None, idempotency_key="f1", delivery_status=DeliveryStatus.FAILED, failure_reason="down",
    )  # fmt: skip
    retried = conversations.message_retry(conversation=conversation, message_id=failed.pk, author=staff)
    twice = conversations.message_retry(conversation=conversation, message_id=failed.pk, author=staff)
    assert retried.pk == twice.pk != failed.pk
    assert (retried.body, retried.delivery_status) == ("Class at 6", "queued")
    with pytest.raises(ReplyNotAllowed, match="failed"):
        conversations.message_retry(conversation=conversation, message_id=retried.pk, author=staff)


def test_delivery_outcomes_announce_the_conversation(staff, sent_groups, django_capture_on_commit_callbacks):
    from inbox.services.outbound import _delivery_update

    conversation = ConversationFactory.create()
    message = InboxMessageFactory.create(
        conversation=conversation, direction="outbound", author_kind="staff", clubos_message_id=None,
        idempotency_key="d1", delivery_status=DeliveryStatus.SENDING, attempts=1,
    )  # fmt: skip
    with django_capture_on_commit_callbacks(execute=True):
        _delivery_update(message, delivery_status=DeliveryStatus.SENT)
    assert (live.conversation_group(conversation.pk), conversation.pk) in _changed_ids(sent_groups)


def test_user_model_manager_lists_only_active_staff_for_assignment(staff):
    MemberFactory()
    StaffFactory(is_active=False)
    assert list(selectors.assignable_staff()) == list(User.objects.inbox_staff().order_by("first_name", "username"))
    assert staff in selectors.assignable_staff()


def test_a_note_full_of_at_words_is_one_bounded_lookup(staff, django_assert_max_num_queries):
    conversation = ConversationFactory.create()
    body = " ".join(f"@a{n}" for n in range(700))  # under the 5,000-character limit
    with django_assert_max_num_queries(12):
        note = actions.note_add(conversation=conversation, author=staff, body=body)
    assert not note.mentions.exists()


def test_a_member_writing_again_reopens_a_resolved_conversation_and_the_timeline_says_so(staff):
    clubos_message_sink.ingest(messages=[synced(clubos_id=61_000_100, body="first")])
    conversation = Conversation.objects.get()
    actions.conversation_status_set(conversation=conversation, actor=staff, status="resolved")

    clubos_message_sink.ingest(messages=[synced(clubos_id=61_000_100, body="one more thing")])

    conversation.refresh_from_db()
    assert conversation.status == "open"
    reopened = ConversationEvent.objects.filter(kind="status", actor=None).get()
    assert reopened.details == {"from": "resolved", "to": "open", "reason": "the member wrote again"}
    assert selectors.event_summary(reopened) == "Clubroom changed the status: Resolved → Open (the member wrote again)"
    # An inbound message into a conversation that is already open records nothing.
    clubos_message_sink.ingest(messages=[synced(clubos_id=61_000_100, body="hello?")])
    assert ConversationEvent.objects.filter(kind="status", actor=None).count() == 1
