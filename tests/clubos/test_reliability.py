"""The sync tells the truth under faults: unreadable pages fail the run, killed runs free their lock."""

from __future__ import annotations

import io
import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
from django.core.management import call_command
from django.db import connection, connections
from django.test import Client
from rest_framework.test import APIClient

from clubos.exceptions import ClubOSProtocolError
from clubos.models import StoredSession, SyncControl, SyncRun
from clubos.services import lock, session, sync
from inbox.models import InboxMessage
from tests.fixtures.clock import _traveling, traveled_command
from tests.fixtures.clubos_sandbox import SANDBOX_PASSWORD, SANDBOX_USERNAME
from tests.fixtures.outages import subprocess_database_url

pytestmark = pytest.mark.django_db(transaction=True)

ROOT = Path(__file__).resolve().parents[2]
LIST = "/action/Dashboard/messages"


# --- Unreadable pages ------------------------------------------------------------------------------------


def test_a_garbage_list_is_a_failed_run_with_a_clear_reason_not_a_success(clubos_sandbox):
    clubos_sandbox.garbage_next(LIST, count=10)
    with pytest.raises(ClubOSProtocolError):
        sync.clubos_sync_run()
    run = SyncRun.objects.get()
    assert run.status == "failed"
    assert run.error.startswith("could not read any of the 2 items in the inbox list of ")
    assert run.error.endswith("(unknown layout)")
    control = SyncControl.objects.get()
    assert (control.successes, control.failures, control.consecutive_failures) == (0, 1, 1)
    assert control.last_error == run.error
    assert control.last_success_at is None
    assert not InboxMessage.objects.exists()


def test_a_page_with_no_list_at_all_fails_the_run(clubos_sandbox):
    clubos_sandbox.garbage_next(LIST, count=10, body="<html><body><h1>Down for maintenance</h1></body></html>")
    with pytest.raises(ClubOSProtocolError, match="has no list markup"):
        sync.clubos_sync_run()
    assert SyncRun.objects.get().status == "failed"


def test_a_dashboard_in_an_unknown_layout_fails_the_run(clubos_sandbox):
    sync.clubos_sync_run()  # logged in, dashboard tokens known
    session.clubos_session_reset()
    StoredSession.objects.all().delete()  # a fresh login: the stored session's dashboard is not reused
    from django.core.cache import cache

    cache.clear()  # the owner list is read from the dashboard again
    clubos_sandbox.garbage_next("/action/Dashboard/view", count=10, body="<html><body>New dashboard!</body></html>")
    with pytest.raises(ClubOSProtocolError):
        sync.clubos_sync_run()
    latest = SyncRun.objects.order_by("-pk").first()
    assert latest is not None
    assert latest.status == "failed"


def test_the_command_exits_1_and_says_why(clubos_sandbox):
    clubos_sandbox.garbage_next(LIST, count=10)
    err = io.StringIO()
    with pytest.raises(SystemExit) as exit_info:
        call_command("sync_clubos", stdout=io.StringIO(), stderr=err)
    assert exit_info.value.code == 1
    assert err.getvalue().strip().startswith("sync failed: could not read any of the 2 items in the inbox list of ")


def test_the_api_and_the_page_show_the_failure(clubos_sandbox, staff):
    clubos_sandbox.garbage_next(LIST, count=10)
    with pytest.raises(ClubOSProtocolError):
        sync.clubos_sync_run()
    api = APIClient()
    api.force_authenticate(staff)
    body = api.get("/api/v1/clubos/sync/").json()
    assert body["failed_in_a_row"] == 1
    assert body["recent_runs"][0]["status"] == "failed"
    assert body["recent_runs"][0]["error"].startswith("could not read any of the 2 items")
    assert body["last_error"] == body["recent_runs"][0]["error"]
    client = Client()
    client.force_login(staff)
    page = client.get("/clubos/").content.decode()
    assert 'data-failed-in-a-row="1"' in page
    assert "could not read any of the 2 items" in page


def test_failures_in_a_row_show_staff_a_banner_until_a_run_succeeds(clubos_sandbox, staff, member, settings):
    settings.CLUBOS_FAILURE_BANNER_AFTER = 3
    staff_client, member_client = Client(), Client()
    staff_client.force_login(staff)
    member_client.force_login(member)
    clubos_sandbox.garbage_next(LIST, count=3)
    for attempt in range(1, 4):
        with pytest.raises(ClubOSProtocolError):
            sync.clubos_sync_run()
        banner = "data-sync-warning" in staff_client.get("/inbox/").content.decode()
        assert banner == (attempt >= 3)
    page = staff_client.get("/inbox/").content.decode()
    assert "The ClubOS sync failed 3 times in a row: could not read any of the 2 items" in page
    assert "data-sync-warning" not in member_client.get("/members/").content.decode()
    sync.clubos_sync_run()  # ClubOS is readable again
    assert SyncControl.objects.get().consecutive_failures == 0
    assert "data-sync-warning" not in staff_client.get("/inbox/").content.decode()


