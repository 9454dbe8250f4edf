"""End to end: when heartbeats stop on an open socket (the server froze, a proxy or Redis lost it), the
browser gives the socket up, reconnects with backoff and jitter, and its badge is re-read from the
database, without a reload. A real daphne (subprocess, SIGSTOPped then SIGCONTinued) and Chromium."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

from messaging import services
from tests.fixtures.browser import _database_url, _free_port
from tests.fixtures.browser import session_cookie as _session_cookie
from tests.fixtures.browser import signed_in_context as _signed_in_context
from tests.fixtures.clock import traveled_command
from tests.messaging.factories import make_member

ROOT = Path(__file__).resolve().parents[2]

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def frozen_daphne(transactional_db, tmp_path):
    """daphne on the test database with a 1 s heartbeat; yields (url, process) so a test can freeze it."""
    port = _free_port()
    env = {
        **os.environ,
        "DATABASE_URL": _database_url(),
        "DJANGO_SETTINGS_MODULE": "config.settings",
        "REALTIME_HEARTBEAT_SECONDS": "1",
    }
    env.pop("CLUBROOM_EMBEDDED_SCHEDULER", None)
    log = (tmp_path / "daphne.log").open("wb")
    process = subprocess.Popen(
        traveled_command(  # at the suite's clock (--clubroom-now), so the test's sessions are valid there
            [
                str(Path(sys.executable).parent / "daphne"),
                "-b",
                "127.0.0.1",
                "-p",
                str(port),
                "config.asgi:application",
            ],
            entry_point="daphne.cli:CommandLineInterface.entrypoint",
        ),
        cwd=ROOT,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
            break
        except OSError:
            time.sleep(0.1)
    yield f"http://127.0.0.1:{port}", process
    process.send_signal(signal.SIGCONT)
    process.terminate()
    try:
        process.wait(timeout=5)
    except subprocess.TimeoutExpired:
        process.kill()
    log.close()


@pytest.fixture
def alice_to_bob(frozen_daphne):
    """Database work before Playwright starts (its event loop would refuse the after-commit pushes)."""
    services.messaging_set_enabled(actor=None, enabled=True)
    alice, bob = make_member(display_name="Alice Sender"), make_member(display_name="Bob Reader")
    thread, _ = services.thread_start(initiator=alice, recipient=bob)
    return alice.pk, thread.pk, _session_cookie(bob)


def test_a_silent_socket_is_dropped_and_reconnected_and_the_badge_resynced(frozen_daphne, alice_to_bob, chromium):
    from playwright.sync_api import expect

    base_url, daphne = frozen_daphne
    alice_pk, thread_pk, bob_session = alice_to_bob

    context = _signed_in_context(chromium, base_url, bob_session)
    try:
        page = context.new_page()
        page.goto("/members/")
        body, badge = page.locator("body"), page.locator('[data-badge="messages"]')
        expect(body).to_have_attribute("data-notifications-state", "open")
        expect(badge).to_have_text("0")
        page.evaluate("window.__notReloaded = true")
        expect(body).to_have_attribute("data-notifications-heartbeat", "1", timeout=5_000)

        daphne.send_signal(signal.SIGSTOP)  # the socket stays open, but nothing comes through it
        expect(body).to_have_attribute("data-notifications-state", "reconnecting", timeout=8_000)
        # Meanwhile Alice's message lands in the database (written by another process: this one's
        # Playwright loop must not run Django's after-commit pushes).
        send = (
            "from messaging import services; from accounts.models import User; services.message_send("
            f"sender=User.objects.get(pk={alice_pk}), thread_id={thread_pk}, body='while away')"
        )
        env = {**os.environ, "DATABASE_URL": _database_url()}
        subprocess.run(
            [sys.executable, "manage.py", "shell", "-c", send], cwd=ROOT, env=env, check=True, capture_output=True
        )
        daphne.send_signal(signal.SIGCONT)

        expect(body).to_have_attribute("data-notifications-state", "open", timeout=20_000)
        expect(badge).to_have_text("1", timeout=10_000)
        assert page.evaluate("window.__notReloaded") is True
    finally:
        context.close()
