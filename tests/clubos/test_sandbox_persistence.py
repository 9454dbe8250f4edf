"""The sandbox keeps its club in a file (var/ by default) across restarts, so it keeps agreeing with
Clubroom's database; `clubos_sandbox inject` finds the sandbox `make run` started without `--url`."""

from __future__ import annotations

import io
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from accounts import demo
from clubos.app_settings import app_settings
from clubos.sandbox import SandboxServer
from tests.fixtures.clubos_sandbox import SANDBOX_PASSWORD, SANDBOX_USERNAME

ROOT = Path(__file__).resolve().parents[2]
DANA = demo.MEMBERS[0]
CLUB = demo.CLUB_LOCATION_ID


def _server(state_file: Path, **kwargs) -> SandboxServer:
    return SandboxServer(username=SANDBOX_USERNAME, password=SANDBOX_PASSWORD, state_file=state_file, **kwargs)


def _sync(settings, url: str) -> str:
    settings.CLUBOS_BASE_URL = url
    settings.CLUBOS_USERNAME, settings.CLUBOS_PASSWORD = SANDBOX_USERNAME, SANDBOX_PASSWORD
    out = io.StringIO()
    call_command("sync_clubos", stdout=out, stderr=io.StringIO())
    return out.getvalue().splitlines()[-1]


@pytest.mark.django_db(transaction=True)
def test_a_restarted_sandbox_serves_the_same_club_so_a_sync_finds_nothing_new(settings, tmp_path):
    from clubos.services import session

    state_file = tmp_path / "clubos-sandbox.json"
    with _server(state_file) as first:
        injected = first.inject(member_id=DANA.clubos_id, text="Kept across a restart")
        first.set_dnc(DANA.clubos_id)
        listed = first.listed()
        assert _sync(settings, first.url).startswith(f"sync: fetched={listed} new={listed} ")
        ids_before = first.list_ids(CLUB)
    session.clubos_session_reset()

    with _server(state_file) as second:
        assert second.restored
        assert second.list_ids(CLUB) == ids_before
        assert second.member_profile(DANA.clubos_id)
        assert second.state.people[DANA.clubos_id].dnc_status == "DNC"
        # Everything Clubroom holds is still in ClubOS: nothing new, nothing missing.
        assert _sync(settings, second.url) == f"sync: fetched={listed} new=0 duplicates={listed} skipped=0 errors=0"
        # Ids go on from where the first run stopped, never reusing one Clubroom already has.
        assert second.inject(member_id=DANA.clubos_id, text="after") == injected + 1


def test_changes_reach_the_file_within_a_second_and_fresh_starts_over(tmp_path):
    state_file = tmp_path / "clubos-sandbox.json"
    with _server(state_file) as server:
        seeded = server.list_ids(CLUB)
        message_id = server.inject(member_id=DANA.clubos_id, text="soon on disk")
        deadline = time.monotonic() + 2
        while time.monotonic() < deadline:
            saved = json.loads(state_file.read_text())
            if any(m["id"] == message_id for m in saved["lists"][str(CLUB)]):
                break
            time.sleep(0.05)
        else:
            pytest.fail("the injected message was not saved within 2 s")
    with _server(state_file, fresh=True) as fresh:
        assert not fresh.restored
        assert fresh.list_ids(CLUB) == seeded


def test_a_damaged_state_file_starts_the_demo_club_with_one_warning(tmp_path, caplog):
    state_file = tmp_path / "clubos-sandbox.json"
    state_file.write_text('{"format": 1, "people": [')
    with _server(state_file) as server:
        assert not server.restored
        assert server.list_ids(CLUB)  # the seeded inbox
    [warning] = [r for r in caplog.records if r.levelname == "WARNING"]
    assert "ignoring the saved state" in warning.getMessage()
    assert json.loads(state_file.read_text())["format"] == 1  # rewritten whole on stop


def _serve(port: int, sandbox_dir: Path) -> subprocess.Popen[str]:
    env = {**os.environ, "CLUBOS_SANDBOX_DIR": str(sandbox_dir)}
    process = subprocess.Popen(
        [sys.executable, "manage.py", "clubos_sandbox", "--port", str(port)],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    assert process.stdout is not None
    assert f"ClubOS sandbox on http://127.0.0.1:{port}/" in process.stdout.readline()
    return process


def test_inject_finds_the_running_sandbox_without_url_and_sigterm_keeps_the_club(settings, unused_tcp_port_factory):
    sandbox_dir = Path(settings.CLUBOS_SANDBOX_DIR)
    first_port, second_port, nothing_there = (unused_tcp_port_factory() for _ in range(3))
    settings.CLUBOS_BASE_URL = f"http://127.0.0.1:{nothing_there}"  # not where the sandbox is

    process = _serve(first_port, sandbox_dir)
    try:
        assert app_settings.SANDBOX_URL_FILE.read_text().strip() == f"http://127.0.0.1:{first_port}"
        out = io.StringIO()
        call_command("clubos_sandbox", "inject", "--member", str(DANA.clubos_id), "--text", "no --url", stdout=out)
        message_id = int(out.getvalue().split()[1])
    finally:
        process.send_signal(signal.SIGTERM)  # what `make run` sends on Ctrl-C
        process.wait(timeout=10)
    assert process.returncode == 0
    assert not app_settings.SANDBOX_URL_FILE.exists()
    with pytest.raises(CommandError, match="no ClubOS sandbox answering"):
        call_command("clubos_sandbox", "inject", "--member", str(DANA.clubos_id), "--text", "x")

    process = _serve(second_port, sandbox_dir)
    try:
        assert "restored from" in process.stdout.readline() + process.stdout.readline()  # type: ignore[union-attr]
        listed = httpx.post(
            f"http://127.0.0.1:{second_port}/__sandbox__/control", json={"action": "list_ids", "owner_id": CLUB}
        ).json()["result"]
        assert listed[0] == message_id
    finally:
        process.send_signal(signal.SIGINT)
        process.wait(timeout=10)


def test_the_control_page_wears_clubrooms_stylesheet(clubos_sandbox):
    page = httpx.get(f"{clubos_sandbox.url}/__sandbox__/")
    assert '<link rel="stylesheet" href="/__sandbox__/site.css">' in page.text
    assert '<header class="site-header">' in page.text
    css = httpx.get(f"{clubos_sandbox.url}/__sandbox__/site.css")
    assert css.headers["content-type"].startswith("text/css")
    assert css.text == (ROOT / "static" / "css" / "site.css").read_text()
