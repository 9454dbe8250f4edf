"""Unread emails: one per thread per burst after the delay, none when read, one-click unsubscribe,
and no duplicates when two workers sweep at once. Sent through Django's email backend (locmem here)."""

from __future__ import annotations

import threading
from datetime import timedelta

import pytest
from django.core import mail
from django.db import connection
from django.urls import reverse
from django.utils import timezone

from messaging import emails, selectors, services, tasks
from messaging.models import Participant
from tests.messaging.factories import make_member

pytestmark = pytest.mark.django_db

DELAY = 15 * 60


@pytest.fixture(autouse=True)
def _delay(settings):
    settings.MESSAGING_UNREAD_EMAIL_DELAY_SECONDS = DELAY
    settings.MESSAGING_SITE_URL = "https://club.example.com"


def _later(seconds: int = DELAY + 1):
    return timezone.now() + timedelta(seconds=seconds)


def test_one_email_per_thread_per_burst_after_the_delay(thread, member, other_member):
    services.message_send(sender=other_member, thread_id=thread.pk, body="Are you coming?")
    services.message_send(sender=other_member, thread_id=thread.pk, body="Hello??")

    assert services.unread_emails_send(now=_later(DELAY - 5)) == 0  # not yet
    assert mail.outbox == []

    assert services.unread_emails_send(now=_later()) == 1
    assert len(mail.outbox) == 1
    email = mail.outbox[0]
    assert email.to == [member.email]
    assert other_member.name in email.subject
    assert "2 messages" in email.subject
    assert f"https://club.example.com/messages/{thread.pk}/" in email.body
    assert "Are you coming?" not in email.body  # no message text in email
    assert email.extra_headers["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"

    # A third message in the same unread burst, and later sweeps: still one email.
    services.message_send(sender=other_member, thread_id=thread.pk, body="Third")
    assert services.unread_emails_send(now=_later(3 * DELAY)) == 0
    assert len(mail.outbox) == 1


def test_no_email_when_read_within_the_delay(thread, member, other_member):
    services.message_send(sender=other_member, thread_id=thread.pk, body="ping")
    services.thread_mark_read(user=member, thread_id=thread.pk)
    assert services.unread_emails_send(now=_later()) == 0
    assert mail.outbox == []


def test_a_new_burst_after_reading_is_emailed_again(thread, member, other_member):
    services.message_send(sender=other_member, thread_id=thread.pk, body="first")
    assert services.unread_emails_send(now=_later()) == 1
    services.thread_mark_read(user=member, thread_id=thread.pk)
    services.message_send(sender=other_member, thread_id=thread.pk, body="second burst")
    # The new burst started now; the claim of the old one does not cover it.
    assert services.unread_emails_send(now=_later(2 * DELAY + 5)) == 1
    assert len(mail.outbox) == 2


def test_no_email_for_muted_threads_opted_out_members_or_while_switched_off(thread, member, other_member):
    services.message_send(sender=other_member, thread_id=thread.pk, body="hi")
    services.participant_set_muted(user=member, thread_id=thread.pk, muted=True)
    assert services.unread_emails_send(now=_later()) == 0
    services.participant_set_muted(user=member, thread_id=thread.pk, muted=False)

    services.preferences_update(user_id=member.pk, email_unread=False)
    assert services.unread_emails_send(now=_later()) == 0
    services.preferences_update(user_id=member.pk, email_unread=True)

    services.messaging_set_enabled(actor=None, enabled=False)
    selectors.messaging_enabled_cache_clear()
    assert services.unread_emails_send(now=_later()) == 0
    assert mail.outbox == []


def test_the_sender_is_never_emailed_about_their_own_message(thread, member, other_member):
    services.message_send(sender=member, thread_id=thread.pk, body="hi")
    services.unread_emails_send(now=_later())
    assert [m.to for m in mail.outbox] == [[other_member.email]]


def test_a_burst_is_claimed_once(thread, member, other_member):
    services.message_send(sender=other_member, thread_id=thread.pk, body="hi")
    row = Participant.objects.get(thread=thread, user=member)
    now = _later()
    assert services.unread_email_claim(participant_id=row.pk, now=now) is True
    assert services.unread_email_claim(participant_id=row.pk, now=now) is False
    assert services.unread_email_claim(participant_id=row.pk, now=_later(2 * DELAY)) is False


@pytest.mark.django_db(transaction=True)
def test_two_workers_sweeping_at_once_send_each_email_once(messaging_on):
    if connection.vendor != "postgresql":
        pytest.skip("SQLite serialises writers: the race needs PostgreSQL")
    readers = [make_member() for _ in range(6)]
    sender = make_member()
    for reader in readers:
        thread, _ = services.thread_start(initiator=sender, recipient=reader)
        services.message_send(sender=sender, thread_id=thread.pk, body="hello")
    now = _later()
    barrier = threading.Barrier(2)
    counts: list[int] = []

    def worker() -> None:
        try:
            barrier.wait(timeout=5)
            counts.append(services.unread_emails_send(now=now))
        finally:
            connection.close()

    workers = [threading.Thread(target=worker) for _ in range(2)]
    for thread_ in workers:
        thread_.start()
    for thread_ in workers:
        thread_.join(timeout=30)
    assert sum(counts) == len(readers)
    assert sorted(m.to[0] for m in mail.outbox) == sorted(r.email for r in readers)


def test_a_failed_send_releases_the_claim_for_the_next_sweep(thread, member, other_member, monkeypatch):
    services.message_send(sender=other_member, thread_id=thread.pk, body="hi")

    def broken(**kwargs):
        raise ConnectionRefusedError("SMTP down")

    monkeypatch.setattr(emails, "send_unread_email", broken)
    assert services.unread_emails_send(now=_later()) == 0
    monkeypatch.undo()
    assert services.unread_emails_send(now=_later()) == 1


def test_the_beat_task_sends_through_the_service(thread, member, other_member, settings):
    settings.MESSAGING_UNREAD_EMAIL_DELAY_SECONDS = 0
    services.message_send(sender=other_member, thread_id=thread.pk, body="hi")
    assert tasks.send_unread_emails.apply().get() == 1
    assert len(mail.outbox) == 1


def test_unsubscribe_link_turns_emails_off_in_one_click_without_signing_in(client, thread, member, other_member):
    services.message_send(sender=other_member, thread_id=thread.pk, body="hi")
    services.unread_emails_send(now=_later())
    url = emails.unsubscribe_url(user_id=member.pk)
    assert url in mail.outbox[0].body
    path = url.removeprefix("https://club.example.com")

    response = client.get(path)
    assert response.status_code == 200
    assert "unsubscribed" in response.content.decode()
    assert selectors.preferences_get(user_id=member.pk).email_unread is False

    services.thread_mark_read(user=member, thread_id=thread.pk)
    services.message_send(sender=other_member, thread_id=thread.pk, body="again")
    assert services.unread_emails_send(now=_later(3 * DELAY)) == 0
    assert len(mail.outbox) == 1


def test_one_click_post_from_a_mail_client_unsubscribes(client, member):
    path = reverse("messaging:unsubscribe", args=[emails.unsubscribe_token(user_id=member.pk)])
    response = client.post(path, {"List-Unsubscribe": "One-Click"})
    assert response.status_code == 200
    assert selectors.preferences_get(user_id=member.pk).email_unread is False


def test_a_forged_unsubscribe_token_changes_nothing(client, member):
    other = make_member()
    token = emails.unsubscribe_token(user_id=member.pk)
    forged = token.replace(str(member.pk), str(other.pk), 1)
    response = client.get(reverse("messaging:unsubscribe", args=[forged]))
    assert response.status_code == 400
    assert selectors.preferences_get(user_id=other.pk).email_unread is True
    assert client.get(reverse("messaging:unsubscribe", args=["garbage"])).status_code == 400


def test_beat_runs_the_sweep_every_configured_interval(settings):
    from config.celery import beat_schedule

    settings.MESSAGING_UNREAD_EMAIL_SWEEP_SECONDS = 45
    entry = beat_schedule()["messaging-unread-emails"]
    assert entry["task"] == "messaging.tasks.send_unread_emails"
    assert entry["schedule"] == 45.0
