"""The sync's readiness probe, registered with core.health by ClubosConfig.ready()."""

from __future__ import annotations

from django.utils import timezone

from core.health import ProbeResult

from .app_settings import app_settings
from .models import SyncControl


def sync_age_probe() -> ProbeResult:
    """How long ago the last run succeeded; not ok past CLUBOS_READY_MAX_SYNC_AGE (paused polling is ok)."""
    control = (
        SyncControl.objects.filter(pk=SyncControl.SINGLETON_PK)
        .values("paused", "last_success_at", "consecutive_failures", "last_error")
        .first()
    )
    if control is None or control["last_success_at"] is None:
        return ProbeResult(False, "no successful sync yet", {"age_seconds": None})
    age = (timezone.now() - control["last_success_at"]).total_seconds()
    data = {"age_seconds": round(age, 1), "failed_in_a_row": control["consecutive_failures"]}
    if control["paused"]:
        return ProbeResult(True, "polling paused", data)
    limit = app_settings.READY_MAX_SYNC_AGE
    if age > limit:
        return ProbeResult(False, f"last success {age:.0f} s ago (limit {limit:.0f} s): {control['last_error']}", data)
    return ProbeResult(True, f"last success {age:.0f} s ago", data)
