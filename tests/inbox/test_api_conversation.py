"""The one-conversation API (/api/v1/inbox/conversations/<id>/…) through DRF's client: roles, input, results."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone
from rest_framework.test import APIClient

from inbox.models import Conversation, ConversationEvent, InboxMessage, Note
from inbox.services.ingest import clubos_message_sink
from tests.accounts.factories import AdminFactory, MemberFactory, StaffFactory, as_user
from tests.inbox.factories import LabelFactory, synced

pytestmark = pytest.mark.django_db

BASE = "/api/v1/inbox/conversations/{}/"


def _client(user=None) -> APIClient:
    client = APIClient()
    if user is not None:
        client.force_authenticate(user)
    return client


@pytest.fixture
def conversation():
    clubos_message_sink.ingest(
        messages=[synced(body="<b>pool</b>?", minutes_ago=5), synced(body="hello?", minutes_ago=1)]
    )
    return Conversation.objects.get()


WRITES = [
    ("mark-read/", "post", {}),
    ("mark-unread/", "post", {}),
    ("reply/", "post", {"channel": "sms", "body": "Open till 10"}),
    ("note/", "post", {"body": "Called back"}),
    ("assign/", "post", {"assignee_id": None}),
    ("labels/", "put", {"names": ["vip"]}),
    ("labels/", "post", {"names": ["vip"]}),
    ("priority/", "post", {"priority": "high"}),
    ("status/", "post", {"status": "resolved"}),
    ("snooze/", "post", {"until": "2999-01-01T09:00:00Z"}),
]


@pytest.mark.parametrize(("suffix", "method", "body"), [("", "get", None), *WRITES])
def test_every_endpoint_is_for_inbox_staff_only(conversation, suffix, method, body):
    url = BASE.format(conversation.pk) + suffix
    before = (ConversationEvent.objects.count(), InboxMessage.objects.count(), Note.objects.count())
    assert getattr(_client(), method)(url, body, format="json").status_code == 401
    member = as_user(MemberFactory())
    assert getattr(_client(member), method)(url, body, format="json").status_code == 403
    assert (ConversationEvent.objects.count(), InboxMessage.objects.count(), Note.objects.count()) == before
    for user in (as_user(StaffFactory()), as_user(AdminFactory())):
        response = getattr(_client(user), method)(url, body, format="json")
        assert response.status_code in (200, 201), response.content


def test_unknown_conversation_is_404(staff):
    assert _client(staff).get(BASE.format(987654)).status_code == 404
    assert _client(staff).post(BASE.format(987654) + "note/", {"body": "x"}, format="json").status_code == 404


def test_detail_holds_messages_notes_events_and_my_read_state(staff, conversation):
    client = _client(staff)
    client.post(BASE.format(conversation.pk) + "note/", {"body": "Ask about <script>"}, format="json")
    detail = client.get(BASE.format(conversation.pk)).json()
    assert [m["body"] for m in detail["messages"]] == ["<b>pool</b>?", "hello?"]  # JSON: raw text, escaped by pages
    assert detail["notes"][0]["body"] == "Ask about <script>"
    assert [e["kind"] for e in detail["events"]] == ["noted"]
    assert detail["unread_for_me"] is True
    read = client.post(BASE.format(conversation.pk) + "mark-read/").json()
    assert read["changed"] is True
    assert read["conversation"]["unread_for_me"] is False
    # Another staff member still has it unread: read state is per person.
    other = _client(as_user(StaffFactory())).get(BASE.format(conversation.pk)).json()
    assert other["unread_for_me"] is True
    unread = client.post(BASE.format(conversation.pk) + "mark-unread/").json()
    assert (unread["changed"], unread["conversation"]["unread_for_me"]) == (True, True)


def test_reply_is_idempotent_by_key(staff, conversation):
    url = BASE.format(conversation.pk) + "reply/"
    body = {"channel": "sms", "body": "See you", "idempotency_key": "abc-1"}
    first = _client(staff).post(url, body, format="json")
    second = _client(staff).post(url, body, format="json")
    assert (first.status_code, second.status_code) == (201, 200)
    assert first.json()["id"] == second.json()["id"]
    assert first.json()["delivery_status"] == "queued"
    assert InboxMessage.objects.filter(direction="outbound").count() == 1


@pytest.mark.parametrize(
    ("suffix", "body", "message"),
    [
        ("reply/", {"channel": "email", "body": "Hi"}, "subject"),
        ("reply/", {"channel": "fax", "body": "Hi"}, "channel"),
        ("reply/", {"body": 5}, "body"),
        ("reply/", {"body": "a\u0000b"}, "body"),
        ("reply/", {"body": "a\u0007b"}, "control characters"),
        ("note/", {"body": ""}, "body"),
        ("assign/", {}, "assignee_id"),
        ("assign/", {"assignee_id": "sam"}, "assignee_id"),
        ("labels/", {"label_ids": [424242]}, "No such label"),
        ("labels/", {"names": [["nested"]]}, "names"),
        ("priority/", {"priority": "asap"}, "priority"),
        ("status/", {"status": "snoozed"}, "status"),
        ("snooze/", {"until": "yesterday"}, "until"),
        ("snooze/", {"until": "2001-01-01T00:00:00Z"}, "future"),
    ],
)
def test_bad_input_is_a_clear_400(staff, conversation, suffix, body, message):
    response = _client(staff).post(BASE.format(conversation.pk) + suffix, body, format="json")
    assert response.status_code == 400
    assert message in response.json()["detail"]


def test_assign_to_a_member_or_unknown_user_is_refused(staff, conversation):
    url = BASE.format(conversation.pk) + "assign/"
    member = as_user(MemberFactory())
    assert _client(staff).post(url, {"assignee_id": member.pk}, format="json").status_code == 404
    assert _client(staff).post(url, {"assignee_id": 10**17}, format="json").status_code == 404
    taken = _client(staff).post(url, {"assignee_id": staff.pk}, format="json")
    assert taken.status_code == 200
    assert taken.json()["assignee"]["id"] == staff.pk


def test_labels_priority_status_and_snooze_change_the_state(staff, conversation):
    client, url = _client(staff), BASE.format(conversation.pk)
    billing = LabelFactory.create(name="billing")
    state = client.put(url + "labels/", {"label_ids": [billing.pk], "names": ["PT lead"]}, format="json").json()
    assert [label["name"] for label in state["labels"]] == ["billing", "PT lead"]
    assert [label["name"] for label in client.get("/api/v1/inbox/labels/").json()] == ["billing", "PT lead"]
    assert client.post(url + "priority/", {"priority": "urgent"}, format="json").json()["priority"] == "urgent"
    assert client.post(url + "status/", {"status": "pending"}, format="json").json()["status"] == "pending"
    until = (timezone.now() + timedelta(hours=3)).isoformat()
    snoozed = client.post(url + "snooze/", {"until": until}, format="json").json()
    assert snoozed["status"] == "snoozed"
    kinds = list(ConversationEvent.objects.values_list("kind", flat=True).order_by("pk"))
    assert kinds == ["labelled", "priority", "status", "snoozed"]
