"""End to end in Chromium: what every signed-in page does (base.html + static/js/notifications.js).

The tab title carries the unread count live, an opted-in browser shows a notification for a new message
only while the tab is hidden, zero badges are hidden, and at 390 px the navigation folds into a menu.
Messages are sent through daphne's API (token auth), so the push starts in the server the browser watches.
"""

from __future__ import annotations

import pytest
from rest_framework.authtoken.models import Token

from messaging import services
from tests.fixtures.browser import session_cookie, signed_in_context
from tests.messaging.factories import make_member

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

# Stands in for the browser's Notification API: permission starts "default", asking grants it, and every
# notification shown is recorded; `window.__hidden` plays the tab's visibility.
NOTIFICATION_STUB = """
window.__shown = [];
window.__hidden = true;
Object.defineProperty(document, "hidden", { configurable: true, get: function () { return window.__hidden; } });
function FakeNotification(title, options) {
  window.__shown.push({ title: title, body: options.body, tag: options.tag });
  this.addEventListener = function () {};
  this.close = function () {};
}
FakeNotification.permission = sessionStorage.getItem("fake-permission") || "default";  // kept like a browser
FakeNotification.requestPermission = function () {
  FakeNotification.permission = "granted";
  sessionStorage.setItem("fake-permission", "granted");
  return Promise.resolve("granted");
};
window.Notification = FakeNotification;
"""


@pytest.fixture
def members(live_daphne):
    """Alice (an API token) writes to Bob (a browser session); DMs on. All before Playwright starts."""
    services.messaging_set_enabled(actor=None, enabled=True)
    alice = make_member(display_name="Alice Sender")
    bob = make_member(display_name="Bob Reader")
    thread, _ = services.thread_start(initiator=alice, recipient=bob)
    return thread, Token.objects.create(user=alice).key, session_cookie(bob)


def _send(chromium_request, base_url: str, token: str, thread_id: int, body: str) -> None:
    response = chromium_request.post(
        f"{base_url}/api/v1/messaging/threads/{thread_id}/messages/",
        data={"body": body},
        headers={"Authorization": f"Token {token}"},
    )
    assert response.status == 201, response.text()


def test_tab_title_counts_unread_live_and_clears_when_read(live_daphne, members, chromium):
    from playwright.sync_api import expect

    thread, alice_token, bob_session = members
    context = signed_in_context(chromium, live_daphne, bob_session)
    try:
        page = context.new_page()
        page.goto("/members/")
        expect(page).to_have_title("Members · Clubroom")
        expect(page.locator("body")).to_have_attribute("data-notifications-state", "open")
        badge = page.locator('[data-badge="messages"]')
        expect(badge).to_be_hidden()  # zero badges are not shown

        _send(context.request, live_daphne, alice_token, thread.pk, "one")
        expect(page).to_have_title("(1) Members · Clubroom", timeout=10_000)
        expect(badge).to_be_visible()
        expect(badge).to_have_text("1")
        _send(context.request, live_daphne, alice_token, thread.pk, "two")
        expect(page).to_have_title("(2) Members · Clubroom", timeout=10_000)

        # A fresh page load already has the count (server-rendered), before any socket frame.
        other = context.new_page()
        other.route("**/ws/notifications/", lambda route: route.abort())
        other.goto("/messages/")
        expect(other).to_have_title("(2) Messages · Clubroom")
        other.close()

        reader = context.new_page()
        reader.goto(f"/messages/{thread.pk}/")  # reading the thread clears the count everywhere
        expect(page).to_have_title("Members · Clubroom", timeout=10_000)
        expect(badge).to_be_hidden()
    finally:
        context.close()


def test_an_opted_in_hidden_tab_shows_one_notification_per_new_message_and_a_visible_tab_none(
    live_daphne, members, chromium
):
    from playwright.sync_api import expect

    thread, alice_token, bob_session = members
    context = signed_in_context(chromium, live_daphne, bob_session)
    context.add_init_script(NOTIFICATION_STUB)
    try:
        page = context.new_page()
        page.goto("/members/")
        expect(page.locator("body")).to_have_attribute("data-notifications-state", "open")

        # Not opted in: nothing, even hidden.
        _send(context.request, live_daphne, alice_token, thread.pk, "before opting in")
        expect(page).to_have_title("(1) Members · Clubroom", timeout=10_000)
        assert page.evaluate("window.__shown") == []

        page.click(".account-menu summary")
        toggle = page.locator("[data-notify-toggle]")
        expect(toggle).to_have_text("Browser notifications: off")
        toggle.click()
        expect(toggle).to_have_text("Browser notifications: on")

        _send(context.request, live_daphne, alice_token, thread.pk, "while hidden")
        expect(page).to_have_title("(2) Members · Clubroom", timeout=10_000)
        page.wait_for_function("window.__shown.length === 1")
        assert page.evaluate("window.__shown") == [
            {"title": "New message on Clubroom", "body": "You have 2 unread messages.", "tag": "clubroom-messages"}
        ]

        page.evaluate("window.__hidden = false")
        _send(context.request, live_daphne, alice_token, thread.pk, "while looking")
        expect(page).to_have_title("(3) Members · Clubroom", timeout=10_000)
        assert len(page.evaluate("window.__shown")) == 1

        # The choice survives a reload (this browser's storage) and can be turned off again.
        page.reload()
        page.click(".account-menu summary")
        expect(toggle).to_have_text("Browser notifications: on")
        toggle.click()
        expect(toggle).to_have_text("Browser notifications: off")
    finally:
        context.close()


def test_at_390_px_the_navigation_folds_into_a_menu(live_daphne, members, chromium):
    from playwright.sync_api import expect

    _, _, bob_session = members
    context = signed_in_context(chromium, live_daphne, bob_session, viewport={"width": 390, "height": 844})
    try:
        page = context.new_page()
        page.goto("/members/")
        links = page.locator(".nav-links")
        toggle = page.locator(".nav-toggle")
        expect(toggle).to_be_visible()
        expect(toggle).to_have_attribute("aria-expanded", "false")
        expect(links).to_be_hidden()
        header = page.locator(".site-header").bounding_box()
        assert header is not None
        assert header["height"] < 70, header

        toggle.click()
        expect(toggle).to_have_attribute("aria-expanded", "true")
        expect(page.get_by_role("link", name="Messages")).to_be_visible()
        page.keyboard.press("Escape")
        expect(links).to_be_hidden()
        expect(toggle).to_be_focused()

        wide = context.new_page()
        wide.set_viewport_size({"width": 1024, "height": 768})
        wide.goto("/members/")
        expect(wide.locator(".nav-toggle")).to_be_hidden()
        expect(wide.locator(".nav-links")).to_be_visible()
    finally:
        context.close()
