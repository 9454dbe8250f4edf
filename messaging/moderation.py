"""Writes of the safety queue: staff decide member reports (dismiss, warn, suspend) and lift suspensions.

Every decision resolves all open reports on the message together and leaves one `ModerationAction`
row (who, what, about whom, when, why). Staff never act on staff or admin accounts.
"""

from __future__ import annotations

import logging
from datetime import datetime
from typing import TYPE_CHECKING

from django.db import IntegrityError, transaction
from django.utils import timezone

from core.nudge import task_nudge
from core.validators import CONTROL_CHARACTERS_MESSAGE, has_control_characters

from . import emails
from .exceptions import InvalidDecision, ModerationNotAllowed, ReportAlreadyDecided, ReportNotFound
from .models import (
    MessagingSuspension,
    ModerationAction,
    ModerationKind,
    Report,
    ReportDecision,
    ReportStatus,
)

if TYPE_CHECKING:
    from accounts.models import User

logger = logging.getLogger(__name__)

NOTE_MAX = 1000
WARNING_TASK = "messaging.tasks.send_moderation_warning"


def _require_moderator(actor: User) -> None:
    if not getattr(actor, "is_inbox_staff", False):
        raise ModerationNotAllowed("Only club staff can review reports.")


def _is_protected(member: User) -> bool:
    """Staff and admin accounts are not moderated by staff (an admin deals with them in admin)."""
    return bool(member.is_inbox_staff or member.is_staff or member.is_superuser)


def _clean_note(note: object) -> str:
    if note is None:
        return ""
    if not isinstance(note, str):
        raise InvalidDecision("The note must be text.")
    text = note.replace("\r\n", "\n").strip()
    if len(text) > NOTE_MAX:
        raise InvalidDecision(f"Keep the note under {NOTE_MAX:,} characters.")
    if has_control_characters(text):
        raise InvalidDecision(CONTROL_CHARACTERS_MESSAGE)
    return text


def _suspension_start(
    *, member: User, actor: User, reason: str, report: Report | None, until: datetime | None, now: datetime
) -> MessagingSuspension:
    """The member's suspension in force, created if needed (an expired, unlifted one is closed first)."""
    current = MessagingSuspension.objects.select_for_update().filter(member=member, lifted_at__isnull=True).first()
    if current is not None:
        if current.until is None or current.until > now:
            return current  # already suspended: the new decision joins it
        current.lifted_at = current.until  # it ran out on its own
        current.save(update_fields=["lifted_at"])
    try:
        with transaction.atomic():
            return MessagingSuspension.objects.create(
                member=member, created_by=actor, reason=reason, report=report, until=until
            )
    except IntegrityError:  # another staff member suspended them a moment ago
        return MessagingSuspension.objects.get(member=member, lifted_at__isnull=True)


@transaction.atomic
def report_decide(
    *, report_id: int, actor: User, decision: object, note: object = "", until: datetime | None = None
) -> ModerationAction:
    """Decide an open report: dismiss it, warn the sender (emailed), or suspend the sender's messaging.

    Every open report on the same message is resolved with it. `until` (suspend only) ends the
    suspension on its own; without it the suspension lasts until lifted.
    """
    _require_moderator(actor)
    report = Report.objects.select_related("message__sender").filter(pk=report_id).first()
    if report is None:
        raise ReportNotFound()
    if decision not in ReportDecision.values:
        raise InvalidDecision("Choose dismiss, warn or suspend.")
    text = _clean_note(note)
    now = timezone.now()
    if until is not None:
        if decision != ReportDecision.SUSPEND:
            raise InvalidDecision("Only a suspension has an end.")
        if until <= now:
            raise InvalidDecision("The suspension must end in the future.")
    message = report.message
    member = message.sender
    if decision != ReportDecision.DISMISS and _is_protected(member):
        raise ModerationNotAllowed("Staff and admin accounts can't be warned or suspended here; ask an admin.")
    # Lock the message's open reports: of two staff deciding at once, the second finds nothing open.
    open_ids = list(
        Report.objects.select_for_update()
        .filter(message_id=message.pk, status=ReportStatus.OPEN)
        .order_by("pk")
        .values_list("pk", flat=True)
    )
    if report.pk not in open_ids:
        raise ReportAlreadyDecided()
    resolved = Report.objects.filter(pk__in=open_ids).update(
        status=ReportStatus.REVIEWED, reviewed_by=actor, reviewed_at=now, decision=decision, decision_note=text
    )
    suspension = None
    if decision == ReportDecision.SUSPEND:
        suspension = _suspension_start(member=member, actor=actor, reason=text, report=report, until=until, now=now)
    action = ModerationAction.objects.create(
        kind=decision,  # the decisions and the action kinds share their values
        actor=actor,
        member=member,
        message=message,
        suspension=suspension,
        reports_resolved=resolved,
        note=text,
    )
    if decision == ReportDecision.WARN:
        action_id = action.pk
        transaction.on_commit(lambda: task_nudge(WARNING_TASK, action_id))
    return action


@transaction.atomic
def suspension_lift(*, suspension_id: int, actor: User, note: object = "") -> MessagingSuspension:
    """End a suspension now (lifting one already over changes nothing but is not an error)."""
    _require_moderator(actor)
    text = _clean_note(note)
    suspension = (
        MessagingSuspension.objects.select_for_update().select_related("member").filter(pk=suspension_id).first()
    )
    if suspension is None:
        raise ReportNotFound("Suspension not found.")
    if _is_protected(suspension.member):
        raise ModerationNotAllowed("Staff and admin accounts are managed by an admin.")
    if suspension.lifted_at is not None:
        return suspension
    now = timezone.now()
    suspension.lifted_at = now
    suspension.lifted_by = actor
    suspension.save(update_fields=["lifted_at", "lifted_by"])
    ModerationAction.objects.create(
        kind=ModerationKind.LIFT, actor=actor, member=suspension.member, suspension=suspension, note=text
    )
    return suspension


def moderation_warning_send(*, action_id: int) -> bool:
    """Email the member about a warning once (a claimed `notified_at`); False when nothing was sent
    (already sent, not a warning, or a member without an email address, who is then left unclaimed)."""
    action = ModerationAction.objects.select_related("member").filter(pk=action_id, kind=ModerationKind.WARN).first()
    if action is None or not action.member.email:
        return False
    now = timezone.now()
    claimed = ModerationAction.objects.filter(pk=action_id, notified_at__isnull=True).update(notified_at=now)
    if not claimed:
        return False
    try:
        emails.send_moderation_warning(action=action)
    except Exception:
        ModerationAction.objects.filter(pk=action_id, notified_at=now).update(notified_at=None)
        raise
    return True
