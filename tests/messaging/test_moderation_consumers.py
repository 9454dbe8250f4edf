"""A suspended member on the thread socket: still reads live, but announces no typing (the socket has no send)."""

from __future__ import annotations

import pytest

from messaging import moderation, services
from messaging.models import MessagingSuspension
from tests.messaging.factories import make_staff
from tests.messaging.test_consumers import TIMEOUT, _clean_layer, _open, _setup_pair, db

pytestmark = [pytest.mark.django_db(transaction=True)]

__all__ = ["_clean_layer"]


@db
def _suspend(member, reporter, thread):
    message = services.message_send(sender=member, thread_id=thread.pk, body="rude")
    report, _ = services.report_create(reporter=reporter, message_id=message.pk)
    staff = make_staff()
    moderation.report_decide(report_id=report.pk, actor=staff, decision="suspend")
    return staff


async def test_suspended_member_still_reads_live_but_typing_is_not_relayed_until_lifted():
    a, b, thread = await _setup_pair()
    staff = await _suspend(a, b, thread)
    suspended, connected = await _open(f"/ws/messages/{thread.pk}/", a)
    assert connected  # reading is never taken away
    other, _ = await _open(f"/ws/messages/{thread.pk}/", b)

    await db(services.message_send)(sender=b, thread_id=thread.pk, body="why?")
    frame = await suspended.receive_json_from(TIMEOUT)
    assert frame["type"] == "message"
    assert frame["message"]["body"] == "why?"
    await other.receive_json_from(TIMEOUT)  # b's own copy

    await suspended.send_json_to({"type": "typing"})
    assert await other.receive_nothing(timeout=0.5)

    suspension = await db(MessagingSuspension.objects.get)()
    await db(moderation.suspension_lift)(suspension_id=suspension.pk, actor=staff)
    await suspended.disconnect()
    suspended, _ = await _open(f"/ws/messages/{thread.pk}/", a)
    await suspended.send_json_to({"type": "typing"})
    assert (await other.receive_json_from(TIMEOUT))["type"] == "typing"
    await suspended.disconnect()
    await other.disconnect()
