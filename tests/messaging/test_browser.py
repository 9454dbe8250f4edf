"""End to end: a real daphne (subprocess) on the test database, Debian's Chromium through Playwright.

Member B's nav badge goes 0 → 1 when A sends, and back to 0 when B opens the thread in another
tab, without reloading the first page.
"""

from __future__ import annotations

import pytest

from messaging import services
from tests.fixtures.browser import session_cookie as _session_cookie
from tests.fixtures.browser import signed_in_context as _signed_in_context
from tests.messaging.factories import make_member

# daphne on the test database and Debian's Chromium: the shared fixtures in tests/fixtures/browser.py.
pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


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
