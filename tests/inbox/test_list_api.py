"""/api/v1/inbox/conversations/ (filters, updated_since, cursor), …/recent/ (bounds), and saved replies."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from rest_framework.test import APIClient

from inbox.models import Conversation, SavedReply
from tests.accounts.factories import as_user

from .factories import ContactFactory, ConversationFactory, InboxMessageFactory

pytestmark = pytest.mark.django_db

LIST = "/api/v1/inbox/conversations/"
RECENT = "/api/v1/inbox/conversations/recent/"
SAVED = "/api/v1/inbox/saved-replies/"


def _client(user=None) -> APIClient:
    client = APIClient()
    if user is not None:
        client.force_login(user)
    return client


@pytest.fixture
def api(staff) -> APIClient:
    return _client(staff)


def test_staff_only(member):
    assert _client().get(LIST).status_code == 401
    assert _client(member).get(LIST).status_code == 403
    assert _client(member).get(SAVED).status_code == 403


def test_list_rows_carry_what_the_page_shows(api, staff):
    conversation = ConversationFactory.create(contact=ContactFactory.create(name="Dana Reyes"), assignee=staff)
    message = InboxMessageFactory.create(conversation=conversation, body="Is the pool open?")
    Conversation.objects.filter(pk=conversation.pk).update(
        last_inbound_id=message.pk, last_message_preview="Is the pool open?", last_message_channel="sms"
    )
    row = api.get(LIST).json()["results"][0]
    assert row["contact"]["name"] == "Dana Reyes"
    assert row["assignee"] == {"id": staff.pk, "name": staff.name}
    assert (row["channel"], row["status"], row["unread_for_me"]) == ("sms", "open", True)
    assert row["last_message_preview"] == "Is the pool open?"


def test_list_filters_and_search(api, staff):
    ConversationFactory.create(contact=ContactFactory.create(name="Mia Mine"), assignee=staff)
    ConversationFactory.create(contact=ContactFactory.create(name="Rex Resolved"), status="resolved")

    def names(**params) -> list[str]:
        response = api.get(LIST, params)
        assert response.status_code == 200, response.content
        return [row["contact"]["name"] for row in response.json()["results"]]

    assert names(scope="mine") == ["Mia Mine"]
    assert names(status="resolved") == ["Rex Resolved"]
    assert names(q="rex") == ["Rex Resolved"]
    assert names(unread="true") == []


@pytest.mark.parametrize(
    "params",
    [
        {"status": "bogus"},
        {"scope": "everyone"},
        {"label": "0"},
        {"label": "99999999999999999999"},
        {"channel": "fax"},
        {"updated_since": "yesterday"},
        {"q": "x" * 201},
        {"q": "bad\x00"},
        {"updated_since": ""},
        {"label": ""},
        {"status": ""},
        {"source": ""},
        {"q": ""},
    ],
)
def test_bad_filters_are_400(api, params):
    response = api.get(LIST, params)
    assert response.status_code == 400
    assert "detail" in response.json()


def test_updated_since(api):
    old = ConversationFactory.create(contact=ContactFactory.create(name="Old"))
    Conversation.objects.filter(pk=old.pk).update(updated_at=datetime(2025, 1, 1, tzinfo=UTC))
    ConversationFactory.create(contact=ContactFactory.create(name="New"))
    rows = api.get(LIST, {"updated_since": "2026-01-01T00:00:00Z"}).json()["results"]
    assert [row["contact"]["name"] for row in rows] == ["New"]


def test_cursor_pages_walk_every_conversation_once(api):
    base = datetime.now(UTC) - timedelta(hours=1)
    for n in range(55):
        ConversationFactory.create(last_message_at=base + timedelta(seconds=n))
    first = api.get(LIST).json()
    assert len(first["results"]) == 50
    second = api.get(first["next"]).json()
    assert second["next"] is None
    ids = [row["id"] for row in first["results"] + second["results"]]
    assert ids == list(Conversation.objects.order_by("-last_message_at", "-pk").values_list("pk", flat=True))
    assert api.get(LIST, {"cursor": "garbage!"}).status_code == 404


def test_recent_is_bounded_and_filters_by_hours(api):
    ConversationFactory.create(contact=ContactFactory.create(name="Today"))
    ConversationFactory.create(
        contact=ContactFactory.create(name="Last week"), last_message_at=datetime.now(UTC) - timedelta(days=5)
    )
    assert [r["contact"]["name"] for r in api.get(RECENT).json()["results"]] == ["Today"]
    assert len(api.get(RECENT, {"hours": "168"}).json()["results"]) == 2
    for hours in ("0", "169", "-1", "soon", ""):
        assert api.get(RECENT, {"hours": hours}).status_code == 400


# --- saved replies ---------------------------------------------------------------------------------


def test_saved_reply_crud(api, staff):
    created = api.post(SAVED, {"title": "Pool hours", "body": "Hi {first_name}, 6 to 22."}, format="json")
    assert created.status_code == 201, created.content
    saved_id = created.json()["id"]
    assert created.json()["created_by"] == staff.pk
    assert [r["title"] for r in api.get(SAVED).json()] == ["Pool hours"]
    assert api.get(f"{SAVED}{saved_id}/").json()["body"] == "Hi {first_name}, 6 to 22."

    patched = api.patch(f"{SAVED}{saved_id}/", {"body": "Hi {name}!"}, format="json")
    assert (patched.status_code, patched.json()["title"], patched.json()["body"]) == (200, "Pool hours", "Hi {name}!")
    put = api.put(f"{SAVED}{saved_id}/", {"title": "Hours", "body": "Open 6 to 22."}, format="json")
    assert (put.status_code, put.json()["title"]) == (200, "Hours")
    assert api.put(f"{SAVED}{saved_id}/", {"title": "Only a title"}, format="json").status_code == 400

    assert api.delete(f"{SAVED}{saved_id}/").status_code == 204
    assert not SavedReply.objects.exists()


@pytest.mark.parametrize(
    ("body", "error"),
    [
        ({"title": "x", "body": "Hi {nickname}"}, "Unknown placeholder {nickname}"),
        ({"title": "  ", "body": "Hi"}, "title"),
        ({"title": "x", "body": 5}, "body"),
        ({"title": "x", "body": "y" * 5001}, "body"),
        ({"title": "x"}, "body"),
        ([1, 2], ""),
    ],
)
def test_saved_reply_bad_input_is_400(api, body, error):
    response = api.post(SAVED, body, format="json")
    assert response.status_code == 400
    assert error in response.json()["detail"]


def test_saved_reply_duplicate_title_is_a_409(api):
    assert api.post(SAVED, {"title": "Hours", "body": "a"}, format="json").status_code == 201
    other = api.post(SAVED, {"title": "Prices", "body": "b"}, format="json").json()["id"]
    response = api.post(SAVED, {"title": "HOURS", "body": "b"}, format="json")
    assert response.status_code == 409
    assert "already exists" in response.json()["detail"]
    assert api.patch(f"{SAVED}{other}/", {"title": "hours"}, format="json").status_code == 409
    assert api.options(f"{SAVED}0/").status_code == 200  # DRF's metadata: no object, no 500


def test_nonexistent_saved_reply_is_404(api):
    for method in ("get", "delete"):
        assert getattr(api, method)(f"{SAVED}0/").status_code == 404
    assert api.put(f"{SAVED}0/", "junk", content_type="application/json").status_code in (400, 404)
    assert api.put(f"{SAVED}999/", {"title": "a", "body": "b"}, format="json").status_code == 404
    assert api.get(f"{SAVED}999/render/", {"conversation": "1"}).status_code == 404


def test_render_fills_placeholders_for_the_conversations_member(api, member):
    member.first_name, member.last_name = "Dana", "Reyes"
    member.save()
    conversation = ConversationFactory.create(contact=ContactFactory.create(name="D. Reyes", user=as_user(member)))
    stranger = ConversationFactory.create(contact=ContactFactory.create(name="Sam Stone"))
    saved = SavedReply.objects.create(title="Hi", body="Hi {first_name} {last_name} ({name})")
    url = f"{SAVED}{saved.pk}/render/"
    assert api.get(url, {"conversation": conversation.pk}).json() == {
        "saved_reply": saved.pk, "conversation": conversation.pk, "body": f"Hi Dana Reyes ({member.name})",
    }  # fmt: skip
    assert api.get(url, {"conversation": stranger.pk}).json()["body"] == "Hi Sam Stone (Sam Stone)"
    assert api.get(url, {"conversation": 0}).status_code == 400
    assert api.get(url, {"conversation": 987654}).status_code == 404
    assert api.get(url).status_code == 400
