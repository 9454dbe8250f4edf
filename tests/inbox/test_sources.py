"""Integration sources in: POST /api/v1/inbox/sources/<slug>/messages/, signed with HMAC-SHA256.

Through the real endpoint (DRF's test client, raw bytes as a source sends them): signature, clock
skew at the ±5 minute boundary (time-machine, never sleeps), replays, what the inbox stores and
announces, and the same message id delivered concurrently (PostgreSQL).
"""

from __future__ import annotations

import json
import threading
import time
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
import time_machine
from django.db import connection, connections
from rest_framework.test import APIClient

from inbox.models import Contact, Conversation, InboxMessage, IntegrationSource
from inbox.services import sources
from inbox.signals import inbound_messages_received
from tests.inbox.factories import ConversationFactory, InboxMessageFactory

pytestmark = pytest.mark.django_db

URL = "/api/v1/inbox/sources/{slug}/messages/"


@pytest.fixture
def source(settings) -> IntegrationSource:
    settings.INBOX_SOURCES_ALLOW_LOCAL_HTTP = True
    return IntegrationSource.objects.create(slug="website-chat", name="Website chat", callback_url="https://x.test/r")


def payload(**overrides: Any) -> dict[str, Any]:
    data: dict[str, Any] = {
        "message_id": "m-1",
        "contact": {"id": "visitor-42", "name": "Dana Reyes", "email": "dana@example.net", "phone": "+17735550101"},
        "body": "Do you have <b>towels</b>?",
        "channel": "sms",
    }
    return data | overrides


def post(
    source: IntegrationSource,
    data: Any,
    *,
    secret: str | None = None,
    timestamp: float | None = None,
    headers: dict[str, str] | None = None,
    raw: bytes | None = None,
    slug: str | None = None,
) -> Any:
    body = raw if raw is not None else json.dumps(data).encode()
    signed = sources.source_headers(secret=secret or source.secret, body=body, now=timestamp)
    sent = signed if headers is None else headers
    return APIClient().post(
        URL.format(slug=slug or source.slug),
        data=body,
        content_type="application/json",
        headers=sent,
    )


def test_a_signed_message_creates_contact_conversation_and_unread_message(source, django_capture_on_commit_callbacks):
    received: list[list[int]] = []

    def receiver(sender: Any, message_ids: list[int], **kwargs: Any) -> None:
        received.append(message_ids)

    inbound_messages_received.connect(receiver)
    try:
        with django_capture_on_commit_callbacks(execute=True):
            response = post(source, payload())
    finally:
        inbound_messages_received.disconnect(receiver)

    assert response.status_code == 201, response.json()
    message = InboxMessage.objects.get()
    assert response.json()["id"] == message.pk
    assert response.json()["message_id"] == "m-1"
    assert (message.external_id, message.direction, message.author_kind, message.channel) == (
        "website-chat:m-1",
        "inbound",
        "member",
        "sms",
    )
    assert message.body == "Do you have <b>towels</b>?"  # stored as sent; pages escape it
    contact = Contact.objects.get()
    assert (contact.external_id, contact.name, contact.email, contact.clubos_id) == (
        "website-chat:visitor-42",
        "Dana Reyes",
        "dana@example.net",
        None,
    )
    conversation = Conversation.objects.get()
    assert conversation.source == "website-chat"
    assert (conversation.unread_count, conversation.last_inbound_id, conversation.status) == (1, message.pk, "open")
    assert conversation.last_message_preview == "Do you have <b>towels</b>?"
    assert received == [[message.pk]]  # the AI agent hears of it like of a synced message


def test_a_new_message_reopens_a_resolved_conversation_and_counts_unread(source):
    post(source, payload())
    Conversation.objects.update(status="resolved", unread_count=0)

    response = post(source, payload(message_id="m-2", body="And a lock?"))

    assert response.status_code == 201
    conversation = Conversation.objects.get()
    assert (conversation.status, conversation.unread_count) == ("open", 1)
    assert conversation.messages.count() == 2


def test_a_replay_returns_the_stored_message_and_stores_nothing(source):
    first = post(source, payload())
    again = post(source, payload(body="a different body, same id"))

    assert (first.status_code, again.status_code) == (201, 200)
    assert again.json() == first.json()
    assert InboxMessage.objects.count() == 1
    assert Conversation.objects.get().unread_count == 1


def test_the_same_message_id_from_another_source_is_another_message(source):
    other = IntegrationSource.objects.create(slug="ai-assistant", name="AI assistant", callback_url="https://y.test/")
    post(source, payload())

    response = post(other, payload())

    assert response.status_code == 201
    assert InboxMessage.objects.count() == 2
    assert Contact.objects.count() == 2  # contact ids are per source too


def test_two_source_contacts_may_share_a_name_and_clubos_senders_stay_apart(source):
    post(source, payload())
    post(source, payload(message_id="m-2", contact={"id": "visitor-43", "name": "Dana Reyes"}))
    ConversationFactory.create(contact__clubos_id=None, contact__name="Dana Reyes")  # a ClubOS sender kept by name

    assert Contact.objects.filter(name="Dana Reyes").count() == 3
    assert Conversation.objects.filter(source="website-chat").count() == 2


