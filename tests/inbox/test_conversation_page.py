"""The conversation page /inbox/<id>/ with the test client: who may see it, what it shows, its action forms."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from accounts.models import User
from inbox import selectors
from inbox.models import Conversation, ConversationEvent, DeliveryStatus, InboxMessage, Note
from inbox.services import actions
from inbox.services.ingest import clubos_message_sink
from tests.accounts.factories import MemberFactory, StaffFactory, as_user
from tests.inbox.factories import ConversationFactory, InboxMessageFactory, LabelFactory, SavedReplyFactory, synced

pytestmark = pytest.mark.django_db


def _page(conversation: Conversation) -> str:
    return reverse("inbox:conversation_detail", args=[conversation.pk])


def _act(conversation: Conversation) -> str:
    return reverse("inbox:conversation_act", args=[conversation.pk])


def _live(conversation: Conversation) -> str:
    return reverse("inbox:conversation_live", args=[conversation.pk])


def test_anonymous_signs_in_and_members_get_404_everywhere(client, member_client):
    conversation = ConversationFactory.create()
    for url in (_page(conversation), _live(conversation)):
        response = client.get(url)
        assert response.status_code == 302
        assert response["Location"].startswith(reverse("accounts:login"))
        assert member_client.get(url).status_code == 404
    assert member_client.post(_act(conversation), {"action": "take"}).status_code == 404
    assert member_client.post(_page(conversation), {"channel": "sms", "body": "hi"}).status_code == 404
    assert Conversation.objects.get().assignee_id is None
    assert not InboxMessage.objects.exists()


def test_timeline_has_days_authors_ai_notes_and_events_all_escaped(staff_client, staff):
    clubos_message_sink.ingest(messages=[synced(body="<img src=x onerror=alert(1)>", minutes_ago=3 * 24 * 60)])
    conversation = Conversation.objects.get()
    now = timezone.now()
    InboxMessageFactory.create(
        conversation=conversation, direction="outbound", author_kind="staff", author=staff, body="Staff answer",
        clubos_message_id=None, idempotency_key="s1", sent_at=now - timedelta(seconds=2),
    )  # fmt: skip
    InboxMessageFactory.create(
        conversation=conversation, direction="outbound", author_kind="ai", body="AI answer",
        clubos_message_id=None, idempotency_key="a1", sent_at=now - timedelta(seconds=1),
    )  # fmt: skip
    actions.note_add(conversation=conversation, author=staff, body="<b>internal</b>")
    actions.conversation_status_set(conversation=conversation, actor=staff, status="pending")
    content = staff_client.get(_page(conversation)).content.decode()
    assert "&lt;img src=x onerror=alert(1)&gt;" in content
    assert "<img src=x" not in content
    assert "&lt;b&gt;internal&lt;/b&gt;" in content
    assert 'class="ic-day">Today<' in content
    assert content.count('class="ic-day"') == 2  # three days ago, and today
    assert staff.name in content
    assert re.search(r'class="ic-item ic-message ic-outbound ic-ai".*?<span class="ic-tag">AI</span>', content, re.S)
    assert f"{staff.name} changed the status: Open → Pending" in content
    order = [content.index(text) for text in ("onerror", "Staff answer", "AI answer", "internal", "→ Pending")]
    assert order == sorted(order)  # oldest first


def test_member_panel_shows_account_clubos_id_and_other_conversations(staff_client):
    member = as_user(MemberFactory(display_name="Dana Reyes", membership_status="frozen"))
    conversation = ConversationFactory.create(
        contact__user=member, contact__clubos_id=61_000_555, contact__phone="+17735550000"
    )
    sibling = ConversationFactory.create(contact__user=member, contact__clubos_id=61_000_556)
    content = staff_client.get(_page(conversation)).content.decode()
    assert "61000555" in content
    assert "+17735550000" in content
    assert member.get_membership_status_display() in content
    assert reverse("accounts:profile", args=[member.username]) in content
    assert _page(sibling) in content


def test_saved_replies_are_offered_with_the_members_first_name(staff_client):
    member = as_user(MemberFactory(first_name="Dana", last_name="Reyes"))
    conversation = ConversationFactory.create(contact__user=member)
    SavedReplyFactory.create(title="Welcome", body="Hi {first_name} <3, welcome!")
    content = staff_client.get(_page(conversation)).content.decode()
    assert 'data-body="Hi Dana &lt;3, welcome!"' in content


def test_reply_shows_one_delivery_state_and_no_flash(staff_client):
    conversation = ConversationFactory.create()
    response = staff_client.post(_page(conversation), {"channel": "sms", "body": "Open till 10"}, follow=True)
    content = response.content.decode()
    assert "Reply queued" not in content
    stored = InboxMessage.objects.get(direction="outbound")
    expected = {"queued": "Queued", "sending": "Sending…", "sent": "Sent", "failed": "Failed"}[stored.delivery_status]
    state = re.search(r'data-delivery="(\w+)">\s*(\w+)', content)
    assert state is not None
    assert (state.group(1), state.group(2)) == (stored.delivery_status, expected.rstrip("…"))


def test_failed_reply_shows_reason_and_send_again_queues_a_copy(staff_client, staff):
    conversation = ConversationFactory.create()
    failed = InboxMessageFactory.create(
        conversation=conversation, direction="outbound", author_kind="staff", author=staff, body="Class at 6",
        clubos_message_id=None, idempotency_key="f1", delivery_status=DeliveryStatus.FAILED,
        failure_reason="ClubOS refused: member cannot receive texts",
    )  # fmt: skip
    content = staff_client.get(_page(conversation)).content.decode()
    assert "Failed: ClubOS refused: member cannot receive texts" in content
    assert 'name="action" value="retry"' in content
    response = staff_client.post(_act(conversation), {"action": "retry", "message": failed.pk})
    assert response.status_code == 302
    assert InboxMessage.objects.filter(direction="outbound", body="Class at 6").count() == 2


def test_every_action_form_acts_and_is_audited(staff_client, staff):
    colleague = as_user(StaffFactory(username="alex", first_name="Alex"))
    clubos_message_sink.ingest(messages=[synced(body="one", minutes_ago=5), synced(body="two", minutes_ago=4)])
    conversation = Conversation.objects.get()
    vip = LabelFactory.create(name="vip")
    posts = [
        {"action": "take"},
        {"action": "assign", "assignee": colleague.pk},
        {"action": "labels", "labels": [vip.pk], "new_label": "PT lead"},
        {"action": "priority", "priority": "urgent"},
        {"action": "status", "status": "resolved"},
        {"action": "status", "status": "open"},
        {"action": "note", "body": "@alex can you call her?"},
    ]
    for data in posts:
        response = staff_client.post(_act(conversation), data)
        assert (response.status_code, response["Location"]) == (302, _page(conversation)), data
    stored = Conversation.objects.get()
    assert (stored.assignee_id, stored.priority, stored.status) == (colleague.pk, "urgent", "open")
    assert sorted(stored.labels.values_list("name", flat=True)) == ["PT lead", "vip"]
    assert list(Note.objects.get().mentions.all()) == [colleague]
    assert list(selectors.conversations_mentioning(user=colleague)) == [stored]
    kinds = list(ConversationEvent.objects.order_by("pk").values_list("kind", flat=True))
    assert kinds == ["assigned", "assigned", "labelled", "priority", "status", "status", "noted"]


def test_snooze_reads_the_datetime_local_in_club_time(staff_client, settings):
    conversation = ConversationFactory.create()
    # Noon tomorrow in club time: never inside a daylight-saving gap, whatever --clubroom-now says.
    later = (timezone.localtime() + timedelta(days=1)).replace(hour=12, minute=0)
    response = staff_client.post(_act(conversation), {"action": "snooze", "until": later.strftime("%Y-%m-%dT%H:%M")})
    assert response.status_code == 302
    stored = Conversation.objects.get()
    assert stored.status == "snoozed"
    assert stored.snoozed_until == later.replace(second=0, microsecond=0)


def test_mark_unread_goes_back_to_the_list_with_it_unread_for_me_only(staff_client, staff):
    clubos_message_sink.ingest(messages=[synced(body="one", minutes_ago=5), synced(body="two", minutes_ago=4)])
    conversation = Conversation.objects.get()
    staff_client.get(_page(conversation))  # reads it
    newest = conversation.messages.order_by("-pk").first()
    assert newest is not None
    assert selectors.read_pointer(conversation=conversation, user=staff) == newest.pk
    response = staff_client.post(_act(conversation), {"action": "unread"})
    assert response["Location"] == reverse("inbox:conversation_list")
    assert selectors.read_pointer(conversation=conversation, user=staff) < newest.pk


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"action": "fly"}, "Action: Select a valid choice"),
        ({"action": "snooze", "until": "2001-01-01T10:00"}, "future"),
        ({"action": "snooze", "until": "soon"}, "Until: Enter a valid date/time"),
        ({"action": "priority", "priority": "asap"}, "Priority: Select a valid choice"),
        ({"action": "assign", "assignee": "999999"}, "No such staff member"),
        ({"action": "note", "body": "   "}, "Body: This field is required"),
        ({"action": "note", "body": "a\x00b"}, "control characters"),
        ({"action": "labels", "labels": ["424242"]}, "Labels: Select a valid choice"),
        ({"action": "retry", "message": "12345"}, "Only a reply that failed"),
    ],
)
def test_bad_action_input_is_a_400_with_the_reason_on_the_page(staff_client, data, message):
    conversation = ConversationFactory.create()
    response = staff_client.post(_act(conversation), data)
    assert response.status_code == 400
    assert message in response.content.decode()
    assert not ConversationEvent.objects.exists()


def test_assignee_list_offers_active_staff_only(staff_client):
    conversation = ConversationFactory.create()
    member = as_user(MemberFactory(display_name="Mia Member"))
    gone = as_user(StaffFactory(display_name="Gone Staff", is_active=False))
    content = staff_client.get(_page(conversation)).content.decode()
    options = re.findall(r'<option value="(\d+)"', content.split('id="ic-assignee"')[1].split("</select>")[0])
    staff_ids = {str(pk) for pk in User.objects.inbox_staff().values_list("pk", flat=True)}
    assert set(options) == staff_ids
    assert str(member.pk) not in options
    assert str(gone.pk) not in options


def test_live_parts_render_the_timeline_and_read_only_when_asked(staff_client, staff):
    clubos_message_sink.ingest(messages=[synced(body="ping")])
    conversation = Conversation.objects.get()
    content = staff_client.get(_live(conversation)).content.decode()
    assert 'id="ic-timeline"' in content
    assert 'id="ic-state"' in content
    assert 'id="ic-actions"' in content
    assert "ping" in content
    assert selectors.read_pointer(conversation=conversation, user=staff) == 0  # a background fetch reads nothing
    staff_client.get(_live(conversation), {"read": "1"})
    assert selectors.read_pointer(conversation=conversation, user=staff) == conversation.last_inbound_id
