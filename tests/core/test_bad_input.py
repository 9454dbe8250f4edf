"""Hostile input through the real entry points: each answer is a 4xx with a body, never a 500.

The issue's defects 2-7; the cursor, JSON and control-character cases run on both databases.
"""

from __future__ import annotations

import base64
import json
import re

import pytest
from django.test import Client
from django.urls import reverse
from rest_framework.test import APIClient

from inbox.models import InboxMessage
from inbox.services.ingest import clubos_message_sink
from messaging import services
from messaging.models import Message, Report
from tests.inbox.factories import ConversationFactory, synced
from tests.messaging.factories import make_member

pytestmark = pytest.mark.django_db


def _cursor(raw: str) -> str:
    return base64.b64encode(raw.encode()).decode()


CRAFTED_CURSORS = [
    _cursor("p=abc"),  # the issue's cursor
    _cursor("p="),
    _cursor("p=2024-13-45T99:99:99"),
    _cursor("p=" + "9" * 30),
    _cursor("p=-" + "9" * 30),
    _cursor("p=1e999"),
    _cursor("p=NaN"),
    _cursor("p=\x00"),
    _cursor("p=9999-12-31T23:59:59-23:59"),
    _cursor("p=0001-01-01T00:00:00+23:59"),
    _cursor("o=1&r=1&p=abc"),
    "not base64 at all",
]


@pytest.fixture
def api(member):
    client = APIClient()
    client.force_authenticate(member)
    return client


@pytest.fixture
def pair_thread(messaging_on, member, other_member):
    thread, _ = services.thread_start(initiator=member, recipient=other_member)
    services.message_send(sender=other_member, thread_id=thread.pk, body="hello")
    return thread


@pytest.fixture
def messaging_on(db):
    from messaging import selectors

    services.messaging_set_enabled(actor=None, enabled=True)
    selectors.messaging_enabled_cache_clear()


# --- 2. crafted cursors ------------------------------------------------------------------------


@pytest.mark.parametrize("cursor", CRAFTED_CURSORS)
def test_a_crafted_cursor_is_404_on_both_list_endpoints(api, pair_thread, cursor):
    for url in (
        reverse("api:messaging-thread-list"),
        reverse("api:messaging-message-list", args=[pair_thread.pk]),
    ):
        response = api.get(url, {"cursor": cursor})
        assert response.status_code == 404, (url, cursor, response.content)
        assert response.json() == {"detail": "Invalid cursor"}


def test_a_cursor_the_api_issued_still_pages(api, pair_thread, member, other_member):
    for index in range(60):
        Message.objects.create(thread=pair_thread, sender=other_member, body=f"m{index}")
    url = reverse("api:messaging-message-list", args=[pair_thread.pk])
    first = api.get(url).json()
    second = api.get(first["next"]).json()
    assert len(first["results"]) == 50
    assert len(second["results"]) == 11
    assert {m["id"] for m in first["results"]}.isdisjoint(m["id"] for m in second["results"])


# --- 3. nesting and size before parsing --------------------------------------------------------


def _write_endpoints(thread_id: int, message_id: int) -> list[tuple[str, str]]:
    return [
        ("post", reverse("api:messaging-thread-list")),
        ("patch", reverse("api:messaging-thread-detail", args=[thread_id])),
        ("post", reverse("api:messaging-message-list", args=[thread_id])),
        ("post", reverse("api:messaging-message-report", args=[message_id])),
        ("post", reverse("api:messaging-block-list")),
        ("post", reverse("api:clubos-sync")),
    ]


def test_deeply_nested_json_is_refused_on_every_api_write(pair_thread, staff):
    client = APIClient()
    client.force_authenticate(staff)  # staff may use every write, the sync included
    staff_thread, _ = services.thread_start(initiator=staff, recipient=make_member())
    message = services.message_send(sender=staff, thread_id=staff_thread.pk, body="hi")
    deep = "[" * 1_000 + "]" * 1_000  # small, but a RecursionError once parsed
    issue_body = "[" * 100_000 + "]" * 100_000  # the issue's body: refused for its size first
    for method, url in _write_endpoints(staff_thread.pk, message.pk):
        response = getattr(client, method)(url, data=deep, content_type="application/json")
        assert response.status_code == 400, (url, response.content[:200])
        assert "nest at most 16 levels" in response.json()["detail"]
        response = getattr(client, method)(url, data=issue_body, content_type="application/json")
        assert response.status_code == 413, (url, response.content[:200])