@pytest.mark.parametrize(
    ("case", "detail"),
    [
        ("wrong secret", "does not match"),
        ("tampered body", "does not match"),
        ("no signature", "headers are required"),
        ("no timestamp", "headers are required"),
        ("not a number", "unix seconds"),
        ("no prefix", "does not match"),
    ],
)
def test_a_bad_signature_is_401_and_stores_nothing(source, case, detail):
    body = json.dumps(payload()).encode()
    good = sources.source_headers(secret=source.secret, body=body)
    timestamp, signature = good[sources.TIMESTAMP_HEADER], good[sources.SIGNATURE_HEADER]
    if case == "wrong secret":
        response = post(source, payload(), secret="not-the-secret")
    elif case == "tampered body":
        response = post(source, None, raw=body.replace(b"towels", b"knives"), headers=good)
    elif case == "no signature":
        response = post(source, None, raw=body, headers={sources.TIMESTAMP_HEADER: timestamp})
    elif case == "no timestamp":
        response = post(source, None, raw=body, headers={sources.SIGNATURE_HEADER: signature})
    elif case == "not a number":
        response = post(
            source, None, raw=body, headers={sources.TIMESTAMP_HEADER: "soon", sources.SIGNATURE_HEADER: signature}
        )
    else:
        bare = {sources.TIMESTAMP_HEADER: timestamp, sources.SIGNATURE_HEADER: signature.removeprefix("sha256=")}
        response = post(source, None, raw=body, headers=bare)

    assert response.status_code == 401
    assert detail in response.json()["detail"]
    assert not InboxMessage.objects.exists()
    assert not Contact.objects.exists()


BOUNDARY_INSTANT = datetime(2026, 3, 8, 7, 0, 30, tzinfo=UTC)


@pytest.mark.parametrize(
    ("offset", "expected"),
    [(-300, 201), (300, 201), (-302, 401), (302, 401), (-3600, 401)],
)
def test_the_timestamp_may_be_five_minutes_off_and_no_more(source, offset, expected):
    with time_machine.travel(BOUNDARY_INSTANT, tick=False):
        response = post(source, payload(), timestamp=time.time() + offset)

    assert response.status_code == expected, response.json()
    if expected == 401:
        assert "within 300 seconds" in response.json()["detail"]
        assert ("too old" if offset < 0 else "too far in the future") in response.json()["detail"]


def test_admin_rotates_the_secret_and_the_old_one_stops_working(source, admin_client_logged_in):
    old = source.secret

    response = admin_client_logged_in.post(
        "/admin/inbox/integrationsource/", {"action": "rotate_secret", "_selected_action": [source.pk]}
    )

    assert response.status_code == 302
    source.refresh_from_db()
    assert source.secret != old
    assert old not in admin_client_logged_in.get(f"/admin/inbox/integrationsource/{source.pk}/change/").content.decode()
    assert post(source, payload(), secret=old).status_code == 401
    assert post(source, payload()).status_code == 201


def test_admin_creates_a_source_with_a_generated_secret_it_alone_sees(admin_client_logged_in, staff_client, settings):
    settings.INBOX_SOURCES_ALLOW_LOCAL_HTTP = False
    refused = admin_client_logged_in.post(
        "/admin/inbox/integrationsource/add/",
        {"name": "Chat", "slug": "chat", "callback_url": "http://chat.example.test/r", "is_active": "on"},
    )
    created = admin_client_logged_in.post(
        "/admin/inbox/integrationsource/add/",
        {"name": "Chat", "slug": "chat", "callback_url": "https://chat.example.test/r", "is_active": "on"},
    )

    assert refused.status_code == 200  # the form again: https only
    assert created.status_code == 302
    source = IntegrationSource.objects.get()
    assert len(source.secret) >= 40
    page = f"/admin/inbox/integrationsource/{source.pk}/change/"
    assert source.secret in admin_client_logged_in.get(page).content.decode()
    assert staff_client.get(page).status_code in (302, 403)


def test_clubos_is_not_a_source_slug(admin_client_logged_in):
    response = admin_client_logged_in.post(
        "/admin/inbox/integrationsource/add/",
        {"name": "Fake", "slug": "clubos", "callback_url": "https://x.test/r", "is_active": "on"},
    )

    assert response.status_code == 200
    assert not IntegrationSource.objects.exists()


@pytest.mark.parametrize(
    ("message_id", "contact"),
    [
        ("", sources.SourceContact(id="v1", name="Dana")),
        ("m1", sources.SourceContact(id="", name="Dana")),
        ("m1", sources.SourceContact(id="v1", name=" ")),
        ("m1", sources.SourceContact(id="v1", name="Dana\x1b[31m")),
    ],
)
def test_the_service_refuses_what_the_api_would(source, message_id, contact):
    from core.exceptions import InvalidInput

    with pytest.raises(InvalidInput):
        sources.source_message_ingest(source=source, message_id=message_id, contact=contact, body="hi")
    assert not Contact.objects.exists()


