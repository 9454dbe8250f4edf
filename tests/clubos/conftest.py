from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta

import pytest
from django.db import connection
from django.utils import timezone

from clubos.models import SyncControl
from clubos.selectors import ADVISORY_LOCK_KEY
from clubos.services import session


@pytest.fixture(autouse=True)
def _sandbox_files_in_tmp(settings, tmp_path):
    """The sandbox command's saved club and URL file live in the test's tmp dir, never the checkout's var/."""
    settings.CLUBOS_SANDBOX_DIR = str(tmp_path / "sandbox")


@pytest.fixture(autouse=True)
def _fast_retries_and_a_fresh_session(settings):
    """Retries back off for hundredths of a second, and no test inherits another's ClubOS session."""
    settings.CLUBOS_SYNC_RETRY_BACKOFF = 0.01
    settings.CLUBOS_SEND_RETRY_BACKOFF = 0.01
    yield
    session.clubos_session_reset()


HOLDER = "beat on worker-7 (pid 4242)"


@contextmanager
def sync_lock_held_elsewhere(*, lease_seconds: float = 60.0) -> Iterator[None]:
    """Another process holds the sync lock: its row (holder, since, lease) and, on PostgreSQL, the
    advisory lock on a connection of its own (closed at the end, as when that process dies)."""
    now = timezone.now()
    SyncControl.objects.update_or_create(
        pk=1,
        defaults={
            "lock_token": "other",
            "lock_holder": HOLDER,
            "locked_since": now - timedelta(seconds=5),
            "locked_until": now + timedelta(seconds=lease_seconds),
        },
    )
    other = None
    if connection.vendor == "postgresql":
        other = connection.get_new_connection(connection.get_connection_params())
        other.autocommit = True
        other.execute("SELECT pg_advisory_lock(%s, %s)", ADVISORY_LOCK_KEY)
    try:
        yield
    finally:
        if other is not None:
            other.close()


@pytest.fixture
def lock_held_elsewhere(db) -> Iterator[None]:
    with sync_lock_held_elsewhere():
        yield
