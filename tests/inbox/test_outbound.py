"""The one outbound path, through the sandbox: queued → sent | failed, once, profile untouched."""

from __future__ import annotations

import threading
import time

import pytest
from django.db import connection, connections
from django.utils import timezone

from accounts import demo
from clubos.services import sync
from inbox.exceptions import ReplyNotAllowed
from inbox.models import InboxMessage
from inbox.services import conversations, outbound
from inbox.tasks import send_outbound_message
from tests.inbox.factories import ContactFactory, ConversationFactory, InboxMessageFactory

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture(autouse=True)
def _fast_send_retries(settings):
    settings.CLUBOS_SEND_RETRY_BACKOFF = 0.01
    settings.CLUBOS_SEND_UNCERTAIN_MARGIN = 0.6


def _wait_until_due(message: InboxMessage) -> None:
    """An attempt whose outcome is unknown is followed up only after ClubOS could have finished it."""
    message.refresh_from_db()
    assert outbound.outbound_message_deliver(message_id=message.pk).status == outbound.WAITING
    assert message.next_attempt_at is not None
    time.sleep(max(0.0, (message.next_attempt_at - timezone.now()).total_seconds()) + 0.05)


DANA = next(m for m in demo.MEMBERS if m.display_name == "Dana Reyes")
SMS, EMAIL = 3, 2


@pytest.fixture
def dana_conversation(db):
    return ConversationFactory.create(contact=ContactFactory.create(clubos_id=DANA.clubos_id, name="Dana Reyes"))


def _reply(conversation, staff, **kwargs) -> InboxMessage:
    message = conversations.conversation_reply(conversation=conversation, author=staff, **kwargs)
    message.refresh_from_db()
    return message


def test_sms_reply_reaches_clubos_and_leaves_the_profile_unchanged(clubos_sandbox, staff, dana_conversation):
    before = clubos_sandbox.member_profile(DANA.clubos_id)
    message = _reply(dana_conversation, staff, channel="sms", body="See you Saturday!\nBring water.")

    assert (message.delivery_status, message.attempts, message.failure_reason) == ("sent", 1, "")
    [send] = clubos_sandbox.sends()
    assert (send.member_id, send.action) == (DANA.clubos_id, SMS)
    assert ("textMessage", "See you Saturday!\nBring water.") in send.form
    assert send.profile_after == send.profile_before == before
    assert clubos_sandbox.member_profile(DANA.clubos_id) == before


def test_email_reply_reaches_clubos_with_subject_and_profile_unchanged(clubos_sandbox, staff, dana_conversation):
    before = clubos_sandbox.member_profile(DANA.clubos_id)
    message = _reply(
        dana_conversation, staff, channel="email", subject="Guest passes", body="Hi Dana,\n<Guests> welcome"
    )

    assert message.delivery_status == "sent"
    [send] = clubos_sandbox.sends()
    assert send.action == EMAIL
    assert ("emailSubject", "Guest passes") in send.form
    email_html = dict(send.form)["emailMessage"]
    assert "&lt;Guests&gt;" in email_html  # escaped, not markup
    assert send.profile_after == before
    assert clubos_sandbox.member_profile(DANA.clubos_id) == before


def test_a_duplicated_task_texts_once(clubos_sandbox, staff, dana_conversation, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=False):
        message = conversations.conversation_reply(
            conversation=dana_conversation, author=staff, channel="sms", body="Once"
        )
    send_outbound_message.delay(message.pk)
    send_outbound_message.delay(message.pk)
    send_outbound_message.apply(args=(message.pk,))
    assert len(clubos_sandbox.sends()) == 1
    message.refresh_from_db()
    assert (message.delivery_status, message.attempts) == ("sent", 1)


def test_an_oops_on_send_is_retried_and_texts_once(clubos_sandbox, staff, dana_conversation):
    clubos_sandbox.fail_next("/action/FollowUp/save", count=1)
    message = _reply(dana_conversation, staff, channel="sms", body="Retry me")
    assert (message.delivery_status, message.attempts) == ("sent", 2)
    texted = [s for s in clubos_sandbox.sends() if s.action == SMS]
    assert len(texted) == 1


