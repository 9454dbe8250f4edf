"""Reads for the safety queue: open reports, one report with its context, a member's history, suspensions."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from django.db.models import QuerySet
from django.utils import timezone

from .exceptions import ReportNotFound
from .models import Message, MessagingSuspension, ModerationAction, Report, ReportStatus

CONTEXT_MESSAGES = 3  # messages shown before and after the reported one
HISTORY_ROWS = 20


def suspension_in_force(*, member_id: int, now: datetime | None = None) -> MessagingSuspension | None:
    """The member's current suspension (None: they may send)."""
    return MessagingSuspension.objects.in_force(now=now or timezone.now()).filter(member_id=member_id).first()


def suspension_get(*, suspension_id: int) -> MessagingSuspension:
    suspension = MessagingSuspension.objects.filter(pk=suspension_id).select_related("member").first()
    if suspension is None:
        raise ReportNotFound("Suspension not found.")
    return suspension


def suspension_notice(*, suspension: MessagingSuspension | None) -> str:
    """What a suspended member reads where they would write ("" when not suspended)."""
    if suspension is None:
        return ""
    if suspension.until is not None:
        until = timezone.localtime(suspension.until).strftime("%-d %b %Y, %H:%M")
        return (
            f"The club's staff suspended your messaging until {until}: "
            "you can read your conversations but not send messages."
        )
    return "The club's staff suspended your messaging: you can read your conversations but not send messages."


def reports_open_count() -> int:
    """The number in the inbox nav: open reports (served by the status index)."""
    return Report.objects.filter(status=ReportStatus.OPEN).count()


def report_queue(*, status: str = ReportStatus.OPEN) -> QuerySet[Report]:
    """Reports of one status, newest first, with what a row shows."""
    return Report.objects.filter(status=status).select_related("reporter", "message__sender", "reviewed_by")


def report_get(*, report_id: int) -> Report:
    report = Report.objects.filter(pk=report_id).select_related("reporter", "message__sender", "reviewed_by").first()
    if report is None:
        raise ReportNotFound()
    return report


@dataclass(frozen=True)
class MemberHistory:
    reports: list[Report]  # reports against the member's messages, newest first
    reports_total: int
    suspensions: list[MessagingSuspension]
    actions: list[ModerationAction]
    suspension: MessagingSuspension | None  # in force now


@dataclass(frozen=True)
class ReportDetail:
    report: Report
    before: list[Message]
    after: list[Message]
    other_reporters: list[Report]  # every report on the same message, this one included
    history: MemberHistory


def member_history(*, member_id: int) -> MemberHistory:
    reports = Report.objects.filter(message__sender_id=member_id)
    suspensions = list(
        MessagingSuspension.objects.filter(member_id=member_id).select_related("created_by", "lifted_by")[:HISTORY_ROWS]
    )
    now = timezone.now()
    in_force = next(
        (s for s in suspensions if s.lifted_at is None and (s.until is None or s.until > now)),
        None,
    )
    return MemberHistory(
        reports=list(reports.select_related("reporter", "message")[:HISTORY_ROWS]),
        reports_total=reports.count(),
        suspensions=suspensions,
        actions=list(ModerationAction.objects.filter(member_id=member_id).select_related("actor")[:HISTORY_ROWS]),
        suspension=in_force,
    )


def report_detail(*, report_id: int) -> ReportDetail:
    """A report with the reported message's neighbours in its thread and the sender's history."""
    report = report_get(report_id=report_id)
    message = report.message
    in_thread = Message.objects.filter(thread_id=message.thread_id).select_related("sender")
    before = list(reversed(in_thread.filter(id__lt=message.pk).order_by("-id")[:CONTEXT_MESSAGES]))
    after = list(in_thread.filter(id__gt=message.pk).order_by("id")[:CONTEXT_MESSAGES])
    same_message = list(Report.objects.filter(message_id=message.pk).select_related("reporter").order_by("created_at"))
    return ReportDetail(
        report=report,
        before=before,
        after=after,
        other_reporters=same_message,
        history=member_history(member_id=message.sender_id),
    )
