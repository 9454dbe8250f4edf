"""Bookkeeping of sync runs: the control row (pause, resume, totals) and the run log."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from django.db import transaction
from django.db.models import F
from django.utils import timezone

from ..app_settings import app_settings
from ..models import SyncControl, SyncRun, SyncRunStatus


@dataclass
class SyncProgress:
    members_done: int = 0
    members_total: int = 0
    messages_done: int = 0
    messages_total: int = 0


@dataclass
class SyncResult:
    """Counts of one run; always fetched = new + duplicates + skipped + errors.

    fetched: every item of every owner's list, malformed ones included (items at or below the
    watermark are counted, not parsed: lists are newest first); duplicates: already stored (below the
    watermark, a repeat after an interrupted run, or our own reply coming back from ClubOS);
    skipped: malformed items; errors: items left for the next run because their member's history failed.
    """

    run_id: int | None = None
    fetched: int = 0
    new: int = 0
    duplicates: int = 0
    skipped: int = 0
    errors: int = 0
    unmatched: int = 0
    new_by_owner: dict[int, int] = field(default_factory=dict)

    def summary_line(self) -> str:
        return (
            f"sync: fetched={self.fetched} new={self.new} duplicates={self.duplicates} "
            f"skipped={self.skipped} errors={self.errors}"
        )


ProgressCallback = Callable[[SyncProgress], None]


def sync_control_get() -> SyncControl:
    control, _ = SyncControl.objects.get_or_create(pk=SyncControl.SINGLETON_PK)
    return control


def sync_pause() -> SyncControl:
    control = sync_control_get()
    if not control.paused:
        SyncControl.objects.filter(pk=control.pk).update(paused=True, paused_at=timezone.now())
    control.refresh_from_db()
    return control


@transaction.atomic
def sync_resume() -> SyncControl:
    SyncControl.objects.filter(pk=sync_control_get().pk).update(paused=False, paused_at=None)
    return sync_control_get()


def run_start(trigger: str) -> SyncRun:
    # Holding the lock means no other run is alive: "running" rows are leftovers of killed runs.
    SyncRun.objects.filter(status=SyncRunStatus.RUNNING).update(
        status=SyncRunStatus.INTERRUPTED, error="The run stopped before it finished (process ended)."
    )
    return SyncRun.objects.create(started_at=timezone.now(), trigger=trigger[:16])


def run_finish(run: SyncRun, result: SyncResult, error: str = "") -> None:
    now = timezone.now()
    duration_ms = int((now - run.started_at).total_seconds() * 1000)
    run.finished_at, run.duration_ms = now, duration_ms
    run.status = SyncRunStatus.FAILED if error else SyncRunStatus.SUCCEEDED
    run.fetched, run.new, run.duplicates = result.fetched, result.new, result.duplicates
    run.skipped, run.errors, run.unmatched, run.error = result.skipped, result.errors, result.unmatched, error
    run.save()
    totals = {
        "runs": F("runs") + 1,
        "messages_fetched": F("messages_fetched") + result.fetched,
        "messages_new": F("messages_new") + result.new,
        "messages_duplicate": F("messages_duplicate") + result.duplicates,
        "messages_skipped": F("messages_skipped") + result.skipped,
        "last_run_at": now,
        "last_duration_ms": duration_ms,
    }
    if error:
        totals |= {
            "failures": F("failures") + 1,
            "consecutive_failures": F("consecutive_failures") + 1,
            "last_error": error,
            "last_error_at": now,
        }
    else:
        totals |= {"successes": F("successes") + 1, "last_success_at": now, "consecutive_failures": 0}
    SyncControl.objects.filter(pk=SyncControl.SINGLETON_PK).update(**totals)
    keep = app_settings.SYNC_RUNS_KEPT
    cutoff = SyncRun.objects.order_by("-started_at", "-pk").values_list("pk", flat=True)[keep : keep + 1]
    if cutoff:
        SyncRun.objects.filter(pk__lte=cutoff[0]).exclude(pk=run.pk).delete()
