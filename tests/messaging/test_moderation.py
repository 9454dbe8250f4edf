"""The safety queue's services: each decision, who may decide about whom, suspensions blocking sends, lifting."""

from __future__ import annotations

import threading
from datetime import timedelta

import pytest
from django.core import mail
from django.db import connection, connections
from django.utils import timezone

from messaging import moderation, moderation_selectors, services
from messaging.exceptions import (
    InvalidDecision,
    MessageNotEditable,
    MessagingSuspended,
    ModerationNotAllowed,
    ReportAlreadyDecided,
    ReportNotFound,
)
from messaging.models import MessagingSuspension, ModerationAction, ModerationKind, Report, ReportStatus
from tests.accounts.factories import AdminFactory, StaffFactory, as_user
from tests.messaging.factories import make_member, make_staff

pytestmark = pytest.mark.django_db


@pytest.fixture
def pair(messaging_on):
    """An offender who sent two messages to a reporter, who reported the first."""
    offender, reporter = make_member(email="offender@example.com"), make_member()
    thread, _ = services.thread_start(initiator=offender, recipient=reporter)
    rude = services.message_send(sender=offender, thread_id=thread.pk, body="you <b>idiot</b>")
    report, _ = services.report_create(reporter=reporter, message_id=rude.pk, reason="insult")
    return {"offender": offender, "reporter": reporter, "thread": thread, "message": rude, "report": report}


def test_dismiss_resolves_the_report_and_is_audited(pair, staff):
    action = moderation.report_decide(report_id=pair["report"].pk, actor=staff, decision="dismiss", note="banter")

    report = Report.objects.get(pk=pair["report"].pk)
    assert (report.status, report.decision, report.decision_note) == (ReportStatus.REVIEWED, "dismiss", "banter")
    assert report.reviewed_by == staff
    assert report.reviewed_at is not None
    assert (action.kind, action.actor, action.member, action.reports_resolved) == (
        "dismiss",
        staff,
        pair["offender"],
        1,
    )
    assert moderation_selectors.suspension_in_force(member_id=pair["offender"].pk) is None
    assert mail.outbox == []


