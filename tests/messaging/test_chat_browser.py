"""The conversation page in a real browser (Debian's Chromium, a real daphne; SQLite or PostgreSQL):
opens at the newest message and keeps its place while older ones load, day labels and one local time
format, Enter to send, over-limit refusal, "Seen" live, edit and delete live, and the composer
switching off with direct messaging (and the Messages link coming back live)."""

from __future__ import annotations

import os
import re
from datetime import timedelta

import pytest
from django.utils import timezone

from messaging import services
from messaging.models import Message, Thread
from tests.fixtures.browser import CHROMIUM
from tests.fixtures.browser import session_cookie as _session_cookie
from tests.messaging.factories import make_member


@pytest.fixture
def launch():
    """Chromium, started when called: a test does all its database work first, because once Playwright's
    event loop runs in this thread, on-commit pushes are refused and its greenlets leak a connection."""
    if not os.path.exists(CHROMIUM):
        pytest.skip(f"Debian's chromium is not installed at {CHROMIUM} (apt-get install chromium)")
    started: list = []

    def start():
        from playwright.sync_api import sync_playwright

        playwright = sync_playwright().start()
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM,
            headless=True,
            args=["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--no-first-run"],
        )
        started.extend([playwright, browser])
        return browser

    yield start
    if started:
        playwright, browser = started
        browser.close()
        playwright.stop()


pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

# Far from the server's America/Chicago, so a time formatted on the server would show up as wrong.
BROWSER_TZ = "Asia/Tokyo"
LOCAL_TIME_JS = "iso => new Date(iso).toLocaleTimeString([], {hour: 'numeric', minute: '2-digit'})"


def _context(browser, base_url, session):
    context = browser.new_context(base_url=base_url, timezone_id=BROWSER_TZ, viewport={"width": 1100, "height": 800})
    context.add_cookies([{"name": "sessionid", "value": session, "url": base_url}])
    return context


@pytest.fixture
def people(live_daphne):
    """All database work happens before Playwright starts (see tests/messaging/test_browser.py)."""
    services.messaging_set_enabled(actor=None, enabled=True)
    alice = make_member(display_name="Alice Sender")
    bob = make_member(display_name="Bob Reader")
    thread, _ = services.thread_start(initiator=alice, recipient=bob)
    return {"thread": thread, "alice": alice, "bob": bob}


def _bulk_messages(thread, senders, count: int, text: str) -> None:
    """Stored rows (no pushes, no rate limit): history that existed before the page opened."""
    Message.objects.bulk_create(
        [Message(thread=thread, sender=senders[n % len(senders)], body=text.format(n=n)) for n in range(count)]
    )
    Thread.objects.filter(pk=thread.pk).update(last_message=Message.objects.filter(thread=thread).last())


def _sessions(people):
    return _session_cookie(people["alice"]), _session_cookie(people["bob"])