def test_unknown_and_inactive_sources_are_404(source):
    assert post(source, payload(), slug="no-such-source").status_code == 404
    source.is_active = False
    source.save()
    assert post(source, payload()).status_code == 404
    assert not InboxMessage.objects.exists()


@pytest.mark.parametrize(
    ("data", "field"),
    [
        ({"message_id": ""}, "message_id"),
        ({"message_id": 7}, "message_id"),
        ({"body": "   "}, "body"),
        ({"body": "bad\x00byte"}, "body"),
        ({"body": "x" * 5001}, "body"),
        ({"contact": {"name": "No id"}}, "contact.id"),
        ({"contact": {"id": "v1"}}, "contact.name"),
        ({"contact": {"id": "v1", "name": "Dana", "email": "not-an-email"}}, "contact.email"),
        ({"contact": "visitor-42"}, "contact"),
        ({"channel": "fax"}, "channel"),
        ({"sent_at": "yesterday"}, "sent_at"),
    ],
)
def test_invalid_fields_are_400_naming_the_field(source, data, field):
    response = post(source, payload(**data))

    assert response.status_code == 400
    assert response.json()["detail"].startswith(f"{field}:")
    assert not InboxMessage.objects.exists()


@pytest.mark.parametrize("raw", [b"{not json", b"[1, 2]", b'"text"', b"[" * 100 + b"]" * 100])
def test_a_body_that_is_not_a_json_object_is_400(source, raw):
    assert post(source, None, raw=raw).status_code == 400


def test_a_body_over_the_limit_is_413_before_it_is_read(source, settings):
    settings.CLUBROOM_API_MAX_JSON_BYTES = 1024
    response = post(source, payload(body="x" * 2000))

    assert response.status_code == 413


def test_no_session_or_csrf_is_needed_and_a_session_does_not_replace_the_signature(source, staff):
    client = APIClient(enforce_csrf_checks=True)
    client.force_login(staff)
    body = json.dumps(payload()).encode()

    unsigned = client.post(URL.format(slug=source.slug), data=body, content_type="application/json")
    signed = client.post(
        URL.format(slug=source.slug),
        data=body,
        content_type="application/json",
        headers=sources.source_headers(secret=source.secret, body=body),
    )

    assert (unsigned.status_code, signed.status_code) == (401, 201)


def test_sent_at_is_kept_but_never_in_the_future(source, clubroom_now):
    earlier = datetime.now(UTC) - timedelta(hours=2)
    post(source, payload(sent_at=earlier.isoformat()))
    post(source, payload(message_id="m-2", sent_at=(datetime.now(UTC) + timedelta(days=1)).isoformat()))

    first, second = InboxMessage.objects.order_by("pk")
    assert first.sent_at == earlier
    assert second.sent_at <= datetime.now(UTC)


def test_a_contacts_details_are_updated_by_later_messages(source):
    post(source, payload())
    post(source, payload(message_id="m-2", contact={"id": "visitor-42", "name": "Dana R.", "phone": "+17735550199"}))

    contact = Contact.objects.get()
    assert (contact.name, contact.phone, contact.email) == ("Dana R.", "+17735550199", "dana@example.net")


def test_a_synced_clubos_message_never_lands_in_a_source_conversation(source):
    from inbox.services.ingest import clubos_message_sink
    from tests.inbox.factories import synced

    post(source, payload(contact={"id": "v9", "name": "Pat Quinn"}))
    clubos_message_sink.ingest(messages=[synced(clubos_id=None, name="Pat Quinn", body="from ClubOS")])

    assert Conversation.objects.count() == 2
    assert InboxMessage.objects.get(body="from ClubOS").conversation.source == "clubos"


def test_source_messages_do_not_collide_with_clubos_messages(source):
    InboxMessageFactory.create()
    assert post(source, payload()).status_code == 201
    assert InboxMessage.objects.count() == 2


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_the_same_message_delivered_concurrently_is_stored_once():
    if connection.vendor != "postgresql":
        pytest.skip("needs PostgreSQL: SQLite serialises writers, so there is no race to test")
    source = IntegrationSource.objects.create(slug="website-chat", name="Website chat", callback_url="https://x.test/")
    body = json.dumps(payload()).encode()
    barrier = threading.Barrier(6)
    statuses: list[int] = []
    errors: list[BaseException] = []

    def deliver() -> None:
        try:
            barrier.wait(timeout=10)
            response = APIClient().post(
                URL.format(slug=source.slug),
                data=body,
                content_type="application/json",
                headers=sources.source_headers(secret=source.secret, body=body),
            )
            statuses.append(response.status_code)
        except BaseException as error:
            errors.append(error)
        finally:
            connections.close_all()

    workers = [threading.Thread(target=deliver) for _ in range(6)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join(timeout=60)

    assert errors == []
    assert sorted(statuses) == [200, 200, 200, 200, 200, 201]
    assert InboxMessage.objects.count() == 1
    assert Contact.objects.count() == 1
    assert Conversation.objects.get().unread_count == 1
