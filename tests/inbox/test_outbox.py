"""The outbox: the row is the truth, the task a nudge. Lost nudges, killed workers and slow ClubOS saves
are reproduced at their cause (a broker where nothing listens, a `sending` row past its lease, a sandbox
that saves slower than the read timeout); each reply goes out exactly once."""

from __future__ import annotations

import time
from datetime import timedelta

import pytest
from django.core import checks
from django.test import Client
from django.utils import timezone

from accounts import demo
from clubos.services import delivery
from clubos.types import Channel
from config.celery import app as celery_app
from core import nudge
from inbox.models import InboxMessage
from inbox.services import outbound
from inbox.tasks import sweep_outbox
from tests.fixtures.outages import dead_port
from tests.inbox.factories import ContactFactory, ConversationFactory, InboxMessageFactory

pytestmark = pytest.mark.django_db(transaction=True)

DANA = next(m for m in demo.MEMBERS if m.display_name == "Dana Reyes")
SAVE = "/action/FollowUp/save"


@pytest.fixture(autouse=True)
def _quick_outbox(settings):
    settings.CLUBOS_SEND_RETRY_BACKOFF = 0.01
    settings.INBOX_OUTBOX_NUDGE_GRACE_SECONDS = 0


@pytest.fixture
def dana_conversation(db):
    return ConversationFactory.create(contact=ContactFactory.create(clubos_id=DANA.clubos_id, name="Dana Reyes"))


def _forget_broker_connections() -> None:
    """Celery keeps its connection and producer pools: a changed broker_url takes effect once they are gone."""
    setattr(celery_app, "_pool", None)  # noqa: B010
    setattr(celery_app.amqp, "_producer_pool", None)  # noqa: B010


@pytest.fixture
def broker_down():
    """Celery publishes to a Redis where nothing listens (a worker setup, not eager)."""
    saved = celery_app.conf.broker_url, celery_app.conf.task_always_eager
    celery_app.conf.update(broker_url=f"redis://127.0.0.1:{dead_port()}/0", task_always_eager=False)
    _forget_broker_connections()
    nudge._broker_down_until = 0.0
    yield
    nudge.nudges_drain()
    celery_app.conf.update(broker_url=saved[0], task_always_eager=saved[1])
    _forget_broker_connections()
    nudge._broker_down_until = 0.0


def _texts(sandbox) -> list:
    return [s for s in sandbox.sends() if s.message_id]


def test_a_reply_made_while_redis_is_down_is_saved_queued_at_once_and_sent_when_it_returns(
    clubos_sandbox, staff, dana_conversation, broker_down, caplog
):
    client = Client()
    client.force_login(staff)
    url = f"/inbox/{dana_conversation.pk}/"
    started = time.monotonic()
    response = client.post(url, {"channel": "sms", "body": "Pool opens at 6"})
    took = time.monotonic() - started
    assert response.status_code == 302  # no 500
    assert took < 3  # the broker's ~19 s of reconnects happen off the request, if at all
    message = InboxMessage.objects.get(direction="outbound")
    assert (message.delivery_status, message.attempts) == ("queued", 0)
    page = client.get(url).content.decode()
    assert "Pool opens at 6" in page
    assert "Queued" in page
    nudge.nudges_drain()
    assert any("could not queue inbox.tasks.send_outbound_message" in r.getMessage() for r in caplog.records)
    assert not _texts(clubos_sandbox)

    # Redis is back (eager here: the sweep's task runs in-process like a worker would).
    celery_app.conf.task_always_eager = True
    assert sweep_outbox.apply().get() == "outbox: requeued=1 expired=0"
    message.refresh_from_db()
    assert (message.delivery_status, message.attempts) == ("sent", 1)
    assert len(_texts(clubos_sandbox)) == 1
    assert sweep_outbox.apply().get() == "outbox: requeued=0 expired=0"  # nothing left, nothing twice


def test_a_nudge_within_its_grace_is_not_duplicated(clubos_sandbox, staff, dana_conversation, settings):
    settings.INBOX_OUTBOX_NUDGE_GRACE_SECONDS = 30
    InboxMessageFactory.create(
        conversation=dana_conversation, direction="outbound", author_kind="staff", author=staff, body="Just queued",
        clubos_message_id=None, delivery_status="queued", idempotency_key="fresh", next_attempt_at=timezone.now(),
        nudged_at=timezone.now(),
    )  # fmt: skip
    assert outbound.outbound_sweep() == outbound.SweepResult(0, 0)
    assert not _texts(clubos_sandbox)


