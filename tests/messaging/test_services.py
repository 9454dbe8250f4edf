import threading

import pytest
from django.core.management import call_command
from django.db import connection, connections

from messaging import selectors, services, signals
from messaging.exceptions import (
    InvalidMessage,
    MessagingDisabled,
    NotAParticipant,
    RateLimited,
    RecipientUnavailable,
)
from messaging.models import Message, MessagingSettings, Participant, Report, Thread, ToggleChange
from tests.messaging.factories import MessageFactory, make_member, thread_between

pytestmark = pytest.mark.django_db


def _side(thread, user) -> Participant:
    return Participant.objects.get(thread=thread, user=user)


# --- the switch ---------------------------------------------------------------------------------


def test_direct_messaging_is_off_by_default():
    assert MessagingSettings.objects.get().enabled is False
    assert selectors.messaging_enabled() is False


def test_only_real_flips_are_recorded_with_who_and_what(admin_user):
    services.messaging_set_enabled(actor=admin_user, enabled=True)
    services.messaging_set_enabled(actor=admin_user, enabled=True)
    services.messaging_set_enabled(actor=None, enabled=False)
    changes = list(ToggleChange.objects.order_by("id").values_list("enabled", "changed_by"))
    assert changes == [(True, admin_user.pk), (False, None)]


def test_switch_memo_expires_within_a_second(settings):
    settings.MESSAGING_TOGGLE_CACHE_SECONDS = 0
    assert selectors.messaging_enabled() is False
    # Another process flips it: no cache clear here, only the memo's age.
    MessagingSettings.objects.filter(pk=1).update(enabled=True)
    assert selectors.messaging_enabled() is True


def test_services_refuse_while_switched_off(member, other_member):
    with pytest.raises(MessagingDisabled):
        services.thread_start(initiator=member, recipient=other_member)


# --- threads ------------------------------------------------------------------------------------


def test_one_thread_per_pair_whoever_starts_it(messaging_on, member, other_member):
    first, created = services.thread_start(initiator=member, recipient=other_member)
    again, created_again = services.thread_start(initiator=other_member, recipient=member)
    assert created
    assert not created_again
    assert first == again
    assert Thread.objects.count() == 1
    assert set(first.participants.values_list("user_id", "other_id")) == {
        (member.pk, other_member.pk),
        (other_member.pk, member.pk),
    }


@pytest.mark.parametrize("case", ["self", "inactive", "blocked_by_me", "blocked_by_them"])
def test_cannot_start_a_thread_with_unavailable_members(messaging_on, member, other_member, case):
    recipient = other_member
    if case == "self":
        recipient = member
    elif case == "inactive":
        other_member.is_active = False
        other_member.save()
    elif case == "blocked_by_me":
        services.block_create(blocker=member, blocked=other_member)
    else:
        services.block_create(blocker=other_member, blocked=member)
    with pytest.raises(RecipientUnavailable):
        services.thread_start(initiator=member, recipient=recipient)


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_concurrent_starts_from_both_sides_yield_one_thread():
    if connection.vendor != "postgresql":
        pytest.skip("needs PostgreSQL: SQLite serialises writers, so there is no race to test")
    services.messaging_set_enabled(actor=None, enabled=True)
    pairs = [(make_member(), make_member()) for _ in range(5)]
    barrier = threading.Barrier(2 * len(pairs))
    results: list[int] = []
    errors: list[BaseException] = []

    def start(initiator, recipient):
        try:
            barrier.wait(timeout=10)
            thread, _ = services.thread_start(initiator=initiator, recipient=recipient)
            results.append(thread.pk)
        except BaseException as error:
            errors.append(error)
        finally:
            connections.close_all()

    workers = []
    for a, b in pairs:
        workers += [threading.Thread(target=start, args=(a, b)), threading.Thread(target=start, args=(b, a))]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join(timeout=30)
    assert not errors
    assert len(results) == 2 * len(pairs)
    assert Thread.objects.count() == len(pairs) == len(set(results))
    assert Participant.objects.count() == 2 * len(pairs)


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_concurrent_sends_and_reads_leave_no_drift():
    if connection.vendor != "postgresql":
        pytest.skip("needs PostgreSQL: SQLite serialises writers, so there is no race to test")
    services.messaging_set_enabled(actor=None, enabled=True)
    a, b = make_member(), make_member()
    thread, _ = services.thread_start(initiator=a, recipient=b)
    barrier = threading.Barrier(3)
    errors: list[BaseException] = []

    def run(step):
        try:
            barrier.wait(timeout=10)
            for n in range(15):
                step(n)
        except BaseException as error:
            errors.append(error)
        finally:
            connections.close_all()

    workers = [
        threading.Thread(
            target=run, args=(lambda n: services.message_send(sender=a, thread_id=thread.pk, body=f"a{n}"),)
        ),
        threading.Thread(
            target=run, args=(lambda n: services.message_send(sender=b, thread_id=thread.pk, body=f"b{n}"),)
        ),
        threading.Thread(target=run, args=(lambda n: services.thread_mark_read(user=b, thread_id=thread.pk),)),
    ]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join(timeout=60)
    assert not errors
    thread.refresh_from_db()
    assert thread.last_message_id == Message.objects.filter(thread=thread).latest("pk").pk
    assert services.unread_recount(fix=False).drifted == 0


