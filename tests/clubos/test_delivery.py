"""One delivery attempt through the sandbox: ClubOS's answers become sent / refused / uncertain."""

from __future__ import annotations

import time
from datetime import UTC, datetime
from typing import Any

import pytest

from accounts import demo
from clubos.services.delivery import SendOutcome, SendStatus, clubos_message_deliver

DANA = next(m for m in demo.MEMBERS if m.display_name == "Dana Reyes")


def _deliver(**kwargs: Any) -> SendOutcome:
    defaults: dict[str, Any] = {"member_id": DANA.clubos_id, "channel": "sms", "body": "Pool opens at 6.", "attempt": 1}
    return clubos_message_deliver(**(defaults | kwargs))


def _wait_for_a_send(sandbox) -> None:
    for _ in range(50):  # ClubOS finishes the slow request after the client gave up on it
        if sandbox.sends():
            return
        time.sleep(0.05)


def test_a_text_clubos_takes_is_sent(clubos_sandbox):
    outcome = _deliver()
    assert (outcome.status, outcome.reason, outcome.retry_in) == (SendStatus.SENT, "", None)
    [send] = clubos_sandbox.sends()
    assert ("textMessage", "Pool opens at 6.") in send.form


def test_an_email_goes_out_with_its_subject(clubos_sandbox):
    assert _deliver(channel="email", subject="Hours", body="We open at 5.").status == SendStatus.SENT
    [send] = clubos_sandbox.sends()
    assert ("emailSubject", "Hours") in send.form


def test_a_member_who_cannot_receive_texts_is_refused_for_good_with_the_reason(clubos_sandbox):
    clubos_sandbox.set_dnc(DANA.clubos_id)
    outcome = _deliver()
    assert (outcome.status, outcome.retry_in) == (SendStatus.REFUSED, None)
    assert "cannot receive texts" in outcome.reason


def test_an_oops_page_is_refused_and_worth_retrying_with_backoff(clubos_sandbox, settings):
    settings.CLUBOS_SEND_RETRY_BACKOFF = 10.0
    clubos_sandbox.fail_next("/action/FollowUp/save", count=2)
    first, second = _deliver(attempt=1), _deliver(attempt=2)
    assert (first.status, first.retry_in) == (SendStatus.REFUSED, 10.0)
    assert (second.status, second.retry_in) == (SendStatus.REFUSED, 20.0)
    assert first.reason.startswith("Attempt 1 failed: ")
    assert "OOPS" in first.reason


def test_the_last_allowed_attempt_is_not_retried(clubos_sandbox, settings):
    settings.CLUBOS_SEND_MAX_ATTEMPTS = 2
    clubos_sandbox.fail_next("/action/FollowUp/save", count=1)
    outcome = _deliver(attempt=2)
    assert (outcome.status, outcome.retry_in) == (SendStatus.REFUSED, None)


def test_a_timeout_after_the_request_left_is_uncertain(clubos_sandbox, settings):
    settings.CLUBOS_READ_TIMEOUT = 0.3
    clubos_sandbox.delay("/action/FollowUp/save", seconds=0.8, count=1)
    outcome = _deliver()
    assert outcome.status == SendStatus.UNCERTAIN
    assert outcome.retry_in is not None
    assert "did not answer" in outcome.reason


def test_a_refused_connection_is_refused_not_uncertain(settings):
    settings.CLUBOS_BASE_URL = "http://127.0.0.1:9"  # nothing listens on the discard port
    settings.CLUBOS_CONNECT_TIMEOUT = 0.5
    outcome = _deliver()
    assert outcome.status == SendStatus.REFUSED
    assert outcome.retry_in is not None
    assert "could not be reached" in outcome.reason


def test_after_an_uncertain_attempt_the_history_is_checked_and_nothing_is_sent_twice(clubos_sandbox, settings):
    settings.CLUBOS_READ_TIMEOUT = 0.3
    started = datetime.now(UTC)
    clubos_sandbox.delay("/action/FollowUp/save", seconds=0.8, count=1)
    assert _deliver(body="Did this arrive?").status == SendStatus.UNCERTAIN
    _wait_for_a_send(clubos_sandbox)

    retry = _deliver(body="Did this arrive?", attempt=2, uncertain_since=started, identical_sent_since=lambda _: 0)

    assert retry.status == SendStatus.SENT
    assert len(clubos_sandbox.sends()) == 1


def test_an_identical_message_the_caller_already_accounts_for_is_not_taken_for_this_one(clubos_sandbox):
    started = datetime.now(UTC)
    assert _deliver(body="Same words").status == SendStatus.SENT  # an earlier, separate message
    floors: list[datetime] = []

    def known(floor: datetime) -> int:
        floors.append(floor)
        return 1

    retry = _deliver(body="Same words", attempt=2, uncertain_since=started, identical_sent_since=known)

    assert retry.status == SendStatus.SENT
    assert len([s for s in clubos_sandbox.sends() if s.message_id]) == 2  # sent again: the entry was the other one
    assert floors
    assert floors[0] <= started


@pytest.mark.parametrize("channel", ["fax", "call"])
def test_only_texts_and_emails_can_be_delivered(channel):
    with pytest.raises(ValueError, match="text or an email"):
        _deliver(channel=channel)
