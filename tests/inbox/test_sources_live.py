"""A source's message end to end: the signed webhook → a staff socket's badge → a reply from the page → the source.

Real entry points only: the API over DRF's client, `/ws/notifications/` over `WebsocketCommunicator`, the
conversation page's form, and the source's callback over HTTP (tests/fixtures/source_callback.py).
"""

from __future__ import annotations

import json

import pytest
from channels.db import database_sync_to_async
from channels.layers import get_channel_layer
from channels.testing import WebsocketCommunicator
from django.conf import settings as django_settings
from django.test import Client
from rest_framework.test import APIClient

from config.asgi import application
from inbox.models import Conversation, InboxMessage
from inbox.services import sources
from tests.accounts.factories import StaffFactory, as_user

pytestmark = [pytest.mark.django_db(transaction=True)]

TIMEOUT = 3


@pytest.fixture(autouse=True)
async def _clean_layer():
    layer = get_channel_layer()
    if hasattr(layer, "flush"):
        await layer.flush()


def _deliver(source, message_id: str, body: str) -> int:
    raw = json.dumps(
        {"message_id": message_id, "contact": {"id": "visitor-42", "name": "Dana Reyes"}, "body": body}
    ).encode()
    response = APIClient().post(
        f"/api/v1/inbox/sources/{source.slug}/messages/",
        data=raw,
        content_type="application/json",
        headers=sources.source_headers(secret=source.secret, body=raw),
    )
    return response.status_code


@database_sync_to_async
def _cookie(user) -> bytes:
    client = Client()
    client.force_login(user)
    return f"{django_settings.SESSION_COOKIE_NAME}={client.cookies[django_settings.SESSION_COOKIE_NAME].value}".encode()


async def test_a_source_message_updates_every_staff_badge_live(source_callback):
    staff = await database_sync_to_async(StaffFactory)()
    headers = [(b"origin", b"http://testserver"), (b"host", b"testserver"), (b"cookie", await _cookie(staff))]
    socket = WebsocketCommunicator(application, "/ws/notifications/", headers=headers)
    connected, _ = await socket.connect(timeout=TIMEOUT)
    assert connected
    assert (await socket.receive_json_from(TIMEOUT))["inbox"] == 0

    assert await database_sync_to_async(_deliver)(source_callback.source, "m-1", "Towels?") == 201

    frames = [await socket.receive_json_from(TIMEOUT), await socket.receive_json_from(TIMEOUT)]
    assert {"type": "unread", "messages": 0, "inbox": 1} in frames
    assert sorted(frame["type"] for frame in frames) == ["conversation.changed", "unread"]  # open lists refetch
    # A replay changes nothing, so it announces nothing either.
    assert await database_sync_to_async(_deliver)(source_callback.source, "m-1", "Towels?") == 200
    assert await socket.receive_nothing(timeout=0.3)
    await socket.disconnect()


def test_a_reply_from_the_conversation_page_reaches_the_source(source_callback):
    assert _deliver(source_callback.source, "m-1", "Do you have towels?") == 201
    conversation = Conversation.objects.get()
    staff = as_user(StaffFactory())
    client = Client()
    client.force_login(staff)

    page = client.get(f"/inbox/{conversation.pk}/")
    response = client.post(
        f"/inbox/{conversation.pk}/", {"channel": "sms", "body": "Yes, at the desk!", "idempotency_key": "form-1"}
    )

    assert page.status_code == 200
    assert b"Do you have towels?" in page.content
    assert response.status_code == 302
    reply = InboxMessage.objects.get(direction="outbound")
    assert (reply.delivery_status, reply.attempts, reply.author) == ("sent", 1, staff)
    [payload] = source_callback.payloads()
    assert (payload["message_id"], payload["contact_id"], payload["body"]) == (
        "form-1",
        "visitor-42",
        "Yes, at the desk!",
    )