def test_opens_at_the_newest_keeps_place_loading_older_with_day_labels_and_local_times(live_daphne, people, launch):
    thread, alice, bob = people["thread"], people["alice"], people["bob"]
    _bulk_messages(thread, [bob, alice], 70, "message {n}\nline two")
    # The oldest 30 were sent yesterday, the rest today (in the browser's time zone, whatever the server's).
    oldest = list(Message.objects.order_by("id").values_list("id", flat=True)[:30])
    Message.objects.filter(id__in=oldest).update(created_at=timezone.now() - timedelta(days=1))
    alice_session, _ = _sessions(people)
    chromium = launch()  # after every database write of this test
    context = _context(chromium, live_daphne, alice_session)
    from playwright.sync_api import expect

    try:
        page = context.new_page()
        page.goto(f"/messages/{thread.pk}/")
        expect(page.locator("[data-thread-socket]")).to_have_attribute("data-ready", "1")
        scroller = page.locator("[data-scroller]")
        gap = scroller.evaluate("el => el.scrollHeight - el.scrollTop - el.clientHeight")
        assert gap < 5, "the conversation must open scrolled to the newest message"
        expect(page.locator(".dm-message .message-body").last).to_have_text("message 69\nline two")

        # Times are the viewer's local time, formatted by the same function on every path.
        first_time = page.locator(".dm-message time").first
        iso = first_time.get_attribute("datetime")
        assert first_time.inner_text() == page.evaluate(LOCAL_TIME_JS, iso)

        # Scrolling to the top loads the older 20 above, and the message on screen stays put.
        anchor = page.locator(".dm-message").first
        anchor_id = anchor.get_attribute("data-message-id")
        scroller.evaluate("el => { el.scrollTop = 0; }")
        expect(page.locator(".dm-message")).to_have_count(70, timeout=10_000)
        expect(page.locator("[data-earlier]")).to_have_count(0)
        top_after = page.locator(f'[data-message-id="{anchor_id}"]').evaluate(
            "el => el.getBoundingClientRect().top - el.closest('[data-scroller]').getBoundingClientRect().top"
        )
        assert 0 <= top_after < 120, f"the message that was on screen moved to {top_after}px"

        labels = page.locator("li.dm-day").all_inner_texts()
        assert labels == ["Yesterday", "Today"]
    finally:
        context.close()


def test_enter_sends_shift_enter_breaks_line_and_over_limit_is_refused_not_cut(live_daphne, people, launch):
    thread = people["thread"]
    alice_session, _ = _sessions(people)
    chromium = launch()  # after every database write of this test
    context = _context(chromium, live_daphne, alice_session)
    from playwright.sync_api import expect

    try:
        page = context.new_page()
        page.goto(f"/messages/{thread.pk}/")
        expect(page.locator("[data-thread-socket]")).to_have_attribute("data-ready", "1")
        box = page.locator("#dm-body")
        expect(page.locator("#dm-hint")).to_have_text("Enter to send · Shift+Enter for a new line")
        box.click()
        page.keyboard.type("line one")
        page.keyboard.press("Shift+Enter")
        page.keyboard.type("line two")
        page.keyboard.press("Enter")
        mine = page.locator(".dm-message.is-mine .message-body")
        expect(mine).to_have_text("line one\nline two")
        expect(box).to_have_value("")
        # Sent live: the time is formatted exactly like a server-rendered one.
        live_time = page.locator(".dm-message.is-mine time").last
        assert live_time.inner_text() == page.evaluate(LOCAL_TIME_JS, live_time.get_attribute("datetime"))

        counter = page.locator("[data-counter]")
        box.fill("y" * 4_200)
        expect(counter).to_be_visible()
        expect(counter).to_have_text("4,200 / 5,000")
        box.fill("z" * 20_000)  # a big paste is kept whole
        expect(counter).to_have_text("15,000 characters over the limit")
        page.keyboard.press("Enter")
        error = page.locator("[data-reply-error]")
        expect(error).to_be_visible()
        expect(error).to_contain_text("at most 5,000 characters (this one has 20,000)")
        assert len(box.input_value()) == 20_000
        expect(page.locator(".dm-message")).to_have_count(1)
    finally:
        context.close()