# --- messages -----------------------------------------------------------------------------------


def test_send_counts_unread_for_the_recipient_in_the_same_write(thread, member, other_member):
    message = services.message_send(sender=member, thread_id=thread.pk, body="  Hello\nthere  ")
    assert message.body == "Hello\nthere"
    thread.refresh_from_db()
    assert thread.last_message == message
    assert _side(thread, other_member).unread_count == 1
    assert _side(thread, member).unread_count == 0
    assert _side(thread, member).last_read_message == message
    assert selectors.messages_unread_count(user_id=other_member.pk) == 1


def test_replying_reads_the_thread_for_the_sender(thread, member, other_member):
    services.message_send(sender=member, thread_id=thread.pk, body="one")
    services.message_send(sender=member, thread_id=thread.pk, body="two")
    services.message_send(sender=other_member, thread_id=thread.pk, body="reply")
    assert _side(thread, other_member).unread_count == 0
    assert _side(thread, member).unread_count == 1


@pytest.mark.parametrize(
    ("unread_before", "muted", "refreshed"),
    [(0, False, {"recipient"}), (2, False, {"recipient", "sender"}), (2, True, {"recipient"})],
)
def test_a_send_refreshes_the_senders_badge_only_when_it_moves(
    thread, member, other_member, monkeypatch, django_capture_on_commit_callbacks, unread_before, muted, refreshed
):
    from realtime.groups import user_group

    for n in range(unread_before):
        services.message_send(sender=other_member, thread_id=thread.pk, body=f"unread {n}")
    Participant.objects.filter(thread=thread, user=member).update(muted=muted)
    groups: list[str] = []
    monkeypatch.setattr("realtime.push._send_now", lambda targets, message: groups.extend(targets))
    before = selectors.messages_unread_count(user_id=member.pk)
    with django_capture_on_commit_callbacks(execute=True):
        services.message_send(sender=member, thread_id=thread.pk, body="reply")
    names = {user_group(other_member.pk): "recipient", user_group(member.pk): "sender"}
    assert {names[g] for g in groups if g in names} == refreshed
    # Whenever the sender's badge is not refreshed, it did not move.
    assert ("sender" in refreshed) == (selectors.messages_unread_count(user_id=member.pk) != before)


@pytest.mark.parametrize("body", ["", "   \n\t ", "x" * 5001, None, 42])
def test_empty_or_oversize_bodies_are_refused_with_a_message(thread, member, body):
    with pytest.raises(InvalidMessage) as error:
        services.message_send(sender=member, thread_id=thread.pk, body=body)
    assert str(error.value)
    assert not Message.objects.exists()


def test_five_thousand_characters_after_trimming_is_fine(thread, member):
    message = services.message_send(sender=member, thread_id=thread.pk, body=" " + "x" * 5000 + " \n")
    assert len(message.body) == 5000


def test_outsiders_cannot_send_in_a_thread(thread):
    with pytest.raises(NotAParticipant):
        services.message_send(sender=make_member(), thread_id=thread.pk, body="hi")


def test_a_block_stops_an_existing_thread_both_ways(thread, member, other_member):
    services.block_create(blocker=other_member, blocked=member)
    for sender in (member, other_member):
        with pytest.raises(RecipientUnavailable):
            services.message_send(sender=sender, thread_id=thread.pk, body="hi")
    services.block_delete(blocker=other_member, blocked=member)
    services.message_send(sender=member, thread_id=thread.pk, body="hi again")


def test_more_than_thirty_a_minute_is_rate_limited_per_sender(thread, member, other_member):
    for n in range(30):
        services.message_send(sender=member, thread_id=thread.pk, body=f"message {n}")
    with pytest.raises(RateLimited) as error:
        services.message_send(sender=member, thread_id=thread.pk, body="one too many")
    assert error.value.retry_after >= 1
    services.message_send(sender=other_member, thread_id=thread.pk, body="the other side is not limited")
    assert Message.objects.filter(sender=member).count() == 30


