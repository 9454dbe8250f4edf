"""`manage.py sync_clubos` against the sandbox."""

from __future__ import annotations

import io
from datetime import UTC

import pytest
from django.core.management import call_command

from clubos.models import SyncControl
from clubos.sandbox import SYNC_ACCOUNT_ID
from tests.clubos.conftest import HOLDER

pytestmark = pytest.mark.django_db(transaction=True)


class _Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def _run(*args: str, stderr: io.StringIO | None = None) -> tuple[str, str]:
    out, err = io.StringIO(), stderr or io.StringIO()
    call_command("sync_clubos", *args, stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


def test_one_run_ends_with_the_summary_line_and_a_second_finds_nothing_new(clubos_sandbox):
    seeded = len(clubos_sandbox.list_ids(1512)) + len(clubos_sandbox.list_ids(SYNC_ACCOUNT_ID))
    out, err = _run()
    assert out.splitlines()[-1] == f"sync: fetched={seeded} new={seeded} duplicates=0 skipped=0 errors=0"
    assert err == ""  # no progress when stderr is not a terminal
    out, _ = _run()
    assert out.splitlines()[-1] == f"sync: fetched={seeded} new=0 duplicates={seeded} skipped=0 errors=0"


def test_progress_is_shown_on_a_terminal(clubos_sandbox):
    seeded = len(clubos_sandbox.list_ids(1512)) + len(clubos_sandbox.list_ids(SYNC_ACCOUNT_ID))
    terminal = _Terminal()
    out, _ = _run(stderr=terminal)
    last = terminal.getvalue().rsplit("\r", 1)[-1]
    assert last.startswith("syncing: members ")
    assert f"messages {seeded}/{seeded}" in last
    assert out.splitlines()[-1].startswith("sync: fetched=")


def test_wrong_password_exits_non_zero_with_one_clear_line(clubos_sandbox, settings):
    settings.CLUBOS_PASSWORD = "wrong"
    err = io.StringIO()
    with pytest.raises(SystemExit) as exit_info:
        _run(stderr=err)
    assert exit_info.value.code == 1
    assert err.getvalue().strip() == "sync failed: ClubOS rejected the username or password"


def test_unreachable_clubos_exits_non_zero(settings, unused_tcp_port):
    settings.CLUBOS_BASE_URL = f"http://127.0.0.1:{unused_tcp_port}"
    settings.CLUBOS_CONNECT_TIMEOUT = 0.5
    settings.CLUBOS_SYNC_RETRIES = 0
    err = io.StringIO()
    with pytest.raises(SystemExit) as exit_info:
        _run(stderr=err)
    assert exit_info.value.code == 1
    [line] = err.getvalue().strip().splitlines()
    assert line.startswith("sync failed: ClubOS could not be reached: ")


def test_a_run_while_another_holds_the_lock_names_the_holder_and_exits_2(clubos_sandbox, lock_held_elsewhere):
    out = io.StringIO()
    with pytest.raises(SystemExit) as exit_info:
        call_command("sync_clubos", stdout=out, stderr=io.StringIO())
    assert exit_info.value.code == 2
    since = SyncControl.objects.get().locked_since
    assert since is not None
    assert out.getvalue().strip() == (
        f"sync skipped: another sync is running: {HOLDER}, since {since.astimezone(UTC):%Y-%m-%d %H:%M:%S} UTC"
    )
    assert not clubos_sandbox.requests()


def test_loop_repeats_every_poll_interval_until_interrupted(clubos_sandbox, settings, monkeypatch):
    settings.CLUBOS_POLL_SECONDS = 7
    sleeps: list[float] = []

    def fake_sleep(seconds: float) -> None:
        sleeps.append(seconds)
        if len(sleeps) == 1:
            clubos_sandbox.inject(member_id=61_000_100, text="during the loop")
        else:
            raise KeyboardInterrupt

    monkeypatch.setattr("clubos.management.commands.sync_clubos.time.sleep", fake_sleep)
    out, err = _run("--loop")
    lines = out.splitlines()
    assert len(lines) == 2
    listed = clubos_sandbox.listed()
    assert lines[1] == f"sync: fetched={listed} new=1 duplicates={listed - 1} skipped=0 errors=0"
    assert 0 < sleeps[0] <= 7
    assert err.strip().endswith("stopped")


def test_an_invalid_clubos_address_is_one_clear_line(settings):
    settings.CLUBOS_BASE_URL = "http://256.1.1.1"
    err = io.StringIO()
    with pytest.raises(SystemExit) as exit_info:
        _run(stderr=err)
    assert exit_info.value.code == 1
    [line] = err.getvalue().strip().splitlines()
    assert line.startswith("sync failed: ")
    assert "not a valid URL" in line
