"""Celery tasks of the clubos app: the beat-driven inbox sync (thin: logic in services)."""

from __future__ import annotations

import logging

from celery import shared_task
from django.db import DatabaseError

from .exceptions import ClubOSError
from .services import lock, retries, runs, sync

logger = logging.getLogger(__name__)


@shared_task(name="clubos.tasks.sync_inbox", ignore_result=True)
def sync_inbox(force: bool = False, trigger: str = "beat") -> str:
    """One sync run. Beat calls it every CLUBOS_POLL_SECONDS; it does nothing while polling is paused
    (unless `force`, the "Sync now" button) and a run finding another one in progress is not an error."""
    try:
        if not force and runs.sync_control_get().paused:
            return "paused"
        result = sync.clubos_sync_run(trigger=trigger)
    except lock.SyncAlreadyRunning:
        return "busy"
    except DatabaseError as exc:
        # PostgreSQL is down: one line a tick (folded by the log filter), not a traceback; the next tick retries.
        logger.warning("scheduled ClubOS sync skipped, the database is unavailable: %s", str(exc).strip()[:200])
        return "database unavailable"
    except ClubOSError as exc:  # recorded on the run and the control row; the next poll tries again
        logger.warning("scheduled ClubOS sync failed: %s", retries.sync_error_message(exc))
        return "failed"
    return result.summary_line()