def test_a_send_that_timed_out_after_reaching_clubos_is_not_sent_again(
    clubos_sandbox, staff, dana_conversation, settings
):
    settings.CLUBOS_READ_TIMEOUT = 0.3
    clubos_sandbox.delay("/action/FollowUp/save", seconds=0.8, count=1)
    # Queued directly (not through the eager task) so each attempt can be driven by hand.
    message = InboxMessageFactory.create(
        conversation=dana_conversation, direction="outbound", author_kind="staff", author=staff,
        body="Did this arrive?", clubos_message_id=None, delivery_status="queued", idempotency_key="timeout-1",
    )  # fmt: skip

    first = outbound.outbound_message_deliver(message_id=message.pk)
    assert first.status == "queued"
    assert first.retry_in is not None
    message.refresh_from_db()
    assert "did not answer" in message.failure_reason
    for _ in range(50):  # ClubOS finishes the slow request after we gave up on it
        if clubos_sandbox.sends():
            break
        time.sleep(0.05)
    assert len(clubos_sandbox.sends()) == 1

    _wait_until_due(message)
    second = outbound.outbound_message_deliver(message_id=message.pk)
    assert second.status == "sent"
    assert len(clubos_sandbox.sends()) == 1  # found in the member's history: not texted twice
    message.refresh_from_db()
    assert (message.delivery_status, message.attempts) == ("sent", 2)


def test_member_who_cannot_receive_texts_fails_at_once_with_the_reason(clubos_sandbox, staff, dana_conversation):
    clubos_sandbox.set_dnc(DANA.clubos_id)
    message = _reply(dana_conversation, staff, channel="sms", body="Hello?")
    assert (message.delivery_status, message.attempts) == ("failed", 1)
    assert "cannot receive texts" in message.failure_reason
    assert not [s for s in clubos_sandbox.sends() if s.action == SMS and s.message_id]


def test_temporary_failures_stop_after_three_attempts_with_the_reason_kept(clubos_sandbox, staff, dana_conversation):
    clubos_sandbox.fail_next("/action/FollowUp/save", count=10)
    message = _reply(dana_conversation, staff, channel="sms", body="Anyone there?")
    assert (message.delivery_status, message.attempts) == ("failed", 3)
    assert message.failure_reason.startswith("Attempt 3 failed: ")
    assert "OOPS" in message.failure_reason
    assert not [s for s in clubos_sandbox.sends() if s.message_id]


def test_our_reply_coming_back_on_the_next_sync_is_not_duplicated(clubos_sandbox, staff, dana_conversation):
    sync.clubos_sync_run()
    conversation = InboxMessage.objects.filter(conversation__contact__clubos_id=DANA.clubos_id)[0].conversation
    count = conversation.messages.count()
    message = _reply(conversation, staff, channel="sms", body="Coming back to us")
    assert message.delivery_status == "sent"

    result = sync.clubos_sync_run()

    assert (result.fetched, result.new, result.duplicates) == (clubos_sandbox.listed(), 0, clubos_sandbox.listed())
    message.refresh_from_db()
    assert message.clubos_message_id == clubos_sandbox.sends()[0].message_id
    assert conversation.messages.count() == count + 1


def test_a_timed_out_send_seen_by_the_sync_is_marked_sent_and_never_retried(
    clubos_sandbox, staff, dana_conversation, settings
):
    sync.clubos_sync_run()
    settings.CLUBOS_READ_TIMEOUT = 0.3
    clubos_sandbox.delay("/action/FollowUp/save", seconds=0.8, count=1)
    message = InboxMessageFactory.create(
        conversation=dana_conversation, direction="outbound", author_kind="staff", author=staff,
        body="Timed out but delivered", clubos_message_id=None, delivery_status="queued", idempotency_key="t-2",
    )  # fmt: skip
    assert outbound.outbound_message_deliver(message_id=message.pk).status == "queued"
    for _ in range(50):
        if clubos_sandbox.sends():
            break
        time.sleep(0.05)

    result = sync.clubos_sync_run()  # ClubOS lists our text as an owner-sent item

    assert (result.new, result.duplicates) == (0, clubos_sandbox.listed())
    message.refresh_from_db()
    assert (message.delivery_status, message.failure_reason) == ("sent", "")
    assert message.clubos_message_id == clubos_sandbox.sends()[0].message_id
    assert outbound.outbound_message_deliver(message_id=message.pk).status == "sent"
    assert len(clubos_sandbox.sends()) == 1


def test_an_identical_reply_after_a_refused_attempt_is_still_sent(clubos_sandbox, staff, dana_conversation):
    # ClubOS's OOPS page means it did not take the message: the retry must not mistake the first,
    # identical reply in the member's history for this one.
    first = _reply(dana_conversation, staff, channel="sms", body="OK, see you then")
    clubos_sandbox.fail_next("/action/FollowUp/save", count=1)
    second = _reply(dana_conversation, staff, channel="sms", body="OK, see you then")
    assert (first.delivery_status, second.delivery_status, second.attempts) == ("sent", "sent", 2)
    assert len([s for s in clubos_sandbox.sends() if s.message_id]) == 2


