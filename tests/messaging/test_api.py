import pytest
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from messaging import services
from messaging.models import Block, Message, Report, Thread
from tests.messaging.factories import make_member

pytestmark = pytest.mark.django_db

BASE = "/api/v1/messaging"


@pytest.fixture
def api(member):
    client = APIClient()
    client.force_authenticate(member)
    return client


@pytest.fixture
def other_api(other_member):
    client = APIClient()
    client.force_authenticate(other_member)
    return client


def test_anonymous_gets_401_everywhere(messaging_on, thread):
    client = APIClient()
    for method, url in [
        ("get", f"{BASE}/threads/"),
        ("post", f"{BASE}/threads/"),
        ("get", f"{BASE}/threads/{thread.pk}/messages/"),
        ("post", f"{BASE}/threads/{thread.pk}/read/"),
        ("get", f"{BASE}/unread/"),
        ("post", f"{BASE}/blocks/"),
    ]:
        response = getattr(client, method)(url)
        assert response.status_code == 401, url


def test_token_auth_for_clients(member, other_member, thread):
    token = Token.objects.create(user=member)
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {token.key}")
    response = client.post(f"{BASE}/threads/{thread.pk}/messages/", {"body": "from a client"}, format="json")
    assert response.status_code == 201
    assert response.json()["sender"]["username"] == member.username


def test_session_auth_needs_csrf(member, thread):
    client = APIClient(enforce_csrf_checks=True)
    client.force_login(member)
    response = client.post(f"{BASE}/threads/{thread.pk}/messages/", {"body": "x"}, format="json")
    assert response.status_code == 403
    assert not Message.objects.exists()


def test_start_a_thread_then_open_it_again(api, other_api, member, other_member, messaging_on):
    created = api.post(f"{BASE}/threads/", {"username": other_member.username}, format="json")
    assert created.status_code == 201
    again = other_api.post(f"{BASE}/threads/", {"username": member.username}, format="json")
    assert again.status_code == 200
    assert again.json()["id"] == created.json()["id"]
    assert created.json()["other"]["username"] == other_member.username
    assert Thread.objects.count() == 1
    assert api.post(f"{BASE}/threads/", {"username": "nobody"}, format="json").status_code == 404
    assert api.post(f"{BASE}/threads/", {}, format="json").status_code == 400


def test_thread_list_is_cursor_paginated_latest_first(api, member, messaging_on):
    threads = []
    for _ in range(27):
        other = make_member()
        thread, _ = services.thread_start(initiator=member, recipient=other)
        services.message_send(sender=other, thread_id=thread.pk, body="hi")
        threads.append(thread.pk)
    first = api.get(f"{BASE}/threads/").json()
    assert [t["id"] for t in first["results"]] == threads[::-1][:25]
    assert first["results"][0]["unread_count"] == 1
    assert first["results"][0]["last_message"]["body"] == "hi"
    second = api.get(first["next"]).json()
    assert [t["id"] for t in second["results"]] == threads[::-1][25:]
    assert second["next"] is None


def test_messages_list_and_post_and_read(api, other_api, member, other_member, thread):
    response = api.post(f"{BASE}/threads/{thread.pk}/messages/", {"body": "<i>hi</i>\nthere"}, format="json")
    assert response.status_code == 201
    body = response.json()
    assert body["body"] == "<i>hi</i>\nthere"  # JSON carries text; clients render it as text
    assert response["Content-Type"] == "application/json"
    listed = other_api.get(f"{BASE}/threads/{thread.pk}/messages/").json()
    assert [m["id"] for m in listed["results"]] == [body["id"]]
    assert other_api.get(f"{BASE}/unread/").json() == {"messages": 1, "inbox": None}
    read = other_api.post(f"{BASE}/threads/{thread.pk}/read/")
    assert read.status_code == 200
    assert read.json()["unread_count"] == 0
    assert other_api.get(f"{BASE}/unread/").json()["messages"] == 0
    newer = other_api.get(f"{BASE}/threads/{thread.pk}/messages/", {"after": body["id"]}).json()
    assert newer["results"] == []
    assert other_api.get(f"{BASE}/threads/{thread.pk}/messages/", {"after": "x"}).status_code == 400


@pytest.mark.parametrize("payload", [{}, {"body": ""}, {"body": "   "}, {"body": "z" * 5001}, {"body": None}])
def test_bad_bodies_are_400_with_a_message(api, thread, payload):
    response = api.post(f"{BASE}/threads/{thread.pk}/messages/", payload, format="json")
    assert response.status_code == 400
    assert response.json()["detail"]
    assert not Message.objects.exists()


