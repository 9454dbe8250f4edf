"""End to end in Chromium against a real daphne and the ClubOS sandbox: the conversation page.

Sam sends an SMS reply from the page; it reaches the sandbox as a text and shows one delivery state
(Sent, never a "queued" flash); Alex, with the same conversation open, sees the reply appear without
reload and sees "Sam is replying" while Sam types. At 390 px the page has no horizontal scroll.
Embedded mode: daphne runs the delivery task inline, so the push starts in the server the browser watches.
"""

from __future__ import annotations

import pytest

from accounts.demo import MEMBERS
from inbox.models import Conversation
from inbox.services.ingest import clubos_message_sink
from tests.accounts.factories import StaffFactory
from tests.fixtures.browser import session_cookie, signed_in_context
from tests.inbox.factories import synced

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

SMS_SEND = 3  # the sandbox's FollowUp/save action for a text
# The elements reaching past the viewport, for the failure message.
TOO_WIDE = """Array.from(document.querySelectorAll('*'))
  .filter(e => e.getBoundingClientRect().right > window.innerWidth + 1).slice(0, 12)
  .map(e => e.tagName + '.' + e.className + ' ' + Math.round(e.getBoundingClientRect().right))"""


@pytest.fixture
def daphne_on_sandbox(clubos_sandbox, monkeypatch):
    """daphne reads its settings from the environment: point it at this test's sandbox (before it starts)."""
    monkeypatch.setenv("CLUBOS_BASE_URL", clubos_sandbox.url)
    monkeypatch.setenv("CLUBOS_USERNAME", "clubroom.sync")
    monkeypatch.setenv("CLUBOS_PASSWORD", "sandbox-password")
    monkeypatch.setenv("CLUBOS_CONNECT_TIMEOUT", "2")
    monkeypatch.setenv("CLUBOS_READ_TIMEOUT", "2")
    return clubos_sandbox


@pytest.fixture
def desk(daphne_on_sandbox, live_daphne):
    """Two staff members and one member's conversation, all before Playwright starts."""
    member = MEMBERS[0]
    clubos_message_sink.ingest(
        messages=[synced(clubos_id=member.clubos_id, name=member.display_name, body="Is the pool open late?")]
    )
    sam = StaffFactory(display_name="Sam Front", first_name="Sam")
    alex = StaffFactory(display_name="Alex Desk", first_name="Alex")
    return Conversation.objects.get(), member, session_cookie(sam), session_cookie(alex)


def test_a_reply_from_the_page_is_texted_and_shows_live_on_a_colleagues_page(
    daphne_on_sandbox, live_daphne, desk, chromium
):
    from playwright.sync_api import expect

    conversation, member, sam_session, alex_session = desk
    url = f"/inbox/{conversation.pk}/"
    sam_context = signed_in_context(chromium, live_daphne, sam_session)
    alex_context = signed_in_context(chromium, live_daphne, alex_session)
    try:
        alex = alex_context.new_page()
        alex.goto(url)
        expect(alex.locator("#ic")).to_have_attribute("data-live", "1", timeout=10_000)
        sam = sam_context.new_page()
        sam.goto(url)
        expect(sam.locator("#ic")).to_have_attribute("data-live", "1", timeout=10_000)
        # Opened at the newest message with the reply box under it (not at the end of the side panel).
        expect(sam.locator("#ic-timeline > li").last).to_be_in_viewport()
        expect(sam.locator("#ic-reply-form")).to_be_in_viewport()

        body = sam.locator("#ic-reply-form textarea[name=body]")
        body.press_sequentially("Yes, until 10 pm", delay=20)
        expect(sam.locator("#ic-counter")).to_have_text("16 / 1600 characters · 1 SMS")
        expect(alex.locator("#ic-typing")).to_have_text("Sam Front is replying…", timeout=10_000)
        expect(sam.locator("#ic-typing")).to_be_hidden()  # never warned about yourself

        sam.locator("#ic-reply-form button[type=submit]").click()
        sam.wait_for_url(f"**{url}")
        reply = sam.locator(".ic-outbound", has_text="Yes, until 10 pm")
        expect(reply.locator(".ic-delivery")).to_have_text("Sent", timeout=10_000)
        expect(sam.locator("body")).not_to_contain_text("queued for ClubOS")
        # Alex's page shows it without a reload, with its delivery state.
        live_reply = alex.locator(".ic-outbound", has_text="Yes, until 10 pm")
        expect(live_reply.locator(".ic-delivery")).to_have_text("Sent", timeout=10_000)
        expect(live_reply).to_contain_text("Sam Front")
    finally:
        sam_context.close()
        alex_context.close()
    texts = [send for send in daphne_on_sandbox.sends() if send.action == SMS_SEND]
    assert [send.member_id for send in texts] == [member.clubos_id]


def test_at_390_px_the_conversation_page_has_no_horizontal_scroll(daphne_on_sandbox, live_daphne, desk, chromium):
    from playwright.sync_api import expect

    conversation, _member, sam_session, _alex_session = desk
    context = signed_in_context(chromium, live_daphne, sam_session, viewport={"width": 390, "height": 844})
    try:
        page = context.new_page()
        page.goto(f"/inbox/{conversation.pk}/")
        expect(page.locator("#ic-reply-form")).to_be_visible()
        width = page.evaluate("document.documentElement.scrollWidth")
        wide = page.evaluate(TOO_WIDE)
        assert width <= 390, f"the page is {width} px wide at 390 px: {wide}"
        # The reply box is in view without scrolling to it (sticky at the bottom).
        box = page.locator(".ic-reply").bounding_box()
        assert box is not None
        assert box["y"] + box["height"] <= 844 + 1
    finally:
        context.close()