def test_a_new_message_brings_an_archived_thread_back(thread, member, other_member):
    services.participant_set_archived(user=other_member, thread_id=thread.pk, archived=True)
    services.message_send(sender=member, thread_id=thread.pk, body="ping")
    assert _side(thread, other_member).archived is False


def test_mark_read_moves_the_pointer_and_zeroes_the_counter(thread, member, other_member):
    services.message_send(sender=member, thread_id=thread.pk, body="a")
    last = services.message_send(sender=member, thread_id=thread.pk, body="b")
    side = services.thread_mark_read(user=other_member, thread_id=thread.pk)
    assert (side.unread_count, side.last_read_message_id) == (0, last.pk)
    assert side.last_read_at is not None
    assert selectors.messages_unread_count(user_id=other_member.pk) == 0
    with pytest.raises(NotAParticipant):
        services.thread_mark_read(user=make_member(), thread_id=thread.pk)


def test_muted_threads_stay_out_of_the_badge(thread, member, other_member):
    services.message_send(sender=member, thread_id=thread.pk, body="a")
    services.participant_set_muted(user=other_member, thread_id=thread.pk, muted=True)
    assert selectors.messages_unread_count(user_id=other_member.pk) == 0
    assert _side(thread, other_member).unread_count == 1


def test_message_sent_signal_fires_after_commit_with_ids(
    thread, member, other_member, django_capture_on_commit_callbacks
):
    received = []

    def receiver(sender, **kwargs):
        received.append(kwargs)

    signals.message_sent.connect(receiver)
    try:
        with django_capture_on_commit_callbacks(execute=False) as callbacks:
            message = services.message_send(sender=member, thread_id=thread.pk, body="hi")
        assert received == []  # nothing before commit
        for callback in callbacks:
            callback()
    finally:
        signals.message_sent.disconnect(receiver)
    assert len(received) == 1
    assert {k: received[0][k] for k in ("message_id", "thread_id", "sender_id", "recipient_id")} == {
        "message_id": message.pk,
        "thread_id": thread.pk,
        "sender_id": member.pk,
        "recipient_id": other_member.pk,
    }


# --- reports ------------------------------------------------------------------------------------


def test_reporting_a_message_once_for_staff(thread, member, other_member):
    message = services.message_send(sender=other_member, thread_id=thread.pk, body="rude")
    report, created = services.report_create(reporter=member, message_id=message.pk, reason=" spam ")
    again, created_again = services.report_create(reporter=member, message_id=message.pk)
    assert created
    assert not created_again
    assert report == again
    assert Report.objects.get().reason == "spam"
    with pytest.raises(InvalidMessage):
        services.report_create(reporter=other_member, message_id=message.pk)  # own message
    with pytest.raises(NotAParticipant):
        services.report_create(reporter=make_member(), message_id=message.pk)


# --- repair -------------------------------------------------------------------------------------


def test_recount_finds_and_repairs_drift(thread, member, other_member):
    for body in ("a", "b", "c"):
        services.message_send(sender=member, thread_id=thread.pk, body=body)
    Participant.objects.filter(thread=thread, user=other_member).update(unread_count=7)
    Participant.objects.filter(thread=thread, user=member).update(unread_count=2)

    dry = services.unread_recount(fix=False)
    assert (dry.checked, dry.drifted, dry.total_drift) == (2, 2, 6)
    assert _side(thread, other_member).unread_count == 7

    fixed = services.unread_recount(fix=True, batch_size=1)
    assert (fixed.drifted, fixed.total_drift) == (2, 6)
    assert _side(thread, other_member).unread_count == 3
    assert _side(thread, member).unread_count == 0
    assert services.unread_recount().drifted == 0


def test_recount_command_reports_what_it_found(thread, member, other_member, capsys):
    services.message_send(sender=member, thread_id=thread.pk, body="a")
    Participant.objects.filter(thread=thread, user=other_member).update(unread_count=0)
    call_command("messaging_recount_unread", "--dry-run")
    assert "1 drifted (total drift 1 message(s)); would fix 1" in capsys.readouterr().out
    assert _side(thread, other_member).unread_count == 0
    call_command("messaging_recount_unread")
    assert "fixed 1" in capsys.readouterr().out
    assert _side(thread, other_member).unread_count == 1


def test_recount_repairs_messages_written_behind_the_counters_back():
    a, b = make_member(), make_member()
    thread = thread_between(a, b)
    MessageFactory.create_batch(3, thread=thread, sender=a)
    MessageFactory.create(thread=thread, sender=b)
    result = services.unread_recount()
    assert (result.drifted, result.total_drift) == (2, 4)
    assert _side(thread, b).unread_count == 3
    assert _side(thread, a).unread_count == 1
