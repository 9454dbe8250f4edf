"""API parity for the chat features: edit, delete, "seen", search, recipients, preferences; in the schema."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone
from rest_framework.test import APIClient

from accounts.models import MembershipStatus
from messaging import services
from messaging.models import Message, StartPolicy
from tests.messaging.factories import make_member

pytestmark = pytest.mark.django_db

BASE = "/api/v1/messaging"


def _client(user) -> APIClient:
    client = APIClient()
    client.force_authenticate(user)
    return client


def test_edit_own_message_marks_it_edited(thread, member):
    message = services.message_send(sender=member, thread_id=thread.pk, body="typo")
    response = _client(member).patch(f"{BASE}/messages/{message.pk}/", {"body": "fixed"}, format="json")
    assert response.status_code == 200
    assert response.json()["body"] == "fixed"
    assert response.json()["edited_at"] is not None
    assert Message.objects.get(pk=message.pk).body == "fixed"


def test_edit_refusals(thread, member, other_member, settings):
    settings.MESSAGING_BODY_MAX_LENGTH = 20
    message = services.message_send(sender=member, thread_id=thread.pk, body="mine")
    url = f"{BASE}/messages/{message.pk}/"
    assert _client(other_member).patch(url, {"body": "x"}, format="json").status_code == 403
    assert _client(make_member()).patch(url, {"body": "x"}, format="json").status_code == 404
    too_long = _client(member).patch(url, {"body": "y" * 21}, format="json")
    assert too_long.status_code == 400
    assert "at most 20" in too_long.json()["detail"]
    assert _client(member).patch(url, {"body": 5}, format="json").status_code == 400
    Message.objects.filter(pk=message.pk).update(created_at=timezone.now() - timedelta(hours=1))
    late = _client(member).patch(url, {"body": "late"}, format="json")
    assert late.status_code == 403
    assert "minutes" in late.json()["detail"]
    assert Message.objects.get(pk=message.pk).body == "mine"


def test_delete_own_message_and_both_sides_see_it_deleted(thread, member, other_member):
    message = services.message_send(sender=member, thread_id=thread.pk, body="secret")
    assert _client(other_member).delete(f"{BASE}/messages/{message.pk}/").status_code == 403
    response = _client(member).delete(f"{BASE}/messages/{message.pk}/")
    assert response.status_code == 200
    assert response.json()["deleted"] is True
    listing = _client(other_member).get(f"{BASE}/threads/{thread.pk}/messages/").json()["results"]
    assert listing[0]["id"] == message.pk
    assert listing[0]["body"] == ""
    assert listing[0]["deleted"] is True


def test_thread_detail_reports_seen_up_to_only_with_receipts_on(thread, member, other_member):
    message = services.message_send(sender=member, thread_id=thread.pk, body="hi")
    url = f"{BASE}/threads/{thread.pk}/"
    assert _client(member).get(url).json()["seen_up_to"] is None
    services.thread_mark_read(user=other_member, thread_id=thread.pk)
    assert _client(member).get(url).json()["seen_up_to"] == message.pk
    preferences = _client(member).patch(f"{BASE}/preferences/", {"read_receipts": False}, format="json")
    assert preferences.json() == {"read_receipts": False, "email_unread": True}
    assert _client(member).get(url).json()["seen_up_to"] is None


def test_search_my_messages(thread, member, other_member):
    hit = services.message_send(sender=other_member, thread_id=thread.pk, body="Yoga class moved to Tuesday")
    services.message_send(sender=other_member, thread_id=thread.pk, body="Spin is full")
    response = _client(member).get(f"{BASE}/search/", {"q": "yoga"})
    assert response.status_code == 200
    assert [row["id"] for row in response.json()] == [hit.pk]
    assert response.json()[0]["thread"] == thread.pk
    assert _client(make_member()).get(f"{BASE}/search/", {"q": "yoga"}).json() == []


def test_recipients_search(messaging_on, member):
    make_member(display_name="Quinn Lifter", username="quinn")
    response = _client(member).get(f"{BASE}/recipients/", {"q": "quin"})
    assert [row["username"] for row in response.json()] == ["quinn"]


def test_starting_a_thread_is_403_with_the_reason_for_restricted_members(messaging_on):
    services.messaging_set_start_policy(actor=None, start_policy=StartPolicy.ACTIVE_MEMBERS)
    frozen, other = make_member(membership_status=MembershipStatus.FROZEN), make_member()
    response = _client(frozen).post(f"{BASE}/threads/", {"username": other.username}, format="json")
    assert response.status_code == 403
    assert "frozen" in response.json()["detail"]


def test_preferences_answer_while_messaging_is_off(member):
    assert _client(member).get(f"{BASE}/preferences/").json() == {"read_receipts": True, "email_unread": True}
    assert APIClient().get(f"{BASE}/preferences/").status_code == 401


def test_the_schema_documents_the_new_endpoints(admin_client_logged_in):
    schema = admin_client_logged_in.get("/api/schema/", HTTP_ACCEPT="application/json").content.decode()
    for path in ("/messaging/messages/{message_id}/", "/messaging/search/", "/messaging/preferences/"):
        assert path in schema, path
    assert "seen_up_to" in schema
    assert "edited_at" in schema
