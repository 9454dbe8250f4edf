"""One sync run at a time, and a killed run's lock freed quickly.

PostgreSQL: a session advisory lock on the run's connection decides who runs; a killed run's
connection closes and the next run starts at once. Everywhere: a short lease on the SyncControl row
(CLUBOS_SYNC_LOCK_SECONDS), taken with one conditional UPDATE and renewed by a heartbeat thread (so
one slow ClubOS request cannot outlast it), free within that lease after the holder dies. The row
also names the holder and since when, for whoever finds the sync busy.
"""

from __future__ import annotations

import logging
import os
import socket
import threading
import uuid
from datetime import UTC, datetime, timedelta

from django.db import connection, connections
from django.db.models import Q
from django.utils import timezone

from ..app_settings import app_settings
from ..models import SyncControl
from ..selectors import ADVISORY_LOCK_KEY, sync_lock_held
from .runs import sync_control_get

logger = logging.getLogger(__name__)


class SyncAlreadyRunning(Exception):
    """Another process holds the sync lock; this run did nothing. Names the holder and since when."""

    def __init__(self, holder: str = "", since: datetime | None = None) -> None:
        super().__init__(holder, since)
        self.holder, self.since = holder, since

    def __str__(self) -> str:
        if not self.holder:
            return "another sync is running"
        since = f", since {self.since.astimezone(UTC):%Y-%m-%d %H:%M:%S} UTC" if self.since else ""
        return f"another sync is running: {self.holder}{since}"


class SyncLockLost(SyncAlreadyRunning):
    """This run stalled past its lease and another run took over; it stopped (its open batch rolled back)."""

    def __str__(self) -> str:
        return "the sync lock expired and another run took over"


def _uses_advisory_lock() -> bool:
    return connection.vendor == "postgresql"


def _holder_name(trigger: str) -> str:
    return f"{trigger} on {socket.gethostname()} (pid {os.getpid()})"[:200]


def _busy() -> SyncAlreadyRunning:
    row = SyncControl.objects.filter(pk=SyncControl.SINGLETON_PK).only("lock_holder", "locked_since").first()
    if row is None:
        return SyncAlreadyRunning()
    return SyncAlreadyRunning(holder=row.lock_holder, since=row.locked_since)


class RunLock:
    """One run's hold on the sync: acquire() or SyncAlreadyRunning, release() in a finally."""

    def __init__(self, trigger: str) -> None:
        self.token = uuid.uuid4().hex
        self.holder = _holder_name(trigger)
        self.advisory = False
        self._stop = threading.Event()
        self._heartbeat: threading.Thread | None = None

    def acquire(self) -> None:
        sync_control_get()
        now = timezone.now()
        taken = SyncControl.objects.filter(pk=SyncControl.SINGLETON_PK)
        if _uses_advisory_lock():
            with connection.cursor() as cursor:
                cursor.execute("SELECT pg_try_advisory_lock(%s, %s)", ADVISORY_LOCK_KEY)
                if not cursor.fetchone()[0]:
                    raise _busy()
            self.advisory = True
        else:
            taken = taken.filter(Q(lock_token="") | Q(locked_until__isnull=True) | Q(locked_until__lt=now))
        fields = {"lock_token": self.token, "lock_holder": self.holder, "locked_since": now}
        if not taken.update(locked_until=now + timedelta(seconds=app_settings.SYNC_LOCK_SECONDS), **fields):
            raise _busy()
        if not self.advisory:
            self._heartbeat = threading.Thread(target=self._beat, name="clubos-sync-lock-heartbeat", daemon=True)
            self._heartbeat.start()

    def _beat(self) -> None:
        interval = max(0.05, app_settings.SYNC_LOCK_SECONDS / 3)
        try:
            while not self._stop.wait(interval):
                try:
                    lock_renew(self.token)
                except SyncLockLost:
                    return
                except Exception:  # a busy database this beat; the next beat tries again
                    logger.warning("renewing the sync lock failed", exc_info=True)
        finally:
            connections.close_all()  # this thread's own connection

    def release(self) -> None:
        self._stop.set()
        if self._heartbeat is not None:
            self._heartbeat.join(timeout=5)
        SyncControl.objects.filter(pk=SyncControl.SINGLETON_PK, lock_token=self.token).update(
            lock_token="", locked_until=None, lock_holder="", locked_since=None
        )
        if self.advisory:
            with connection.cursor() as cursor:
                cursor.execute("SELECT pg_advisory_unlock(%s, %s)", ADVISORY_LOCK_KEY)


def lock_renew(token: str) -> None:
    until = timezone.now() + timedelta(seconds=app_settings.SYNC_LOCK_SECONDS)
    if not SyncControl.objects.filter(pk=SyncControl.SINGLETON_PK, lock_token=token).update(locked_until=until):
        raise SyncLockLost


def sync_is_running() -> bool:
    return sync_lock_held()
