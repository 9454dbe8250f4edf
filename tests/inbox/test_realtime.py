"""The staff inbox count on `/ws/notifications/`, with the real counter and the real sync sink (no stubs)."""

from __future__ import annotations

import pytest
from channels.db import database_sync_to_async
from channels.layers import get_channel_layer
from channels.testing import WebsocketCommunicator
from django.conf import settings as django_settings
from django.test import Client

from config.asgi import application
from inbox import selectors
from inbox.models import Conversation
from inbox.services.actions import conversation_mark_read
from inbox.services.ingest import clubos_message_sink
from tests.accounts.factories import MemberFactory, StaffFactory
from tests.inbox.factories import synced

pytestmark = [pytest.mark.django_db(transaction=True)]

TIMEOUT = 3


@pytest.fixture(autouse=True)
async def _clean_layer():
    layer = get_channel_layer()
    if hasattr(layer, "flush"):
        await layer.flush()


@database_sync_to_async
def _cookie(user) -> bytes:
    client = Client()
    client.force_login(user)
    return f"{django_settings.SESSION_COOKIE_NAME}={client.cookies[django_settings.SESSION_COOKIE_NAME].value}".encode()


async def _open(user) -> WebsocketCommunicator:
    headers = [(b"origin", b"http://testserver"), (b"host", b"testserver"), (b"cookie", await _cookie(user))]
    communicator = WebsocketCommunicator(application, "/ws/notifications/", headers=headers)
    connected, _ = await communicator.connect(timeout=TIMEOUT)
    assert connected
    return communicator


async def _next_unread(communicator: WebsocketCommunicator) -> dict:
    """The next badge snapshot (the list's `conversation.changed` events come in between)."""
    while True:
        frame = await communicator.receive_json_from(TIMEOUT)
        if frame["type"] == "unread":
            return frame


async def test_staff_badge_follows_synced_inbound_messages_and_reads():
    staff = await database_sync_to_async(StaffFactory)()
    member = await database_sync_to_async(MemberFactory)()
    await database_sync_to_async(clubos_message_sink.ingest)(messages=[synced(clubos_id=61_000_100, body="first")])

    staff_socket = await _open(staff)
    member_socket = await _open(member)
    assert (await staff_socket.receive_json_from(TIMEOUT))["inbox"] == 1
    assert (await member_socket.receive_json_from(TIMEOUT))["inbox"] is None

    # A new member texts the club: the sync's write pushes every staff socket a fresh count.
    await database_sync_to_async(clubos_message_sink.ingest)(messages=[synced(clubos_id=61_000_107, name="Zoë Müller")])
    frame = await _next_unread(staff_socket)
    assert frame == {"type": "unread", "messages": 0, "inbox": 2}
    assert frame["inbox"] == await database_sync_to_async(selectors.staff_unread_count)(user=staff)
    assert await member_socket.receive_nothing(timeout=0.3)  # members are not in the staff group

    # Staff open one conversation: their count goes down.
    conversation = await database_sync_to_async(Conversation.objects.with_unread().first)()
    await database_sync_to_async(conversation_mark_read)(conversation=conversation, user=staff)
    assert (await _next_unread(staff_socket))["inbox"] == 1

    await staff_socket.disconnect()
    await member_socket.disconnect()


async def test_inbound_into_an_already_unread_conversation_still_refreshes_the_badge_and_the_list():
    staff = await database_sync_to_async(StaffFactory)()
    other = await database_sync_to_async(StaffFactory)()
    await database_sync_to_async(clubos_message_sink.ingest)(messages=[synced(clubos_id=61_000_100, body="first")])
    conversation = await database_sync_to_async(Conversation.objects.get)()
    # The other staff member reads it; for me it stays unread.
    await database_sync_to_async(conversation_mark_read)(conversation=conversation, user=other)

    mine, theirs = await _open(staff), await _open(other)
    assert (await _next_unread(mine))["inbox"] == 1
    assert (await _next_unread(theirs))["inbox"] == 0

    # A second text into the conversation that is already unread for me.
    await database_sync_to_async(clubos_message_sink.ingest)(messages=[synced(clubos_id=61_000_100, body="hello?")])
    frames = [await mine.receive_json_from(TIMEOUT), await mine.receive_json_from(TIMEOUT)]
    assert {"type": "unread", "messages": 0, "inbox": 1} in frames  # pushed although the count is the same
    assert {"type": "conversation.changed", "conversation_id": conversation.pk} in frames  # the list refetches
    assert (await _next_unread(theirs))["inbox"] == 1  # past their pointer now

    await mine.disconnect()
    await theirs.disconnect()


async def test_a_colleague_resolving_or_assigning_refreshes_every_staff_badge():
    from inbox.services import actions

    me = await database_sync_to_async(StaffFactory)()
    colleague = await database_sync_to_async(StaffFactory)()
    await database_sync_to_async(clubos_message_sink.ingest)(messages=[synced(clubos_id=61_000_100, body="first")])
    conversation = await database_sync_to_async(Conversation.objects.get)()

    socket = await _open(me)
    assert (await _next_unread(socket))["inbox"] == 1

    # Pending and assigned to the colleague: neither open nor mine, so off my badge at once.
    await database_sync_to_async(actions.conversation_status_set)(
        conversation=conversation, actor=colleague, status="pending"
    )
    assert (await _next_unread(socket))["inbox"] == 0
    # Assigned to me while pending: mine, so back on my badge.
    await database_sync_to_async(actions.conversation_assign)(conversation=conversation, actor=colleague, assignee=me)
    assert (await _next_unread(socket))["inbox"] == 1

    await socket.disconnect()