def test_seen_edit_and_delete_appear_live_for_the_other_person(live_daphne, people, launch):
    thread, alice = people["thread"], people["alice"]
    services.message_send(sender=alice, thread_id=thread.pk, body="Are you at the gym?")
    alice_session, bob_session = _sessions(people)
    chromium = launch()  # after every database write of this test
    alice_context = _context(chromium, live_daphne, alice_session)
    bob_context = _context(chromium, live_daphne, bob_session)
    from playwright.sync_api import expect

    try:
        alice_page = alice_context.new_page()
        alice_page.goto(f"/messages/{thread.pk}/")
        expect(alice_page.locator("[data-thread-socket]")).to_have_attribute("data-ready", "1")
        expect(alice_page.locator("[data-seen]")).to_have_count(0)
        alice_page.wait_for_timeout(300)  # the socket is open before Bob reads

        bob_page = bob_context.new_page()
        bob_page.goto(f"/messages/{thread.pk}/")  # opening the thread reads it
        expect(bob_page.locator("[data-thread-socket]")).to_have_attribute("data-ready", "1")
        seen = alice_page.locator(".dm-message.is-mine [data-seen]")
        expect(seen).to_have_text("Seen", timeout=10_000)

        # Alice edits through the message's menu; Bob sees it change, marked edited.
        item = alice_page.locator(".dm-message.is-mine").first
        item.locator("summary").click()
        item.locator('[data-action="edit"]').click()
        editor = item.locator(".dm-edit-box textarea")
        editor.fill("Are you at the pool?")
        editor.press("Enter")
        expect(item.locator("[data-body]")).to_have_text("Are you at the pool?")
        bob_item = bob_page.locator(".dm-message").first
        expect(bob_item.locator("[data-body]")).to_have_text("Are you at the pool?", timeout=10_000)
        expect(bob_item.locator("[data-edited]")).to_have_text("(edited)")

        # Alice deletes it; both see "Message deleted".
        alice_page.once("dialog", lambda dialog: dialog.accept())
        item.locator("summary").click()
        item.locator('form[data-action="delete"] button').click()
        expect(item.locator("[data-body]")).to_have_text("Message deleted")
        expect(bob_item.locator("[data-body]")).to_have_text("Message deleted", timeout=10_000)
        expect(bob_item.locator("[data-actions]")).to_have_count(0)
    finally:
        alice_context.close()
        bob_context.close()


def test_jump_to_latest_when_a_message_arrives_while_reading_older_ones(live_daphne, people, launch):
    thread, alice, bob = people["thread"], people["alice"], people["bob"]
    _bulk_messages(thread, [bob], 40, "old {n}")
    alice_session, bob_session = _sessions(people)
    chromium = launch()  # after every database write of this test
    alice_context = _context(chromium, live_daphne, alice_session)
    bob_context = _context(chromium, live_daphne, bob_session)
    from playwright.sync_api import expect

    try:
        alice_page = alice_context.new_page()
        alice_page.goto(f"/messages/{thread.pk}/")
        expect(alice_page.locator("[data-thread-socket]")).to_have_attribute("data-ready", "1")
        alice_page.locator("[data-scroller]").evaluate("el => { el.scrollTop = el.scrollHeight / 3; }")
        jump = alice_page.locator("[data-jump]")
        expect(jump).to_have_text("Jump to latest ↓")
        alice_page.wait_for_timeout(300)

        bob_page = bob_context.new_page()
        bob_page.goto(f"/messages/{thread.pk}/")
        bob_page.locator("#dm-body").fill("new one")
        bob_page.keyboard.press("Enter")
        expect(jump).to_have_text("1 new message ↓", timeout=10_000)
        jump.click()
        expect(jump).to_be_hidden()
        gap = alice_page.locator("[data-scroller]").evaluate("el => el.scrollHeight - el.scrollTop - el.clientHeight")
        assert gap < 5
        expect(alice_page.locator(".dm-message .message-body").last).to_have_text("new one")
        assert alice.pk != bob.pk
    finally:
        alice_context.close()
        bob_context.close()


