"""Celery tasks of the clubos app: the beat-driven inbox sync (thin: logic in services)."""

from __future__ import annotations

import logging

from celery import shared_task

from .exceptions import ClubOSError
from .services import lock, retries, runs, sync

logger = logging.getLogger(__name__)


@shared_task(name="clubos.tasks.sync_inbox", ignore_result=True)
def sync_inbox(force: bool = False, trigger: str = "beat") -> str:
    """One sync run. Beat calls it every CLUBOS_POLL_SECONDS; it does nothing while polling is paused
    (unless `force`, the "Sync now" button) and a run finding another one in progress is not an error."""
    if not force and runs.sync_control_get().paused:
        return "paused"
    try:
        result = sync.clubos_sync_run(trigger=trigger)
    except lock.SyncAlreadyRunning:
        return "busy"
    except ClubOSError as exc:  # recorded on the run and the control row; the next poll tries again
        logger.warning("scheduled ClubOS sync failed: %s", retries.sync_error_message(exc))
        return "failed"
    return result.summary_line()
