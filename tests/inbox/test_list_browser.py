"""/inbox/ in a real browser (Debian's Chromium, a real daphne, the ClubOS sandbox over HTTP): a message
injected into ClubOS shows up in an open list without reload, at the top; the list, its keys, and
`/clubos/` fit a 390 px phone without scrolling sideways."""

from __future__ import annotations

import re

import pytest

from accounts.demo import MEMBERS
from clubos.services import sync
from inbox.models import Conversation
from tests.accounts.factories import StaffFactory
from tests.fixtures.browser import session_cookie, signed_in_context

pytestmark = pytest.mark.django_db(transaction=True)

TIMEOUT_MS = 20_000


@pytest.fixture
def sandbox_daphne(clubos_sandbox, monkeypatch, request):
    """daphne with the sandbox as its ClubOS (the subprocess reads the environment), syncing in-request."""
    monkeypatch.setenv("CLUBOS_BASE_URL", clubos_sandbox.url)
    monkeypatch.setenv("CLUBOS_USERNAME", "clubroom.sync")
    monkeypatch.setenv("CLUBOS_PASSWORD", "sandbox-password")
    monkeypatch.setenv("CELERY_TASK_ALWAYS_EAGER", "1")  # "Sync now" runs the sync in the request (no worker)
    return request.getfixturevalue("live_daphne")


@pytest.fixture
def staff_session(clubos_sandbox, sandbox_daphne) -> str:
    """The club's existing messages synced and a staff session, before Playwright's loop starts (it
    refuses the after-commit pushes of writes made while it runs)."""
    sync.clubos_sync_run()
    return session_cookie(StaffFactory(display_name="Sam Front"))


def _rows_text(page) -> list[str]:
    return page.locator("[data-conversation-id] .person-name").all_inner_texts()


def test_an_injected_message_appears_at_the_top_of_an_open_list_without_reload(
    clubos_sandbox, sandbox_daphne, staff_session, chromium
):
    from playwright.sync_api import expect

    members = {member.clubos_id: member for member in MEMBERS}
    oldest = (
        Conversation.objects.filter(contact__clubos_id__in=list(members), last_message_at__isnull=False)
        .select_related("contact", "contact__user")
        .order_by("last_message_at", "pk")
        .first()
    )
    assert oldest is not None
    assert Conversation.objects.count() > 1
    name = oldest.contact.display_name

    context = signed_in_context(chromium, sandbox_daphne, staff_session)
    try:
        inbox = context.new_page()
        inbox.goto("/inbox/")
        expect(inbox.locator("body[data-notifications-state=open]")).to_have_count(1, timeout=TIMEOUT_MS)
        assert _rows_text(inbox)[0] != name
        inbox.evaluate("window.__notReloaded = true")

        clubos_sandbox.inject(member_id=oldest.contact.clubos_id, text="Is the sauna fixed yet?")
        desk = context.new_page()  # someone at the desk presses "Sync now" (the sync runs inside daphne)
        desk.goto("/clubos/")
        desk.get_by_role("button", name="Sync now").click()
        desk.wait_for_load_state("load")

        first = inbox.locator("[data-conversation-id]").first
        expect(first).to_contain_text(name, timeout=TIMEOUT_MS)
        expect(first).to_contain_text("Is the sauna fixed yet?")
        expect(first.locator(".unread-dot")).to_have_count(1)
        assert inbox.evaluate("window.__notReloaded") is True

        # Keys: j selects the first row, ? shows the keys, / focuses the search.
        inbox.keyboard.press("j")
        expect(first).to_have_class(re.compile(r"(^|\s)is-selected(\s|$)"))
        inbox.keyboard.press("?")
        expect(inbox.locator("#inbox-help")).to_be_visible()
        inbox.keyboard.press("Escape")
        inbox.keyboard.press("/")
        expect(inbox.locator("[data-inbox-search]")).to_be_focused()
        inbox.keyboard.press("Escape")  # leaves the search box; the selection stays
        with inbox.expect_navigation():
            inbox.keyboard.press("e")  # resolves the selected conversation (and comes back to the list)
        assert Conversation.objects.get(pk=oldest.pk).status == "resolved"
    finally:
        context.close()


def test_inbox_and_clubos_fit_390_px(sandbox_daphne, staff_session, chromium):
    context = signed_in_context(chromium, sandbox_daphne, staff_session, viewport={"width": 390, "height": 844})
    try:
        page = context.new_page()
        for path in ("/inbox/", "/inbox/?q=pool", "/inbox/saved-replies/", "/clubos/"):
            page.goto(path)
            page.wait_for_load_state("load")
            width = page.evaluate("document.documentElement.scrollWidth")
            wide = page.evaluate(
                "[...document.querySelectorAll('body *')].filter(e => e.getBoundingClientRect().right > 391)"
                ".slice(0, 8).map(e => e.tagName + '.' + e.className)"
            )
            assert width <= 390, f"{path} is {width} px wide at 390 px: {wide}"
        page.goto("/inbox/")
        assert page.locator("[data-conversation-id]").count() > 0
    finally:
        context.close()
