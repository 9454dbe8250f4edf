"""Sockets through the real ASGI stack (origin check, session auth, routing) with WebsocketCommunicator."""

from __future__ import annotations

import pytest
from channels.db import database_sync_to_async
from channels.layers import get_channel_layer
from channels.testing import WebsocketCommunicator
from django.conf import settings as django_settings
from django.test import Client

from config.asgi import application
from messaging import selectors, services
from messaging.models import Participant
from tests.messaging.factories import make_member

pytestmark = [pytest.mark.django_db(transaction=True)]

TIMEOUT = 3


@pytest.fixture(autouse=True)
async def _clean_layer():
    layer = get_channel_layer()
    if hasattr(layer, "flush"):
        await layer.flush()
    return


@database_sync_to_async
def _session_cookie(user) -> bytes:
    client = Client()
    client.force_login(user)
    return f"{django_settings.SESSION_COOKIE_NAME}={client.cookies[django_settings.SESSION_COOKIE_NAME].value}".encode()


async def _open(path: str, user=None, origin: bytes = b"http://testserver") -> tuple[WebsocketCommunicator, bool]:
    headers = [(b"origin", origin), (b"host", b"testserver")]
    if user is not None:
        headers.append((b"cookie", await _session_cookie(user)))
    communicator = WebsocketCommunicator(application, path, headers=headers)
    connected, _ = await communicator.connect(timeout=TIMEOUT)
    return communicator, connected


db = database_sync_to_async


@db
def _setup_pair(enabled: bool = True):
    services.messaging_set_enabled(actor=None, enabled=enabled)
    selectors.messaging_enabled_cache_clear()
    a, b = make_member(), make_member()
    if enabled:
        thread, _ = services.thread_start(initiator=a, recipient=b)
    else:
        thread = None
    return a, b, thread


# --- the messages badge on /ws/notifications/ -------------------------------------------------------------------------


async def test_snapshot_on_connect_matches_the_database():
    a, b, thread = await _setup_pair()
    await db(services.message_send)(sender=a, thread_id=thread.pk, body="one")
    await db(services.message_send)(sender=a, thread_id=thread.pk, body="two")
    communicator, connected = await _open("/ws/notifications/", b)
    assert connected
    assert await communicator.receive_json_from(TIMEOUT) == {"type": "unread", "messages": 2, "inbox": None}
    await communicator.disconnect()


async def test_push_on_send_after_commit():
    a, b, thread = await _setup_pair()
    communicator, _ = await _open("/ws/notifications/", b)
    assert (await communicator.receive_json_from(TIMEOUT))["messages"] == 0
    await db(services.message_send)(sender=a, thread_id=thread.pk, body="<script>x</script>")
    assert await communicator.receive_json_from(TIMEOUT) == {"type": "unread", "messages": 1, "inbox": None}
    await communicator.disconnect()


async def test_push_on_read_in_another_tab():
    a, b, thread = await _setup_pair()
    await db(services.message_send)(sender=a, thread_id=thread.pk, body="hi")
    tab1, _ = await _open("/ws/notifications/", b)
    tab2, _ = await _open("/ws/notifications/", b)
    assert (await tab1.receive_json_from(TIMEOUT))["messages"] == 1
    assert (await tab2.receive_json_from(TIMEOUT))["messages"] == 1
    await db(services.thread_mark_read)(user=b, thread_id=thread.pk)
    assert (await tab1.receive_json_from(TIMEOUT))["messages"] == 0
    assert (await tab2.receive_json_from(TIMEOUT))["messages"] == 0
    await tab1.disconnect()
    await tab2.disconnect()


async def test_switching_off_pushes_zero_and_the_link_state_but_keeps_the_socket():
    a, b, thread = await _setup_pair()
    await db(services.message_send)(sender=a, thread_id=thread.pk, body="hi")
    communicator, _ = await _open("/ws/notifications/", b)
    assert (await communicator.receive_json_from(TIMEOUT))["messages"] == 1
    await db(services.messaging_set_enabled)(actor=None, enabled=False)
    assert await communicator.receive_json_from(TIMEOUT) == {"type": "unread", "messages": 0, "inbox": None}
    assert await communicator.receive_json_from(TIMEOUT) == {"type": "messaging", "enabled": False}
    await db(services.messaging_set_enabled)(actor=None, enabled=True)
    assert (await communicator.receive_json_from(TIMEOUT))["messages"] == 1  # nothing was deleted
    assert await communicator.receive_json_from(TIMEOUT) == {"type": "messaging", "enabled": True}
    await communicator.disconnect()


# --- /ws/messages/<id>/ -------------------------------------------------------------------------


