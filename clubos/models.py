"""Sync bookkeeping: one control row (pause + run lock + totals), a state per inbox owner, a run log."""

from __future__ import annotations

from django.db import models


class SyncControl(models.Model):
    """The singleton row (pk=1): pause flag, the cross-process run lock and running totals."""

    SINGLETON_PK = 1

    paused = models.BooleanField(default=False)
    paused_at = models.DateTimeField(null=True, blank=True)
    # The run lock. On PostgreSQL a session advisory lock decides who runs (it dies with the holder's
    # connection); everywhere a short lease, taken with one conditional UPDATE and renewed by a
    # heartbeat thread, frees itself within CLUBOS_SYNC_LOCK_SECONDS of the holder's death. The
    # holder and since-when are shown to whoever finds the sync busy.
    lock_token = models.CharField(max_length=64, blank=True)
    locked_until = models.DateTimeField(null=True, blank=True)
    lock_holder = models.CharField(max_length=200, blank=True)
    locked_since = models.DateTimeField(null=True, blank=True)
    runs = models.PositiveIntegerField(default=0)
    successes = models.PositiveIntegerField(default=0)
    failures = models.PositiveIntegerField(default=0)
    messages_fetched = models.PositiveBigIntegerField(default=0)
    messages_new = models.PositiveBigIntegerField(default=0)
    messages_duplicate = models.PositiveBigIntegerField(default=0)
    messages_skipped = models.PositiveBigIntegerField(default=0)
    last_run_at = models.DateTimeField(null=True, blank=True)
    last_success_at = models.DateTimeField(null=True, blank=True)
    last_duration_ms = models.PositiveIntegerField(null=True, blank=True)
    last_error = models.TextField(blank=True)
    last_error_at = models.DateTimeField(null=True, blank=True)
    consecutive_failures = models.PositiveIntegerField(default=0, help_text="Failed runs since the last success.")

    class Meta:
        verbose_name = "sync control"
        constraints = [models.CheckConstraint(condition=models.Q(pk=1), name="sync_control_singleton")]

    def __str__(self) -> str:
        return "ClubOS sync (paused)" if self.paused else "ClubOS sync"


class SyncState(models.Model):
    """One inbox owner (a staff user or the club location) and how far its list has been copied."""

    owner_id = models.PositiveBigIntegerField(unique=True)
    owner_name = models.CharField(max_length=200, blank=True)
    # Highest ClubOS message id such that it and every lower id of this owner are committed.
    watermark = models.PositiveBigIntegerField(default=0)
    last_synced_at = models.DateTimeField(null=True, blank=True)
    messages_stored = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["owner_name", "owner_id"]

    def __str__(self) -> str:
        return f"{self.owner_name or self.owner_id} @ {self.watermark}"


class SyncRunStatus(models.TextChoices):
    RUNNING = "running", "Running"
    SUCCEEDED = "succeeded", "Succeeded"
    FAILED = "failed", "Failed"
    INTERRUPTED = "interrupted", "Interrupted"


class SyncRun(models.Model):
    started_at = models.DateTimeField()
    finished_at = models.DateTimeField(null=True, blank=True)
    duration_ms = models.PositiveIntegerField(null=True, blank=True)
    status = models.CharField(max_length=16, choices=SyncRunStatus.choices, default=SyncRunStatus.RUNNING)
    trigger = models.CharField(max_length=16, default="beat")
    fetched = models.PositiveIntegerField(default=0)
    new = models.PositiveIntegerField(default=0)
    duplicates = models.PositiveIntegerField(default=0)
    skipped = models.PositiveIntegerField(default=0)
    errors = models.PositiveIntegerField(default=0)
    unmatched = models.PositiveIntegerField(default=0, help_text="Stored with the list snippet as body.")
    error = models.TextField(blank=True)

    class Meta:
        ordering = ["-started_at", "-pk"]
        indexes = [models.Index(fields=["-started_at"], name="sync_run_latest")]

    def __str__(self) -> str:
        return f"Sync {self.started_at:%Y-%m-%d %H:%M:%S} {self.status}"


class NameLookup(models.Model):
    """What a ClubOS user search found for a sender name, so idle polls never search again."""

    name = models.CharField(max_length=200, unique=True)  # casefolded, spaces collapsed
    # Space-separated ClubOS ids (a JSONField's system check would query SQLite at startup).
    found_ids = models.CharField(max_length=500, blank=True)
    looked_up_at = models.DateTimeField()

    def __str__(self) -> str:
        return f"{self.name} → {self.found_ids or 'nobody'}"

    @property
    def member_ids(self) -> list[int]:
        return [int(part) for part in self.found_ids.split()]


class StoredSession(models.Model):
    """A logged-in ClubOS session (cookies, the dashboard) kept between runs and processes, so a
    `sync_clubos` run logs in only when ClubOS has ended the session. Never holds the password."""

    key = models.CharField(max_length=300, unique=True)  # base url | username
    # JSON text (a JSONField's system check would query SQLite at startup).
    data = models.TextField()
    updated_at = models.DateTimeField(auto_now=True)

    def __str__(self) -> str:
        return f"ClubOS session {self.key}"