# --- The run lock ------------------------------------------------------------------------------------------


def _sync_subprocess(sandbox, *, lock_seconds: float) -> subprocess.Popen[bytes]:
    env = {
        **os.environ,
        "DATABASE_URL": subprocess_database_url(),
        "DJANGO_SETTINGS_MODULE": "config.settings",
        "CLUBOS_BASE_URL": sandbox.url,
        "CLUBOS_USERNAME": SANDBOX_USERNAME,
        "CLUBOS_PASSWORD": SANDBOX_PASSWORD,
        "CLUBOS_SYNC_LOCK_SECONDS": str(lock_seconds),
    }
    env.pop("CLUBROOM_EMBEDDED_SCHEDULER", None)
    return subprocess.Popen(
        # At the suite's clock (--clubroom-now): the lease it writes is compared with this process's clock.
        traveled_command(["manage.py", "sync_clubos"], entry_point="django.core.management:execute_from_command_line")
        if _traveling()
        else [sys.executable, "manage.py", "sync_clubos"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )


def _wait_for_holder(process: subprocess.Popen[bytes], sandbox) -> SyncControl:
    """Until the subprocess holds the lock and hangs in its (delayed) list request."""
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        control = SyncControl.objects.filter(pk=1).first()
        with sandbox.state.lock:
            hanging = all(rule.remaining == 0 for rule in sandbox.state.delay_rules)
        if control is not None and f"(pid {process.pid})" in control.lock_holder and hanging:
            return control
        assert process.poll() is None, "the sync subprocess ended before taking the lock"
        time.sleep(0.05)
    raise AssertionError("the sync subprocess never took the lock")


def test_a_killed_sync_frees_its_lock_at_once_on_postgresql_and_within_the_lease_elsewhere(clubos_sandbox, settings):
    lease = 3.0
    settings.CLUBOS_SYNC_LOCK_SECONDS = lease
    clubos_sandbox.delay(LIST, seconds=60, count=1)  # the subprocess hangs on ClubOS, holding the lock
    process = _sync_subprocess(clubos_sandbox, lock_seconds=lease)
    try:
        control = _wait_for_holder(process, clubos_sandbox)
        with pytest.raises(lock.SyncAlreadyRunning) as busy:
            sync.clubos_sync_run()
        assert str(busy.value).startswith("another sync is running: command on ")
        assert f"(pid {process.pid}), since " in str(busy.value)
        assert busy.value.since == control.locked_since
    finally:
        process.send_signal(signal.SIGKILL)
        process.wait(timeout=10)
    killed_at = time.monotonic()
    result = None
    attempt_started = killed_at
    while result is None and time.monotonic() - killed_at < lease + 5:
        attempt_started = time.monotonic()
        try:
            result = sync.clubos_sync_run()
        except lock.SyncAlreadyRunning:
            assert connection.vendor != "postgresql", "PostgreSQL frees a dead holder's lock at once"
            time.sleep(0.2)
    assert result is not None
    assert result.new > 0
    # The lock was free when the successful attempt began (the run's own length, slow on a loaded
    # machine, is not the lease's business).
    assert attempt_started - killed_at <= lease + 2
    statuses = list(SyncRun.objects.order_by("pk").values_list("status", flat=True))
    assert statuses == ["interrupted", "succeeded"]


def test_a_slow_run_keeps_its_short_lease_alive_with_the_heartbeat(clubos_sandbox, settings):
    settings.CLUBOS_SYNC_LOCK_SECONDS = 0.6
    clubos_sandbox.delay(LIST, seconds=1.6, count=1)  # one request far longer than the lease
    outcomes: list[str] = []

    def first() -> None:
        try:
            outcomes.append(sync.clubos_sync_run().summary_line())
        finally:
            connections.close_all()

    thread = threading.Thread(target=first)
    thread.start()
    deadline = time.monotonic() + 5
    while not lock.sync_is_running() and time.monotonic() < deadline:
        time.sleep(0.02)
    time.sleep(1.0)  # well past the first lease
    with pytest.raises(lock.SyncAlreadyRunning):
        sync.clubos_sync_run()
    thread.join(timeout=30)
    assert len(outcomes) == 1
    assert SyncControl.objects.get().lock_token == ""
