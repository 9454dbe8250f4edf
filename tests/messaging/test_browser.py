"""End to end: a real daphne (subprocess) on the test database, Debian's Chromium through Playwright.

Member B's nav badge goes 0 → 1 when A sends, and back to 0 when B opens the thread in another
tab, without reloading the first page.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest
from django.conf import settings
from django.db import connection
from django.test import Client

from messaging import services
from tests.fixtures.clock import traveled_command
from tests.messaging.factories import make_member

CHROMIUM = "/usr/bin/chromium"
ROOT = Path(__file__).resolve().parents[2]

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _database_url() -> str:
    db = connection.settings_dict
    if connection.vendor == "sqlite":
        return f"sqlite:///{db['NAME']}"
    user = db.get("USER") or "postgres"
    password = f":{db['PASSWORD']}" if db.get("PASSWORD") else ""
    return f"postgres://{user}{password}@{db.get('HOST') or '127.0.0.1'}:{db.get('PORT') or 5432}/{db['NAME']}"


@pytest.fixture
def live_daphne(transactional_db, tmp_path):
    """daphne serving config.asgi on the test database (committed data only: transaction=True)."""
    if connection.vendor == "sqlite" and str(connection.settings_dict["NAME"]).startswith(("file:", ":memory:")):
        pytest.skip("the SQLite test database is in memory; a daphne subprocess cannot share it")
    port = _free_port()
    env = {**os.environ, "DATABASE_URL": _database_url(), "DJANGO_SETTINGS_MODULE": "config.settings"}
    env.pop("CLUBROOM_EMBEDDED_SCHEDULER", None)
    log = (tmp_path / "daphne.log").open("wb")
    daphne = Path(sys.executable).parent / "daphne"
    # At the suite's clock (--clubroom-now): sessions and timestamps written here must be valid there too.
    command = traveled_command(
        [str(daphne), "-b", "127.0.0.1", "-p", str(port), "config.asgi:application"],
        entry_point="daphne.cli:CommandLineInterface.entrypoint",
    )
    process = subprocess.Popen(
        command,
        cwd=ROOT,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        if process.poll() is not None:
            pytest.fail(f"daphne exited: {(tmp_path / 'daphne.log').read_text()[-2000:]}")
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
            break
        except OSError:
            time.sleep(0.1)
    else:
        process.kill()
        pytest.fail("daphne did not start listening within 20 s")
    yield f"http://127.0.0.1:{port}"
    process.terminate()
    try:
        process.wait(timeout=5)
    except subprocess.TimeoutExpired:
        process.kill()
    log.close()


@pytest.fixture
def chromium():
    if not os.path.exists(CHROMIUM):
        pytest.skip(f"Debian's chromium is not installed at {CHROMIUM} (apt-get install chromium)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM,
            headless=True,
            args=[
                "--no-sandbox",
                "--disable-gpu",
                "--disable-background-networking",
                "--disable-component-update",
                "--no-first-run",
            ],
        )
        yield browser
        browser.close()


def _session_cookie(user) -> str:
    client = Client()
    client.force_login(user)
    return client.cookies[settings.SESSION_COOKIE_NAME].value


def _signed_in_context(browser, base_url: str, session_key: str):
    context = browser.new_context(base_url=base_url)
    context.add_cookies([{"name": settings.SESSION_COOKIE_NAME, "value": session_key, "url": base_url}])
    return context


@pytest.fixture
def pair(live_daphne):
    """Everything touching the database happens before Playwright starts: its event loop would refuse
    the services' after-commit pushes, and its greenlets would open (and leak) another connection."""
    services.messaging_set_enabled(actor=None, enabled=True)
    alice = make_member(display_name="Alice Sender")
    bob = make_member(display_name="Bob Reader")
    thread, _ = services.thread_start(initiator=alice, recipient=bob)
    return thread, _session_cookie(alice), _session_cookie(bob)


def test_badge_goes_up_when_a_sends_and_down_when_b_reads_without_reload(live_daphne, pair, chromium):
    from playwright.sync_api import expect

    thread, alice_session, bob_session = pair

    bob_context = _signed_in_context(chromium, live_daphne, bob_session)
    alice_context = _signed_in_context(chromium, live_daphne, alice_session)
    try:
        bob_page = bob_context.new_page()
        bob_page.goto("/members/")
        badge = bob_page.locator('[data-badge="messages"]')
        expect(badge).to_have_text("0")
        bob_page.evaluate("window.__notReloaded = true")
        expect(bob_page.locator("body")).to_have_attribute("data-notifications-state", "open")
        expect(bob_page.locator("[data-connection]")).to_be_hidden()

        alice_page = alice_context.new_page()
        alice_page.goto(f"/messages/{thread.pk}/")
        alice_page.fill("textarea[name=body]", "Hi Bob <b>not bold</b>")
        alice_page.click("form[data-reply-form] button[type=submit]")
        expect(alice_page.locator(".dm-message.is-mine .message-body")).to_have_text("Hi Bob <b>not bold</b>")

        expect(badge).to_have_text("1", timeout=10_000)

        thread_tab = bob_context.new_page()
        thread_tab.goto(f"/messages/{thread.pk}/")
        expect(thread_tab.locator(".message-body").last).to_have_text("Hi Bob <b>not bold</b>")

        expect(badge).to_have_text("0", timeout=10_000)
        assert bob_page.evaluate("window.__notReloaded") is True
    finally:
        alice_context.close()
        bob_context.close()