async def test_thread_socket_pushes_new_messages_as_text_and_escaped_html():
    a, b, thread = await _setup_pair()
    watcher, connected = await _open(f"/ws/messages/{thread.pk}/", b)
    assert connected
    message = await db(services.message_send)(sender=a, thread_id=thread.pk, body="<img src=x onerror=1>\nbye")
    frame = await watcher.receive_json_from(TIMEOUT)
    assert frame["type"] == "message"
    assert frame["message"]["id"] == message.pk
    assert frame["message"]["body"] == "<img src=x onerror=1>\nbye"
    assert frame["message"]["body_html"] == "&lt;img src=x onerror=1&gt;\nbye"
    assert frame["message"]["mine"] is False
    assert frame["message"]["sender"]["username"] == a.username
    await watcher.disconnect()


async def test_thread_socket_refuses_anonymous_outsiders_and_when_off():
    a, _b, thread = await _setup_pair()
    anonymous, connected = await _open(f"/ws/messages/{thread.pk}/")
    assert not connected
    outsider = await db(make_member)()
    foreign, connected = await _open(f"/ws/messages/{thread.pk}/", outsider)
    assert not connected
    await db(services.messaging_set_enabled)(actor=None, enabled=False)
    off, connected = await _open(f"/ws/messages/{thread.pk}/", a)
    assert not connected
    for communicator in (anonymous, foreign, off):
        await communicator.disconnect()


async def test_thread_socket_closes_when_switched_off():
    a, _b, thread = await _setup_pair()
    watcher, connected = await _open(f"/ws/messages/{thread.pk}/", a)
    assert connected
    await db(services.messaging_set_enabled)(actor=None, enabled=False)
    closed = await watcher.receive_output(TIMEOUT)
    assert closed == {"type": "websocket.close", "code": 4404}


async def test_typing_hint_reaches_the_other_side_only():
    a, b, thread = await _setup_pair()
    typist, _ = await _open(f"/ws/messages/{thread.pk}/", a)
    reader, _ = await _open(f"/ws/messages/{thread.pk}/", b)
    await typist.send_json_to({"type": "typing"})
    frame = await reader.receive_json_from(TIMEOUT)
    assert frame["type"] == "typing"
    assert frame["name"] == a.name
    assert await typist.receive_nothing(0.3)
    await typist.send_json_to({"type": "something-else"})
    assert await reader.receive_nothing(0.3)
    await typist.disconnect()
    await reader.disconnect()


async def test_badge_equals_database_after_sends_reads_and_reconnects():
    a, b, thread = await _setup_pair()
    other = await db(make_member)()
    second, _ = await db(services.thread_start)(initiator=other, recipient=b)
    socket, _ = await _open("/ws/notifications/", b)
    last = await socket.receive_json_from(TIMEOUT)
    steps = [
        db(services.message_send)(sender=a, thread_id=thread.pk, body="1"),
        db(services.message_send)(sender=other, thread_id=second.pk, body="2"),
        db(services.thread_mark_read)(user=b, thread_id=thread.pk),
        db(services.message_send)(sender=a, thread_id=thread.pk, body="3"),
        db(services.message_send)(sender=b, thread_id=second.pk, body="reply reads it"),
    ]
    for index, step in enumerate(steps):
        await step
        last = await socket.receive_json_from(TIMEOUT)
        if index == 2:  # reconnect mid-way: the snapshot alone is enough
            await socket.disconnect()
            socket, _ = await _open("/ws/notifications/", b)
            last = await socket.receive_json_from(TIMEOUT)
    while not await socket.receive_nothing(0.2):
        last = await socket.receive_json_from(TIMEOUT)
    truth = await db(selectors.messages_unread_count)(user_id=b.pk)
    stored = await db(lambda: sum(Participant.objects.filter(user=b).values_list("unread_count", flat=True)))()
    assert last["messages"] == truth == stored == 1
    await socket.disconnect()


async def test_an_id_too_big_for_the_database_is_closed_4404_not_a_crash():
    a, _b, _thread = await _setup_pair()
    communicator, connected = await _open("/ws/messages/" + "9" * 25 + "/", a)
    assert connected  # the catch-all route accepts only to close with a code the client can read
    assert await communicator.receive_output(TIMEOUT) == {"type": "websocket.close", "code": 4404}
    await communicator.disconnect()


@pytest.mark.parametrize("frame", [{"text_data": "not json"}, {"bytes_data": b"\x00\x01"}, {"text_data": "[1, 2]"}])
async def test_garbage_frames_are_ignored_and_the_socket_stays_up(frame):
    a, b, thread = await _setup_pair()
    for path in (f"/ws/messages/{thread.pk}/", "/ws/notifications/"):
        communicator, connected = await _open(path, a)
        assert connected
        if path == "/ws/notifications/":
            await communicator.receive_json_from(TIMEOUT)  # the snapshot
        await communicator.send_to(**frame)
        await db(services.message_send)(sender=b, thread_id=thread.pk, body="still there?")
        pushed = await communicator.receive_json_from(TIMEOUT)
        assert pushed["type"] in ("message", "unread")
        await communicator.disconnect()
