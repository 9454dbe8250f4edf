"""One sync run at a time: a lease lock on the SyncControl row, renewed as the run progresses."""

from __future__ import annotations

from datetime import timedelta

from django.db.models import Q
from django.utils import timezone

from ..app_settings import app_settings
from ..models import SyncControl
from .runs import sync_control_get


class SyncAlreadyRunning(Exception):
    """Another process holds the sync lock; this run did nothing."""

    def __str__(self) -> str:
        return "another sync is running"


class SyncLockLost(SyncAlreadyRunning):
    """This run stalled past its lease and another run took over; it stopped (its open batch rolled back)."""

    def __str__(self) -> str:
        return "the sync lock expired and another run took over"


def lock_acquire(token: str) -> bool:
    sync_control_get()
    now = timezone.now()
    taken = (
        SyncControl.objects.filter(pk=SyncControl.SINGLETON_PK)
        .filter(Q(lock_token="") | Q(locked_until__isnull=True) | Q(locked_until__lt=now))
        .update(lock_token=token, locked_until=now + timedelta(seconds=app_settings.SYNC_LOCK_SECONDS))
    )
    return taken == 1


def lock_renew(token: str) -> None:
    until = timezone.now() + timedelta(seconds=app_settings.SYNC_LOCK_SECONDS)
    if not SyncControl.objects.filter(pk=SyncControl.SINGLETON_PK, lock_token=token).update(locked_until=until):
        raise SyncLockLost


def lock_release(token: str) -> None:
    SyncControl.objects.filter(pk=SyncControl.SINGLETON_PK, lock_token=token).update(lock_token="", locked_until=None)


def sync_is_running() -> bool:
    return (
        SyncControl.objects.filter(pk=SyncControl.SINGLETON_PK, locked_until__gt=timezone.now())
        .exclude(lock_token="")
        .exists()
    )