def test_switching_dms_off_disables_the_open_composer_and_on_shows_the_link_live(live_daphne, people, launch):
    from accounts.models import Role
    from tests.accounts.factories import AdminFactory

    thread = people["thread"]
    admin = AdminFactory(role=Role.ADMIN)
    admin_session = _session_cookie(admin)
    _, bob_session = _sessions(people)
    chromium = launch()  # after every database write of this test
    bob_context = _context(chromium, live_daphne, bob_session)
    admin_context = _context(chromium, live_daphne, admin_session)
    from playwright.sync_api import expect

    def switch(on: bool) -> None:
        admin_page = admin_context.new_page()
        admin_page.goto("/admin/messaging/messagingsettings/1/change/")
        admin_page.locator("#id_enabled").set_checked(on)
        admin_page.locator("input[name=_save]").click()
        admin_page.wait_for_load_state()
        admin_page.close()

    try:
        thread_page = bob_context.new_page()
        thread_page.goto(f"/messages/{thread.pk}/")
        expect(thread_page.locator("[data-thread-socket]")).to_have_attribute("data-ready", "1")
        other_page = bob_context.new_page()
        other_page.goto("/members/")
        expect(other_page.locator("body")).to_have_attribute("data-notifications-state", "open")
        expect(thread_page.locator("body")).to_have_attribute("data-notifications-state", "open")
        expect(thread_page.locator("#dm-body")).to_be_enabled()

        switch(False)
        expect(thread_page.locator("#dm-body")).to_be_disabled(timeout=10_000)
        expect(thread_page.locator("form[data-reply-form] button[type=submit]")).to_be_disabled()
        expect(thread_page.locator("[data-disabled-notice]")).to_be_visible()
        expect(other_page.locator('[data-nav="messages"]')).to_be_hidden(timeout=10_000)

        switch(True)
        expect(other_page.locator('[data-nav="messages"]')).to_be_visible(timeout=10_000)
        expect(thread_page.locator("#dm-body")).to_be_enabled(timeout=10_000)
        expect(thread_page.locator("[data-disabled-notice]")).to_be_hidden()
    finally:
        bob_context.close()
        admin_context.close()


def test_new_messages_divider_and_tab_reaches_the_composer_past_every_message(live_daphne, people, launch):
    thread, alice, bob = people["thread"], people["alice"], people["bob"]
    _bulk_messages(thread, [alice, bob], 30, "earlier {n}")
    services.thread_mark_read(user=bob, thread_id=thread.pk)
    services.message_send(sender=alice, thread_id=thread.pk, body="new one")
    services.message_send(sender=alice, thread_id=thread.pk, body="new two")
    _, bob_session = _sessions(people)
    chromium = launch()  # after every database write of this test
    context = _context(chromium, live_daphne, bob_session)
    from playwright.sync_api import expect

    try:
        page = context.new_page()
        page.goto(f"/messages/{thread.pk}/")
        expect(page.locator("[data-thread-socket]")).to_have_attribute("data-ready", "1")
        divider = page.locator("li.dm-divider")
        expect(divider).to_have_count(1)
        expect(divider).to_have_text("New messages")
        following = divider.evaluate("el => el.nextElementSibling.querySelector('[data-body]').textContent")
        assert following == "new one"

        # 32 messages, one Tab stop for all their menus: from the last header button, at most 3 Tabs.
        page.locator("form[action$='/archive/'] button").focus()
        for _ in range(3):
            page.keyboard.press("Tab")
            if page.evaluate("document.activeElement.id") == "dm-body":
                break
        assert page.evaluate("document.activeElement.id") == "dm-body"
        # Arrow keys move between messages' menus inside the list.
        page.keyboard.press("Shift+Tab")
        assert page.evaluate("document.activeElement.matches('[data-actions] > summary')")
        last_id = page.evaluate("document.activeElement.closest('li').dataset.messageId")
        page.keyboard.press("ArrowUp")
        assert page.evaluate("document.activeElement.closest('li').dataset.messageId") != last_id
    finally:
        context.close()


def test_new_message_search_as_you_type_pick_and_land_in_the_thread(live_daphne, people, launch):
    make_member(display_name="Jordan Picked", username="jordan.picked")
    alice_session, _ = _sessions(people)
    chromium = launch()  # after every database write of this test
    context = _context(chromium, live_daphne, alice_session)
    from playwright.sync_api import expect

    try:
        page = context.new_page()
        page.goto("/messages/")
        page.get_by_role("link", name="New message").click()
        page.locator("#recipient-q").press_sequentially("jord", delay=40)
        result = page.get_by_role("button", name="Message Jordan Picked")
        expect(result).to_be_visible(timeout=10_000)
        result.click()
        expect(page.locator("h1")).to_contain_text("Jordan Picked")
        expect(page).to_have_url(re.compile(r"/messages/\d+/$"))
    finally:
        context.close()
