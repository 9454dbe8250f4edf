"""Celery tasks of the staff inbox: thin wrappers over services."""

from __future__ import annotations

import logging

from celery import shared_task
from django.db import DatabaseError

from .services import actions, badges, outbound

logger = logging.getLogger(__name__)


@shared_task(bind=True, name=outbound.DELIVERY_TASK, acks_late=True, max_retries=None, ignore_result=True)
def send_outbound_message(self, message_id: int) -> str:  # type: ignore[no-untyped-def]
    """Deliver a queued message to ClubOS; temporary failures retry with exponential backoff.

    The attempt limit (CLUBOS_SEND_MAX_ATTEMPTS) is counted on the message row, not by Celery,
    so duplicated tasks for one message share it and can never send it twice. Eager runs (embedded
    mode) ignore countdowns, so a follow-up that must wait is left to the outbox sweep there.
    """
    outcome = outbound.outbound_message_deliver(message_id=message_id)
    if outcome.retry_in is not None and not (self.request.is_eager and outcome.status == outbound.WAITING):
        raise self.retry(countdown=outcome.retry_in)
    return outcome.status


@shared_task(name="inbox.tasks.sweep_outbox", ignore_result=True)
def sweep_outbox() -> str:
    """Beat: re-queue outbound messages whose nudge was lost or whose attempt was interrupted."""
    try:
        result = outbound.outbound_sweep()
    except DatabaseError as exc:  # PostgreSQL down: one line a tick, the next tick tries again
        logger.warning("outbox sweep skipped, the database is unavailable: %s", str(exc).strip()[:200])
        return "database unavailable"
    return f"outbox: requeued={result.requeued} expired={result.expired}"


@shared_task(name="inbox.tasks.snoozes_wake", ignore_result=True)
def snoozes_wake() -> str:
    """Beat: reopen conversations whose snooze has run out."""
    try:
        woken = actions.snoozes_wake()
    except DatabaseError as exc:
        logger.warning("snooze wake skipped, the database is unavailable: %s", str(exc).strip()[:200])
        return "database unavailable"
    return f"snoozes: woke={woken}"


@shared_task(name="inbox.tasks.badges_rebuild", ignore_result=True)
def badges_rebuild() -> str:
    """Beat: repair the staff badges' entries from the truth (every write keeps them; this catches a miss)."""
    try:
        result = badges.badges_rebuild()
    except DatabaseError as exc:
        logger.warning("badge rebuild skipped, the database is unavailable: %s", str(exc).strip()[:200])
        return "database unavailable"
    return (
        f"badges: checked={result.badges} added={result.added} removed={result.removed} flipped={result.flipped}"
        f" dropped={result.dropped}"
    )