def test_warn_emails_the_member_once_with_the_note(pair, staff, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        action = moderation.report_decide(
            report_id=pair["report"].pk, actor=staff, decision="warn", note="Please keep it civil."
        )
        assert mail.outbox == []  # only once committed

    assert len(mail.outbox) == 1  # eager Celery: the on-commit nudge ran the task
    assert mail.outbox[0].to == ["offender@example.com"]
    assert "Please keep it civil." in mail.outbox[0].body
    assert "idiot" not in mail.outbox[0].body  # the message itself stays out of email
    action.refresh_from_db()
    assert action.notified_at is not None
    assert moderation.moderation_warning_send(action_id=action.pk) is False  # never twice
    assert len(mail.outbox) == 1


def test_suspend_creates_a_suspension_and_blocks_sends_but_not_reading(pair, staff):
    action = moderation.report_decide(report_id=pair["report"].pk, actor=staff, decision="suspend", note="threats")

    suspension = MessagingSuspension.objects.get(member=pair["offender"])
    assert action.suspension == suspension
    assert suspension.created_by == staff
    assert suspension.reason == "threats"
    with pytest.raises(MessagingSuspended, match="suspended your messaging"):
        services.message_send(sender=pair["offender"], thread_id=pair["thread"].pk, body="sorry")
    with pytest.raises(MessagingSuspended):
        services.thread_start(initiator=pair["offender"], recipient=make_member())
    # reading still works, and so does the other side's sending
    services.thread_mark_read(user=pair["offender"], thread_id=pair["thread"].pk)
    services.message_send(sender=pair["reporter"], thread_id=pair["thread"].pk, body="bye")


def test_suspended_member_cannot_edit_either(pair, staff):
    moderation.report_decide(report_id=pair["report"].pk, actor=staff, decision="suspend")
    with pytest.raises(MessagingSuspended):
        services.message_edit(user=pair["offender"], message_id=pair["message"].pk, body="nice words now")


def test_lift_restores_sending_and_is_audited(pair, staff):
    moderation.report_decide(report_id=pair["report"].pk, actor=staff, decision="suspend")
    suspension = MessagingSuspension.objects.get()
    other_staff = make_staff()

    moderation.suspension_lift(suspension_id=suspension.pk, actor=other_staff, note="apologised")

    suspension.refresh_from_db()
    assert suspension.lifted_by == other_staff
    assert suspension.lifted_at is not None
    services.message_send(sender=pair["offender"], thread_id=pair["thread"].pk, body="sorry")
    lift = ModerationAction.objects.get(kind=ModerationKind.LIFT)
    assert (lift.actor, lift.member, lift.note) == (other_staff, pair["offender"], "apologised")
    # lifting again changes nothing and adds no audit row
    moderation.suspension_lift(suspension_id=suspension.pk, actor=staff)
    assert ModerationAction.objects.filter(kind=ModerationKind.LIFT).count() == 1


def test_a_suspension_with_an_end_stops_by_itself(pair, staff):
    until = timezone.now() + timedelta(hours=1)
    moderation.report_decide(report_id=pair["report"].pk, actor=staff, decision="suspend", until=until)
    assert moderation_selectors.suspension_in_force(member_id=pair["offender"].pk) is not None
    later = until + timedelta(seconds=1)
    assert moderation_selectors.suspension_in_force(member_id=pair["offender"].pk, now=later) is None


def test_suspending_again_after_an_expired_one_starts_a_new_one(pair, staff):
    MessagingSuspension.objects.create(
        member=pair["offender"], created_by=staff, until=timezone.now() - timedelta(minutes=1)
    )
    moderation.report_decide(report_id=pair["report"].pk, actor=staff, decision="suspend")
    rows = list(MessagingSuspension.objects.order_by("pk"))
    assert len(rows) == 2
    assert rows[0].lifted_at == rows[0].until
    assert rows[1].lifted_at is None


def test_all_open_reports_on_the_message_are_resolved_together(pair, staff):
    third = make_member()
    thread, _ = services.thread_start(initiator=pair["offender"], recipient=third)
    elsewhere = services.message_send(sender=pair["offender"], thread_id=thread.pk, body="another")
    other_report, _ = services.report_create(reporter=third, message_id=elsewhere.pk)
    # The same message reported twice is impossible across threads, so a second reporter on it is
    # made directly (a group chat would allow it; the model does).
    second = Report.objects.create(message=pair["message"], reporter=third, reason="me too")

    action = moderation.report_decide(report_id=pair["report"].pk, actor=staff, decision="dismiss")

    assert action.reports_resolved == 2
    assert Report.objects.get(pk=second.pk).status == ReportStatus.REVIEWED
    assert Report.objects.get(pk=other_report.pk).status == ReportStatus.OPEN  # another message: its own decision


def test_a_decided_report_cannot_be_decided_again(pair, staff):
    moderation.report_decide(report_id=pair["report"].pk, actor=staff, decision="dismiss")
    with pytest.raises(ReportAlreadyDecided, match="already decided"):
        moderation.report_decide(report_id=pair["report"].pk, actor=staff, decision="suspend")
    assert not MessagingSuspension.objects.exists()


@pytest.mark.parametrize("protected", ["staff", "admin"])
@pytest.mark.parametrize("decision", ["warn", "suspend"])
def test_staff_never_warn_or_suspend_staff_or_admin_accounts(messaging_on, staff, protected, decision):
    sender = as_user(StaffFactory() if protected == "staff" else AdminFactory())
    reporter = make_member()
    thread, _ = services.thread_start(initiator=sender, recipient=reporter)
    message = services.message_send(sender=sender, thread_id=thread.pk, body="hello")
    report, _ = services.report_create(reporter=reporter, message_id=message.pk)

    with pytest.raises(ModerationNotAllowed):
        moderation.report_decide(report_id=report.pk, actor=staff, decision=decision)
    assert Report.objects.get(pk=report.pk).status == ReportStatus.OPEN
    assert not MessagingSuspension.objects.exists()
    assert not ModerationAction.objects.exists()
    # dismissing a report about a colleague is fine
    moderation.report_decide(report_id=report.pk, actor=staff, decision="dismiss")


def test_members_cannot_decide_or_lift(pair, staff):
    with pytest.raises(ModerationNotAllowed):
        moderation.report_decide(report_id=pair["report"].pk, actor=pair["reporter"], decision="suspend")
    moderation.report_decide(report_id=pair["report"].pk, actor=staff, decision="suspend")
    with pytest.raises(ModerationNotAllowed):
        moderation.suspension_lift(suspension_id=MessagingSuspension.objects.get().pk, actor=pair["offender"])


@pytest.mark.parametrize(
    ("decision", "note", "until", "message"),
    [
        ("ban", "", None, "Choose dismiss"),
        ("suspend", "x" * 1001, None, "under 1,000"),
        ("suspend", "bad\x00note", None, "control characters"),
        ("warn", "", "future", "Only a suspension"),
        ("suspend", "", "past", "in the future"),
    ],
)
def test_bad_decisions_are_refused_clearly(pair, staff, decision, note, until, message):
    moment = {None: None, "future": timezone.now() + timedelta(days=1), "past": timezone.now() - timedelta(days=1)}
    with pytest.raises(InvalidDecision, match=message):
        moderation.report_decide(
            report_id=pair["report"].pk, actor=staff, decision=decision, note=note, until=moment[until]
        )
    assert Report.objects.get(pk=pair["report"].pk).status == ReportStatus.OPEN


def test_unknown_report_is_not_found(staff):
    with pytest.raises(ReportNotFound):
        moderation.report_decide(report_id=987654, actor=staff, decision="dismiss")


def test_editing_is_refused_for_the_suspended_only(pair, staff):
    moderation.report_decide(report_id=pair["report"].pk, actor=staff, decision="dismiss")
    # not suspended: an edit within the window still works (and a foreign message stays foreign)
    services.message_edit(user=pair["offender"], message_id=pair["message"].pk, body="changed")
    with pytest.raises(MessageNotEditable):
        services.message_edit(user=pair["reporter"], message_id=pair["message"].pk, body="mine now")


def test_a_warning_to_a_member_without_email_sends_nothing_and_is_not_marked_notified(messaging_on, staff):
    offender, reporter = make_member(email=""), make_member()
    thread, _ = services.thread_start(initiator=offender, recipient=reporter)
    message = services.message_send(sender=offender, thread_id=thread.pk, body="rude")
    report, _ = services.report_create(reporter=reporter, message_id=message.pk)

    action = moderation.report_decide(report_id=report.pk, actor=staff, decision="warn")

    assert moderation.moderation_warning_send(action_id=action.pk) is False
    assert mail.outbox == []
    action.refresh_from_db()
    assert action.notified_at is None


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_two_staff_deciding_at_once_leave_one_decision_and_one_suspension():
    if connection.vendor != "postgresql":
        pytest.skip("needs PostgreSQL: SQLite serialises writers, so there is no race to test")
    services.messaging_set_enabled(actor=None, enabled=True)
    offender, reporter = make_member(), make_member()
    thread, _ = services.thread_start(initiator=offender, recipient=reporter)
    message = services.message_send(sender=offender, thread_id=thread.pk, body="rude")
    report, _ = services.report_create(reporter=reporter, message_id=message.pk)
    deciders = [make_staff() for _ in range(4)]
    barrier = threading.Barrier(len(deciders))
    outcomes: list[str] = []

    def decide(actor):
        try:
            barrier.wait(timeout=10)
            moderation.report_decide(report_id=report.pk, actor=actor, decision="suspend")
            outcomes.append("decided")
        except ReportAlreadyDecided:
            outcomes.append("already")
        except BaseException as error:  # anything else fails the test below
            outcomes.append(repr(error))
        finally:
            connections.close_all()

    workers = [threading.Thread(target=decide, args=(actor,)) for actor in deciders]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join(timeout=30)
    assert sorted(outcomes) == ["already"] * 3 + ["decided"]
    assert MessagingSuspension.objects.filter(member=offender).count() == 1
    assert ModerationAction.objects.count() == 1
