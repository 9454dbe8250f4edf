"""Reads of the clubos app: what the control page and API show."""

from __future__ import annotations

from dataclasses import dataclass

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


def sync_status(*, runs: int = 20) -> SyncStatus:
    control = SyncControl.objects.filter(pk=SyncControl.SINGLETON_PK).first() or SyncControl(pk=1)
    running = bool(control.lock_token) and control.locked_until is not None and control.locked_until > timezone.now()
    return SyncStatus(
        control=control,
        running=running,
        owners=list(SyncState.objects.order_by("owner_name", "owner_id")),
        recent_runs=list(sync_runs(limit=runs)),
        poll_seconds=app_settings.POLL_SECONDS,
    )
