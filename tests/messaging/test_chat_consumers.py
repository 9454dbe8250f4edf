"""The thread socket's chat frames: edits, deletes and "Seen", live for the other person."""

from __future__ import annotations

import pytest

from messaging import services
from tests.messaging.test_consumers import TIMEOUT, _clean_layer, _open, _setup_pair, db

pytestmark = [pytest.mark.django_db(transaction=True)]

__all__ = ["_clean_layer"]  # the autouse fixture that flushes the channel layer


async def test_edit_and_delete_reach_the_other_side_live():
    a, b, thread = await _setup_pair()
    message = await db(services.message_send)(sender=a, thread_id=thread.pk, body="See you at 6")
    watcher, connected = await _open(f"/ws/messages/{thread.pk}/", b)
    assert connected

    await db(services.message_edit)(user=a, message_id=message.pk, body="See you at <b>7</b>")
    frame = await watcher.receive_json_from(TIMEOUT)
    assert frame["type"] == "message_changed"
    assert frame["message"]["id"] == message.pk
    assert frame["message"]["body"] == "See you at <b>7</b>"
    assert frame["message"]["body_html"] == "See you at &lt;b&gt;7&lt;/b&gt;"
    assert frame["message"]["edited_at"] is not None
    assert frame["message"]["mine"] is False

    await db(services.message_delete)(user=a, message_id=message.pk)
    frame = await watcher.receive_json_from(TIMEOUT)
    assert frame["type"] == "message_changed"
    assert frame["message"]["deleted"] is True
    assert frame["message"]["body"] == ""
    await watcher.disconnect()


async def test_seen_reaches_the_sender_when_the_other_side_reads():
    a, b, thread = await _setup_pair()
    message = await db(services.message_send)(sender=a, thread_id=thread.pk, body="hi")
    sender_socket, _ = await _open(f"/ws/messages/{thread.pk}/", a)
    reader_socket, _ = await _open(f"/ws/messages/{thread.pk}/", b)

    await db(services.thread_mark_read)(user=b, thread_id=thread.pk)
    assert await sender_socket.receive_json_from(TIMEOUT) == {"type": "seen", "message_id": message.pk}
    # The reader is not told about their own read.
    assert await reader_socket.receive_nothing(timeout=0.3)
    await sender_socket.disconnect()
    await reader_socket.disconnect()


@pytest.mark.parametrize("who_turns_off", ["sender", "reader"])
async def test_no_seen_frame_when_either_side_turned_receipts_off(who_turns_off):
    a, b, thread = await _setup_pair()
    await db(services.message_send)(sender=a, thread_id=thread.pk, body="hi")
    await db(services.preferences_update)(user_id=(a if who_turns_off == "sender" else b).pk, read_receipts=False)
    sender_socket, _ = await _open(f"/ws/messages/{thread.pk}/", a)
    await db(services.thread_mark_read)(user=b, thread_id=thread.pk)
    assert await sender_socket.receive_nothing(timeout=0.5)
    await sender_socket.disconnect()