def test_nesting_within_the_limit_is_parsed(api, pair_thread):
    url = reverse("api:messaging-message-list", args=[pair_thread.pk])
    response = api.post(url, data='{"body": "[[{\\"not\\": [\\"nesting\\"]}]]"}', content_type="application/json")
    assert response.status_code == 201
    assert response.json()["body"] == '[[{"not": ["nesting"]}]]'


def test_brackets_inside_strings_do_not_count_as_nesting(api, pair_thread):
    url = reverse("api:messaging-message-list", args=[pair_thread.pk])
    response = api.post(url, data=json.dumps({"body": "[" * 100}), content_type="application/json")
    assert response.status_code == 201


def test_a_body_over_the_size_limit_is_413_before_parsing(api, pair_thread, settings):
    settings.CLUBROOM_API_MAX_JSON_BYTES = 1000
    url = reverse("api:messaging-message-list", args=[pair_thread.pk])
    response = api.post(url, data=json.dumps({"body": "x" * 2000}), content_type="application/json")
    assert response.status_code == 413
    assert "1,000 bytes" in response.json()["detail"]


@pytest.mark.parametrize("raw", ['{"body": NaN}', '{"body": Infinity}', '{"body": 1e999999}', "{", "\xff"])
def test_json_without_a_json_value_is_400(api, pair_thread, raw):
    url = reverse("api:messaging-message-list", args=[pair_thread.pk])
    response = api.post(url, data=raw.encode("latin-1"), content_type="application/json")
    assert response.status_code == 400
    assert response.json()["detail"]
    assert not Message.objects.filter(sender__username=api.handler._force_user.username).exists()


# --- 5. NUL and other control characters -------------------------------------------------------


@pytest.mark.parametrize("text", ["hi\x00there", "bell\x07!", "esc\x1b[31m", "del\x7f!", "c1\x9b!", "vt\x0b!"])
def test_the_page_form_refuses_control_characters_with_a_clear_error(pair_thread, member, text):
    client = Client()
    client.force_login(member)
    response = client.post(reverse("messaging:thread_reply", args=[pair_thread.pk]), {"body": text})
    assert response.status_code == 400
    assert "control characters" in response.content.decode()
    assert not Message.objects.filter(sender=member).exists()


def test_newlines_and_tabs_are_text(pair_thread, member):
    client = Client()
    client.force_login(member)
    client.post(reverse("messaging:thread_reply", args=[pair_thread.pk]), {"body": "one\r\n\ttwo"})
    assert Message.objects.get(sender=member).body == "one\n\ttwo"


@pytest.mark.parametrize("text", ["hi\x00", "x\x01", "lone \ud800 surrogate"])
def test_the_api_refuses_control_characters_with_a_clear_400(api, pair_thread, member, text):
    url = reverse("api:messaging-message-list", args=[pair_thread.pk])
    response = api.post(url, data=json.dumps({"body": text}), content_type="application/json")
    assert response.status_code == 400
    detail = response.json()["detail"]
    assert "control characters" in detail or "Null characters" in detail or "Surrogate characters" in detail
    assert "Write a message" not in detail
    assert not Message.objects.filter(sender=member).exists()


def test_a_report_reason_with_control_characters_is_400(api, pair_thread):
    message = Message.objects.get(thread=pair_thread)
    url = reverse("api:messaging-message-report", args=[message.pk])
    response = api.post(url, data=json.dumps({"reason": "spam\x00"}), content_type="application/json")
    assert response.status_code == 400
    assert not Report.objects.exists()
    page = Client()
    page.force_login(api.handler._force_user)
    response = page.post(reverse("messaging:message_report", args=[message.pk]), {"reason": "spam\x0bspam"})
    assert response.status_code == 400
    assert "control characters" in response.content.decode()
    assert not Report.objects.exists()


@pytest.mark.parametrize("query", ["q=%00", "q=a%00b", "q=%1b", "page=%00", "%00=1"])
def test_a_query_string_with_control_characters_is_400(member_client, query):
    response = member_client.get(f"{reverse('accounts:directory')}?{query}")
    assert response.status_code == 400
    assert "control characters" in response.content.decode()


def test_an_api_query_string_with_control_characters_is_a_json_400(api, pair_thread):
    response = api.get(reverse("api:messaging-thread-list") + "?archived=%00")
    assert response.status_code == 400
    assert "control characters" in response.json()["detail"]


def test_the_profile_form_refuses_control_characters(member_client, member):
    url = reverse("accounts:profile_edit", args=[member.username])
    data = {"display_name": "Dana\x00", "bio": "hi\x1b", "email": "dana@example.com", "mobile_phone": ""}
    response = member_client.post(url, data)
    assert response.status_code == 200  # the form again, with its errors
    assert "control characters" in response.content.decode() or "Null characters" in response.content.decode()
    member.refresh_from_db()
    assert "\x00" not in member.display_name
    assert "\x1b" not in member.bio


