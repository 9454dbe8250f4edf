"""The conversation socket /ws/inbox/<id>/ through the real ASGI stack (origin, session auth, routing)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from channels.db import database_sync_to_async
from channels.layers import get_channel_layer
from channels.testing import WebsocketCommunicator
from django.conf import settings as django_settings
from django.test import Client
from django.utils import timezone

from config.asgi import application
from inbox.models import Conversation
from inbox.services import actions, conversations
from inbox.services.ingest import clubos_message_sink
from tests.accounts.factories import MemberFactory, StaffFactory
from tests.inbox.factories import ConversationFactory, synced

pytestmark = [pytest.mark.django_db(transaction=True)]

TIMEOUT = 3
db = database_sync_to_async


@pytest.fixture(autouse=True)
async def _clean_layer():
    layer = get_channel_layer()
    if hasattr(layer, "flush"):
        await layer.flush()


@db
def _cookie(user) -> bytes:
    client = Client()
    client.force_login(user)
    return f"{django_settings.SESSION_COOKIE_NAME}={client.cookies[django_settings.SESSION_COOKIE_NAME].value}".encode()


async def _open(conversation_id: int | str, user=None) -> WebsocketCommunicator:
    headers = [(b"origin", b"http://testserver"), (b"host", b"testserver")]
    if user is not None:
        headers.append((b"cookie", await _cookie(user)))
    communicator = WebsocketCommunicator(application, f"/ws/inbox/{conversation_id}/", headers=headers)
    connected, _ = await communicator.connect(timeout=TIMEOUT)
    assert connected
    return communicator


async def _closed_with(communicator: WebsocketCommunicator) -> int:
    output = await communicator.receive_output(TIMEOUT)
    assert output["type"] == "websocket.close"
    return int(output["code"])


async def test_anonymous_and_members_are_closed_4403_and_unknown_conversations_4404():
    conversation = await db(ConversationFactory.create)()
    member = await db(MemberFactory)()
    staff = await db(StaffFactory)()
    assert await _closed_with(await _open(conversation.pk)) == 4403
    assert await _closed_with(await _open(conversation.pk, member)) == 4403
    assert await _closed_with(await _open(987654321, staff)) == 4404


async def test_actions_replies_and_inbound_messages_are_announced_to_open_pages():
    staff, colleague = await db(StaffFactory)(), await db(StaffFactory)()
    await db(clubos_message_sink.ingest)(messages=[synced(clubos_id=61_000_100, body="first")])
    conversation = await db(Conversation.objects.get)()
    other = await db(ConversationFactory.create)()
    socket = await _open(conversation.pk, staff)
    changed = {"type": "conversation.changed", "conversation_id": conversation.pk}

    await db(actions.conversation_assign)(conversation=conversation, actor=colleague, assignee=colleague)
    assert await socket.receive_json_from(TIMEOUT) == changed
    await db(actions.note_add)(conversation=conversation, author=colleague, body="On it")
    assert await socket.receive_json_from(TIMEOUT) == changed
    await db(conversations.conversation_reply)(conversation=conversation, author=colleague, channel="sms", body="Hi")
    # the reply, then its delivery (tasks run eagerly in tests: queued → sending → sent or failed)
    assert await socket.receive_json_from(TIMEOUT) == changed
    while not await socket.receive_nothing(0.3):
        assert await socket.receive_json_from(TIMEOUT) == changed
    await db(actions.conversation_snooze)(
        conversation=conversation, actor=colleague, until=timezone.now() + timedelta(hours=1)
    )
    assert await socket.receive_json_from(TIMEOUT) == changed
    # A text from the member reaches the open page too (the ingest announces it).
    await db(clubos_message_sink.ingest)(messages=[synced(clubos_id=61_000_100, body="still there?")])
    assert await socket.receive_json_from(TIMEOUT) == changed
    # Another conversation's changes are not this page's business.
    await db(actions.conversation_priority_set)(conversation=other, actor=colleague, priority="high")
    assert await socket.receive_nothing(0.3)
    await socket.disconnect()


async def test_typing_reaches_the_other_staff_member_only_and_is_throttled():
    sam = await db(StaffFactory)(display_name="Sam Front")
    alex = await db(StaffFactory)(display_name="Alex Desk")
    conversation = await db(ConversationFactory.create)()
    typist, reader = await _open(conversation.pk, sam), await _open(conversation.pk, alex)
    await typist.send_json_to({"type": "typing"})
    assert await reader.receive_json_from(TIMEOUT) == {"type": "typing", "user_id": sam.pk, "name": "Sam Front"}
    assert await typist.receive_nothing(0.3)  # never to yourself
    await typist.send_json_to({"type": "typing"})  # within a second of the last: not relayed
    assert await reader.receive_nothing(0.3)
    await typist.send_json_to({"type": "something-else"})
    await typist.send_to(text_data="not json")
    assert await reader.receive_nothing(0.3)
    # Sam in a second tab of the same conversation is not warned about Sam.
    sams_other_tab = await _open(conversation.pk, sam)
    await reader.send_json_to({"type": "typing"})
    assert (await typist.receive_json_from(TIMEOUT))["name"] == "Alex Desk"
    assert (await sams_other_tab.receive_json_from(TIMEOUT))["name"] == "Alex Desk"
    for socket in (typist, reader, sams_other_tab):
        await socket.disconnect()


async def test_notifications_socket_of_staff_hears_conversation_changes():
    staff = await db(StaffFactory)()
    conversation = await db(ConversationFactory.create)()
    headers = [(b"origin", b"http://testserver"), (b"host", b"testserver"), (b"cookie", await _cookie(staff))]
    socket = WebsocketCommunicator(application, "/ws/notifications/", headers=headers)
    assert (await socket.connect(TIMEOUT))[0]
    assert (await socket.receive_json_from(TIMEOUT))["type"] == "unread"
    await db(actions.conversation_status_set)(conversation=conversation, actor=staff, status="resolved")
    frame = await socket.receive_json_from(TIMEOUT)
    assert frame == {"type": "conversation.changed", "conversation_id": conversation.pk}
    await socket.disconnect()