def test_a_timed_out_identical_reply_is_told_apart_from_the_earlier_one(
    clubos_sandbox, staff, dana_conversation, settings
):
    first = _reply(dana_conversation, staff, channel="sms", body="Same words")
    settings.CLUBOS_READ_TIMEOUT = 0.3
    # The next save answers too late for the client, and with the OOPS page: the text never went out,
    # yet the client cannot know; the retry must not take the first reply's history entry for it.
    clubos_sandbox.delay("/action/FollowUp/save", seconds=0.8, count=1)
    clubos_sandbox.fail_next("/action/FollowUp/save", count=1)
    second = InboxMessageFactory.create(
        conversation=dana_conversation, direction="outbound", author_kind="staff", author=staff,
        body="Same words", clubos_message_id=None, delivery_status="queued", idempotency_key="same-2",
    )  # fmt: skip
    assert outbound.outbound_message_deliver(message_id=second.pk).status == "queued"  # timed out: unknown
    _wait_until_due(second)
    assert outbound.outbound_message_deliver(message_id=second.pk).status == "sent"
    assert first.delivery_status == "sent"
    assert len([s for s in clubos_sandbox.sends() if s.message_id]) == 2


def test_a_reply_clubos_refused_for_good_is_not_marked_sent_by_the_next_sync(clubos_sandbox, staff):
    sync.clubos_sync_run()
    conversation = InboxMessage.objects.filter(conversation__contact__clubos_id=DANA.clubos_id)[0].conversation
    clubos_sandbox.fail_next("/action/FollowUp/save", count=3)
    failed = _reply(conversation, staff, channel="sms", body="Thanks!")
    sent = _reply(conversation, staff, channel="sms", body="Thanks!")
    assert (failed.delivery_status, sent.delivery_status) == ("failed", "sent")

    sync.clubos_sync_run()

    failed.refresh_from_db()
    sent.refresh_from_db()
    assert (failed.delivery_status, failed.clubos_message_id) == ("failed", None)
    assert sent.clubos_message_id == clubos_sandbox.sends()[0].message_id


def test_the_same_idempotency_key_twice_sends_once(clubos_sandbox, dana_conversation):
    def queue():
        return outbound.outbound_message_queue(
            conversation=dana_conversation, channel="sms", body="Your class moved to 6pm.",
            author_kind="ai", idempotency_key="ai-reply-41",
        )  # fmt: skip

    first, second = queue(), queue()

    assert first.pk == second.pk
    assert InboxMessage.objects.filter(idempotency_key="ai-reply-41").count() == 1
    assert len([s for s in clubos_sandbox.sends() if s.message_id]) == 1
    first.refresh_from_db()
    assert (first.delivery_status, first.author_kind, first.author) == ("sent", "ai", None)


def test_a_key_already_used_in_another_conversation_is_refused(clubos_sandbox, dana_conversation):
    outbound.outbound_message_queue(
        conversation=dana_conversation, channel="sms", body="Hi", author_kind="system", idempotency_key="k-1"
    )
    other = ConversationFactory.create()
    with pytest.raises(ReplyNotAllowed, match="another conversation"):
        outbound.outbound_message_queue(
            conversation=other, channel="sms", body="Hi", author_kind="system", idempotency_key="k-1"
        )
    assert len(clubos_sandbox.sends()) == 1


@pytest.mark.postgres
def test_concurrent_queues_with_one_key_store_and_send_one_message(clubos_sandbox, dana_conversation):
    if connection.vendor != "postgresql":
        pytest.skip("needs PostgreSQL: SQLite serialises writers, so there is no race to test")
    callers = 4
    barrier = threading.Barrier(callers)
    ids: list[int] = []
    errors: list[BaseException] = []

    def queue() -> None:
        try:
            barrier.wait(timeout=10)
            message = outbound.outbound_message_queue(
                conversation=dana_conversation, channel="sms", body="Only once, please.",
                author_kind="ai", idempotency_key="race-1",
            )  # fmt: skip
            ids.append(message.pk)
        except BaseException as error:
            errors.append(error)
        finally:
            connections.close_all()

    workers = [threading.Thread(target=queue) for _ in range(callers)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join(timeout=30)

    assert not errors
    assert len(ids) == callers
    assert len(set(ids)) == 1
    assert InboxMessage.objects.filter(idempotency_key="race-1").count() == 1
    assert len([s for s in clubos_sandbox.sends() if s.message_id]) == 1
