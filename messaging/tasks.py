"""Celery tasks of the messaging app (thin: the logic is in services)."""

from __future__ import annotations

from celery import shared_task

from . import services


@shared_task(name="messaging.tasks.send_unread_emails", ignore_result=True)
def send_unread_emails() -> int:
    """Beat calls it every MESSAGING_UNREAD_EMAIL_SWEEP_SECONDS; rows are claimed in the database,
    so two workers running it at once never send the same email twice."""
    return services.unread_emails_send()
