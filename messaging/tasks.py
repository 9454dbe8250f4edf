"""Celery tasks of the messaging app (thin: the logic is in services)."""

from __future__ import annotations

from celery import shared_task

from . import moderation, services


@shared_task(name="messaging.tasks.send_unread_emails", ignore_result=True)
def send_unread_emails() -> int:
    """Beat calls it every MESSAGING_UNREAD_EMAIL_SWEEP_SECONDS; rows are claimed in the database,
    so two workers running it at once never send the same email twice."""
    return services.unread_emails_send()


@shared_task(name="messaging.tasks.send_moderation_warning", ignore_result=True)
def send_moderation_warning(action_id: int) -> bool:
    """Email a member the staff's warning (queued on commit by moderation.report_decide); sent at most once."""
    return moderation.moderation_warning_send(action_id=action_id)
