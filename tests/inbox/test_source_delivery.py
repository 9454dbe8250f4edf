"""Replies to an integration source's conversation: the one outbound path, to the source's callback URL.

Against a real local HTTP endpoint (tests/fixtures/source_callback.py) that records requests and
fails on demand: signed like inbound requests, retried on 5xx/timeouts up to 3 attempts in all,
refused on 4xx, never sent again after a 2xx.
"""

from __future__ import annotations

import time

import pytest

from inbox.models import Conversation, InboxMessage
from inbox.services import conversations, outbound, sources
from inbox.services.outbound import outbound_message_deliver

pytestmark = pytest.mark.django_db


@pytest.fixture
def conversation(source_callback) -> Conversation:
    outcome = sources.source_message_ingest(
        source=source_callback.source,
        message_id="m-1",
        contact=sources.SourceContact(id="visitor-42", name="Dana Reyes"),
        body="Do you have towels?",
    )
    return outcome.message.conversation


def queue(conversation: Conversation, staff, body: str = "Yes, at the front desk!") -> InboxMessage:
    """Queue a staff reply; its delivery task runs only when the test says (on-commit callbacks are not run)."""
    return conversations.conversation_reply(
        conversation=conversation, author=staff, channel="sms", body=body, idempotency_key="reply-1"
    )


def test_a_reply_is_posted_signed_with_its_idempotency_key(source_callback, conversation, staff):
    message = queue(conversation, staff)

    assert outbound_message_deliver(message_id=message.pk).status == "sent"

    [(headers, raw)] = source_callback.requests
    timestamp = headers["x-clubroom-timestamp"]
    assert abs(int(timestamp) - time.time()) < 60
    expected = sources.source_signature(secret=source_callback.source.secret, timestamp=timestamp, body=raw)
    assert headers["x-clubroom-signature"] == expected
    assert headers["idempotency-key"] == "reply-1"
    assert headers["x-clubroom-source"] == "website-chat"
    assert headers["content-type"] == "application/json"
    [payload] = source_callback.payloads()
    assert payload == {
        "message_id": "reply-1",
        "conversation": conversation.pk,
        "contact_id": "visitor-42",
        "body": "Yes, at the front desk!",
        "subject": "",
        "channel": "sms",
        "sent_at": payload["sent_at"],
    }
    message.refresh_from_db()
    assert (message.delivery_status, message.attempts, message.failure_reason) == ("sent", 1, "")


def test_the_receiver_can_verify_our_signature_with_its_own_code(source_callback, conversation, staff):
    """What docs/integrations.md tells a source to do, done independently of our helper."""
    import hashlib
    import hmac

    outbound_message_deliver(message_id=queue(conversation, staff).pk)

    [(headers, raw)] = source_callback.requests
    signed = headers["x-clubroom-timestamp"].encode() + b"." + raw
    digest = hmac.new(source_callback.source.secret.encode(), signed, hashlib.sha256).hexdigest()
    assert hmac.compare_digest(headers["x-clubroom-signature"], f"sha256={digest}")


def test_a_5xx_is_retried_and_a_later_2xx_sends_it(source_callback, conversation, staff):
    source_callback.fail(500, count=2)
    message = queue(conversation, staff)

    outcomes = [outbound_message_deliver(message_id=message.pk).status for _ in range(3)]

    assert outcomes == ["queued", "queued", "sent"]
    assert len(source_callback.requests) == 3
    assert {headers["idempotency-key"] for headers, _ in source_callback.requests} == {"reply-1"}
    message.refresh_from_db()
    assert (message.delivery_status, message.attempts) == ("sent", 3)


def test_three_5xx_fail_it_and_nothing_sends_it_a_fourth_time(source_callback, conversation, staff):
    source_callback.fail(503, count=5)
    message = queue(conversation, staff)

    outcomes = [outbound_message_deliver(message_id=message.pk).status for _ in range(4)]
    outbound.outbound_sweep()

    assert outcomes == ["queued", "queued", "failed", "failed"]
    assert len(source_callback.requests) == 3
    message.refresh_from_db()
    assert message.delivery_status == "failed"
    assert "HTTP 503" in message.failure_reason


def test_never_sent_again_after_a_2xx(source_callback, conversation, staff):
    message = queue(conversation, staff)

    first = outbound_message_deliver(message_id=message.pk)
    again = outbound_message_deliver(message_id=message.pk)  # a duplicated task
    outbound.outbound_sweep()

    assert (first.status, again.status) == ("sent", "sent")
    assert len(source_callback.requests) == 1
    assert source_callback.delivered() == ["reply-1"]


@pytest.mark.parametrize("status", [400, 404, 410, 422])
def test_a_4xx_refuses_it_for_good(source_callback, conversation, staff, status):
    source_callback.fail(status)
    message = queue(conversation, staff)

    assert outbound_message_deliver(message_id=message.pk).status == "failed"
    assert outbound_message_deliver(message_id=message.pk).status == "failed"

    assert len(source_callback.requests) == 1
    message.refresh_from_db()
    assert message.failure_reason == f"The source refused the reply (HTTP {status})."
    assert message.delivery_uncertain is False


def test_a_timeout_is_retried_with_the_same_key_so_the_source_can_dedupe(source_callback, conversation, staff):
    source_callback.stall(1.5)
    message = queue(conversation, staff)

    first = outbound_message_deliver(message_id=message.pk)
    message.refresh_from_db()
    assert (first.status, message.delivery_uncertain) == ("queued", True)
    assert "timed out" in message.failure_reason

    assert outbound_message_deliver(message_id=message.pk).status == "sent"
    assert [headers["idempotency-key"] for headers, _ in source_callback.requests] == ["reply-1", "reply-1"]


def test_an_unreachable_callback_is_retried_then_fails(source_callback, conversation, staff):
    source_callback.stop()
    message = queue(conversation, staff)

    outcomes = [outbound_message_deliver(message_id=message.pk).status for _ in range(3)]

    assert outcomes == ["queued", "queued", "failed"]
    message.refresh_from_db()
    assert "could not connect" in message.failure_reason
    assert message.delivery_uncertain is False  # it never reached the source


def test_an_inactive_source_gets_no_reply(source_callback, conversation, staff):
    message = queue(conversation, staff)
    source_callback.source.is_active = False
    source_callback.source.save()

    assert outbound_message_deliver(message_id=message.pk).status == "failed"

    assert source_callback.requests == []
    message.refresh_from_db()
    assert "not active" in message.failure_reason


def test_a_reply_through_the_delivery_task_reaches_the_source_once(
    source_callback, conversation, staff, django_capture_on_commit_callbacks
):
    """End to end through the on-commit nudge and the (eager) Celery task, with two 500s on the way."""
    source_callback.fail(500, count=2)

    with django_capture_on_commit_callbacks(execute=True):
        message = queue(conversation, staff, body="See you at 6!")

    message.refresh_from_db()
    assert (message.delivery_status, message.attempts) == ("sent", 3)
    assert len(source_callback.requests) == 3
    assert source_callback.delivered() == ["reply-1"]


def test_clubos_conversations_still_need_a_clubos_contact(source_callback, staff):
    from inbox.exceptions import ReplyNotAllowed
    from tests.inbox.factories import ConversationFactory

    unresolved = ConversationFactory.create(contact__clubos_id=None)

    with pytest.raises(ReplyNotAllowed, match="ClubOS did not recognise"):
        queue(unresolved, staff)
    assert source_callback.requests == []
