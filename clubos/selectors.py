"""Reads of the clubos app: what the control page and API show."""

from __future__ import annotations

from dataclasses import dataclass

from django.db import connection
from django.db.models import QuerySet
from django.utils import timezone

from .app_settings import app_settings
from .models import SyncControl, SyncRun, SyncState


@dataclass(frozen=True)
class SyncStatus:
    control: SyncControl
    running: bool
    owners: list[SyncState]
    recent_runs: list[SyncRun]
    poll_seconds: int

    @property
    def last_run(self) -> SyncRun | None:
        return self.recent_runs[0] if self.recent_runs else None


def sync_runs(*, limit: int = 20) -> QuerySet[SyncRun]:
    return SyncRun.objects.order_by("-started_at", "-pk")[:limit]


# The sync's session advisory lock on PostgreSQL ("Club", 1; services.lock), and how pg_locks shows a
# two-int advisory lock (classid, objid, objsubid 2).
ADVISORY_LOCK_KEY = (0x436C7562, 1)
_ADVISORY_LOCK_ROW = (*ADVISORY_LOCK_KEY, 2)


def sync_lock_held(control: SyncControl | None = None) -> bool:
    """Whether a run holds the sync lock now: the advisory lock on PostgreSQL, else a live lease."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT EXISTS (SELECT 1 FROM pg_locks WHERE locktype = 'advisory' AND granted"
                " AND database = (SELECT oid FROM pg_database WHERE datname = current_database())"
                " AND classid = %s AND objid = %s AND objsubid = %s)",
                _ADVISORY_LOCK_ROW,
            )
            return bool(cursor.fetchone()[0])
    if control is None:
        control = SyncControl.objects.filter(pk=SyncControl.SINGLETON_PK).first()
    return (
        control is not None
        and bool(control.lock_token)
        and control.locked_until is not None
        and control.locked_until > timezone.now()
    )


def sync_failure_warning() -> str:
    """A banner line when the last CLUBOS_FAILURE_BANNER_AFTER (or more) runs all failed, else ""."""
    row = (
        SyncControl.objects.filter(pk=SyncControl.SINGLETON_PK)
        .values("consecutive_failures", "last_error", "last_success_at")
        .first()
    )
    if row is None or row["consecutive_failures"] < app_settings.FAILURE_BANNER_AFTER:
        return ""
    since = (
        f"; last success {timezone.localtime(row['last_success_at']):%b %-d, %-I:%M %p}"
        if row["last_success_at"]
        else ""
    )
    return f"The ClubOS sync failed {row['consecutive_failures']} times in a row{since}: {row['last_error']}"


def sync_status(*, runs: int = 20) -> SyncStatus:
    control = SyncControl.objects.filter(pk=SyncControl.SINGLETON_PK).first() or SyncControl(pk=1)
    running = sync_lock_held(control)
    return SyncStatus(
        control=control,
        running=running,
        owners=list(SyncState.objects.order_by("owner_name", "owner_id")),
        recent_runs=list(sync_runs(limit=runs)),
        poll_seconds=app_settings.POLL_SECONDS,
    )
