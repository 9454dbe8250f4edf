"""Celery tasks of the staff inbox: thin wrappers over services."""

from __future__ import annotations

from celery import shared_task

from .services import outbound


@shared_task(bind=True, name=outbound.DELIVERY_TASK, acks_late=True, max_retries=None)
def send_outbound_message(self, message_id: int) -> str:  # type: ignore[no-untyped-def]
    """Deliver a queued message to ClubOS; temporary failures retry with exponential backoff.

    The attempt limit (CLUBOS_SEND_MAX_ATTEMPTS) is counted on the message row, not by Celery,
    so duplicated tasks for one message share it and can never send it twice.
    """
    outcome = outbound.outbound_message_deliver(message_id=message_id)
    if outcome.retry_in is not None:
        raise self.retry(countdown=outcome.retry_in)
    return outcome.status