def test_sign_in_with_a_nul_username_is_a_form_error(client, member):
    response = client.post(reverse("accounts:login"), {"username": "a\x00b", "password": "x"})
    assert response.status_code == 200
    assert response.context["form"].errors


def test_a_staff_reply_with_control_characters_is_a_form_error(staff_client):
    conversation = ConversationFactory.create(contact__clubos_id=61_000_100)
    url = reverse("inbox:conversation_detail", args=[conversation.pk])
    response = staff_client.post(url, {"channel": "sms", "body": "hi\x07"})
    assert response.status_code in (200, 400)
    assert "control characters" in response.content.decode()
    assert not InboxMessage.objects.exists()


def test_clubos_text_is_stripped_of_control_characters_on_ingest():
    clubos_message_sink.ingest(messages=[synced(body="pool\x00 open?\x1b", name="Dana\x00 Reyes", phone="555\x00")])
    message = InboxMessage.objects.get()
    assert message.body == "pool open?"
    assert message.conversation.contact.name == "Dana Reyes"
    assert message.conversation.contact.phone == "555"


# --- 6. non-string fields ----------------------------------------------------------------------


@pytest.mark.parametrize("value", [12345, 1.5, True, None, ["hi"], {"a": 1}])
def test_a_non_string_body_is_400_not_coerced(api, pair_thread, member, value):
    url = reverse("api:messaging-message-list", args=[pair_thread.pk])
    response = api.post(url, data=json.dumps({"body": value}), content_type="application/json")
    assert response.status_code == 400
    assert response.json()["detail"].startswith("body:")
    assert not Message.objects.filter(sender=member).exists()


@pytest.mark.parametrize("value", [12345, False])
def test_a_non_string_username_is_400(api, messaging_on, value):
    for name in ("api:messaging-thread-list", "api:messaging-block-list"):
        response = api.post(reverse(name), data=json.dumps({"username": value}), content_type="application/json")
        assert response.status_code == 400
        assert response.json()["detail"] == "username: Must be a string."


def _string_limits(field: dict) -> tuple[int | None, int | None, str | None]:
    """(minLength, maxLength, pattern) of a string property (drf-spectacular writes allow_blank as oneOf)."""
    variants = field.get("oneOf", [field])
    main = max(variants, key=lambda v: v.get("maxLength", 0))
    assert all(v["type"] == "string" for v in variants)
    return main.get("minLength"), main.get("maxLength"), main.get("pattern")


def test_the_schema_states_the_text_limits(member_client):
    schema = member_client.get(reverse("api-schema"), HTTP_ACCEPT="application/json").json()
    properties = {name: c.get("properties", {}) for name, c in schema["components"]["schemas"].items()}
    assert _string_limits(properties["MessageCreate"]["body"])[:2] == (1, 5000)
    assert _string_limits(properties["ReportCreate"]["reason"])[1] == 1000
    assert _string_limits(properties["ThreadStart"]["username"])[:2] == (1, 150)
    pattern = _string_limits(properties["MessageCreate"]["body"])[2]
    assert pattern is not None
    assert re.fullmatch(pattern, "two\n\tlines")
    assert not re.fullmatch(pattern, "nul\x00")
    assert not re.fullmatch(pattern, "   ")
    thread_path = schema["paths"]["/api/v1/messaging/threads/{thread_id}/"]["get"]["parameters"][0]["schema"]
    assert thread_path == {"type": "integer", "minimum": 0, "maximum": 999_999_999_999_999_999}
    responses = schema["paths"]["/api/v1/messaging/threads/{thread_id}/messages/"]["post"]["responses"]
    assert {"201", "400", "401", "403", "404", "413", "415", "429"} <= set(responses)


# --- 7. multipart (Django's side; daphne's, where the bare 400 came from, is in test_daphne) ----


def test_a_malformed_multipart_body_is_a_400_page(client):
    response = client.generic(
        "POST", reverse("accounts:login"), data=b"--XYZ--\r\n", content_type="multipart/form-data"
    )
    assert response.status_code == 400
    assert response["Content-Type"].startswith("text/html")
    assert "could not be understood" in response.content.decode()


@pytest.mark.parametrize(
    "path",
    ["/members/%00/", "/members/a%00b/edit/", "/messages/start/%00/", "/api/v1/messaging/blocks/%1b/", "/x%7f/"],
)
def test_a_path_with_control_characters_is_400(member_client, messaging_on, path):
    response = member_client.generic("DELETE" if "/api/" in path else "GET", path)
    assert response.status_code == 400
    assert "control characters" in response.content.decode()