def _interrupted(conversation, staff, *, attempts: int, body: str) -> InboxMessage:
    """What a worker killed during its ClubOS call leaves: `sending`, the attempt counted, past its lease."""
    started = timezone.now() - timedelta(seconds=delivery.send_attempt_lease_seconds() + 5)
    return InboxMessageFactory.create(
        conversation=conversation, direction="outbound", author_kind="staff", author=staff, body=body,
        clubos_message_id=None, delivery_status="sending", attempts=attempts, attempt_started_at=started,
        delivery_uncertain=True, idempotency_key=f"killed-{attempts}-{len(body)}", nudged_at=started,
    )  # fmt: skip


def test_a_reply_stuck_in_sending_after_a_worker_crash_is_swept_and_sent_once(clubos_sandbox, staff, dana_conversation):
    message = _interrupted(dana_conversation, staff, attempts=1, body="Your locker is ready")
    assert sweep_outbox.apply().get() == "outbox: requeued=0 expired=1"
    message.refresh_from_db()
    assert (message.delivery_status, message.attempts) == ("sent", 2)
    assert len(_texts(clubos_sandbox)) == 1


def test_a_crashed_attempt_that_did_reach_clubos_is_not_texted_again(clubos_sandbox, staff, dana_conversation):
    message = _interrupted(dana_conversation, staff, attempts=1, body="Class moved to 7pm")
    # The killed worker's request had gone out: ClubOS holds the text.
    delivery.clubos_message_send(member_id=DANA.clubos_id, channel=Channel.SMS, body="Class moved to 7pm")
    InboxMessage.objects.filter(pk=message.pk).update(attempt_started_at=timezone.now() - timedelta(seconds=500))
    sweep_outbox.apply()
    message.refresh_from_db()
    assert message.delivery_status == "sent"
    assert len(_texts(clubos_sandbox)) == 1


def test_an_interrupted_last_attempt_fails_visibly_instead_of_a_fourth_try(clubos_sandbox, staff, dana_conversation):
    message = _interrupted(dana_conversation, staff, attempts=3, body="Third time")
    sweep_outbox.apply()
    message.refresh_from_db()
    assert (message.delivery_status, message.attempts, message.delivery_uncertain) == ("failed", 3, True)
    assert message.failure_reason == "Attempt 3 was interrupted (the worker stopped) and no attempts are left"
    assert not _texts(clubos_sandbox)


def test_a_slow_clubos_save_is_never_texted_twice(clubos_sandbox, staff, dana_conversation, settings):
    """ClubOS takes 2 s to save, the client gives up after 1 s. The follow-up must not look at the
    history (and send again) before the save lands: it waits the read timeout plus a margin."""
    settings.CLUBOS_READ_TIMEOUT = 1.0
    settings.CLUBOS_SEND_UNCERTAIN_MARGIN = 0.6
    clubos_sandbox.delay(SAVE, seconds=2.0, count=1)
    client = Client()
    client.force_login(staff)
    client.post(f"/inbox/{dana_conversation.pk}/", {"channel": "sms", "body": "Slow but sure"})  # eager task
    message = InboxMessage.objects.get(direction="outbound")
    assert (message.delivery_status, message.attempts, message.delivery_uncertain) == ("queued", 1, True)
    due, started = message.next_attempt_at, message.attempt_started_at
    assert due is not None
    assert started is not None
    assert due >= started + timedelta(seconds=1.0 + 1.0 + 0.6 - 0.2)
    assert sweep_outbox.apply().get() == "outbox: requeued=0 expired=0"  # not due: nobody looks yet
    while timezone.now() < due:
        time.sleep(0.05)
    assert len(_texts(clubos_sandbox)) == 1  # the slow save has landed by now
    assert sweep_outbox.apply().get() == "outbox: requeued=1 expired=0"
    message.refresh_from_db()
    assert (message.delivery_status, message.attempts) == ("sent", 2)
    assert len(_texts(clubos_sandbox)) == 1


def test_the_broker_redelivers_no_sooner_than_a_send_can_take(settings):
    assert settings.CELERY_TASK_ACKS_LATE is True
    assert settings.CELERY_TASK_REJECT_ON_WORKER_LOST is True
    visibility = settings.CELERY_BROKER_TRANSPORT_OPTIONS["visibility_timeout"]
    assert visibility > delivery.send_attempt_lease_seconds()
    assert visibility > delivery.send_uncertain_wait_seconds()
    settings.REDIS_URL = "redis://127.0.0.1:6379/0"
    assert not [m for m in checks.run_checks() if m.id == "clubos.W001"]
    settings.CELERY_BROKER_TRANSPORT_OPTIONS = {"visibility_timeout": 60}
    assert [m.id for m in checks.run_checks() if m.id == "clubos.W001"] == ["clubos.W001"]


def test_the_sweep_is_on_the_beat_schedule():
    from config.celery import beat_schedule

    entry = beat_schedule()["outbox-sweep"]
    assert (entry["task"], entry["schedule"]) == ("inbox.tasks.sweep_outbox", 15.0)