def test_sending_too_fast_is_429(api, thread):
    for n in range(30):
        assert api.post(f"{BASE}/threads/{thread.pk}/messages/", {"body": str(n)}, format="json").status_code == 201
    response = api.post(f"{BASE}/threads/{thread.pk}/messages/", {"body": "again"}, format="json")
    assert response.status_code == 429
    assert "too quickly" in response.json()["detail"]
    assert "Retry-After" in response


def test_another_members_thread_is_404(thread):
    outsider = APIClient()
    outsider.force_authenticate(make_member())
    for method, url in [
        ("get", f"{BASE}/threads/{thread.pk}/"),
        ("patch", f"{BASE}/threads/{thread.pk}/"),
        ("get", f"{BASE}/threads/{thread.pk}/messages/"),
        ("post", f"{BASE}/threads/{thread.pk}/messages/"),
        ("post", f"{BASE}/threads/{thread.pk}/read/"),
    ]:
        assert getattr(outsider, method)(url, {"body": "x"}, format="json").status_code == 404, (method, url)


def test_archive_and_mute_through_patch(api, thread):
    response = api.patch(f"{BASE}/threads/{thread.pk}/", {"archived": True, "muted": True}, format="json")
    assert response.status_code == 200
    assert response.json()["archived"] is True
    assert response.json()["muted"] is True
    assert api.get(f"{BASE}/threads/").json()["results"] == []
    assert [t["id"] for t in api.get(f"{BASE}/threads/", {"archived": "true"}).json()["results"]] == [thread.pk]


def test_block_unblock_and_blocked_send_is_403(api, other_api, member, other_member, thread):
    assert api.post(f"{BASE}/blocks/", {"username": other_member.username}, format="json").status_code == 201
    assert api.post(f"{BASE}/blocks/", {"username": other_member.username}, format="json").status_code == 201
    assert Block.objects.count() == 1
    assert [b["blocked"]["username"] for b in api.get(f"{BASE}/blocks/").json()] == [other_member.username]
    blocked = other_api.post(f"{BASE}/threads/{thread.pk}/messages/", {"body": "hey"}, format="json")
    assert blocked.status_code == 403
    assert blocked.json()["detail"]
    assert api.delete(f"{BASE}/blocks/{other_member.username}/").status_code == 204
    assert api.delete(f"{BASE}/blocks/{other_member.username}/").status_code == 404
    assert other_api.post(f"{BASE}/threads/{thread.pk}/messages/", {"body": "hey"}, format="json").status_code == 201


def test_report_a_message(api, other_member, thread):
    message = services.message_send(sender=other_member, thread_id=thread.pk, body="spam")
    response = api.post(f"{BASE}/messages/{message.pk}/report/", {"reason": "spam"}, format="json")
    assert response.status_code == 201
    assert response.json()["status"] == "open"
    assert api.post(f"{BASE}/messages/{message.pk}/report/", {}, format="json").status_code == 200
    assert Report.objects.count() == 1
    assert api.post(f"{BASE}/messages/999999/report/", {}, format="json").status_code == 404


def test_schema_documents_the_endpoints(client, member):
    client.force_login(member)
    response = client.get("/api/schema/")
    assert response.status_code == 200
    schema = response.content.decode()
    for path in (
        "/api/v1/messaging/threads/",
        "/api/v1/messaging/threads/{thread_id}/messages/",
        "/api/v1/messaging/threads/{thread_id}/read/",
        "/api/v1/messaging/blocks/",
        "/api/v1/messaging/messages/{message_id}/report/",
        "/api/v1/messaging/unread/",
    ):
        assert path in schema
    assert client.get("/api/docs/").status_code == 200


def test_a_channel_layer_outage_does_not_fail_a_stored_send(
    api, thread, monkeypatch, django_capture_on_commit_callbacks
):
    class BrokenLayer:
        async def group_send(self, group, message):
            raise ConnectionError("redis is down")

    monkeypatch.setattr("realtime.push.get_channel_layer", lambda: BrokenLayer())
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        response = api.post(f"{BASE}/threads/{thread.pk}/messages/", {"body": "still stored"}, format="json")
    assert response.status_code == 201
    assert len(callbacks) >= 2  # the pushes were attempted
    assert Message.objects.get().body == "still stored"


@pytest.mark.parametrize("after", ["-5", "9" * 30, "1.5"])
def test_odd_after_values_are_400_or_empty_never_500(api, thread, after):
    response = api.get(f"{BASE}/threads/{thread.pk}/messages/", {"after": after})
    assert response.status_code in (200, 400)


def test_bad_cursor_is_404_not_500(api, thread):
    assert api.get(f"{BASE}/threads/", {"cursor": "garbage"}).status_code == 404
