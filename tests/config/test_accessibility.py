"""axe-core (vendored in tests/assets/axe-core) over every page in Chromium: no serious or critical violations.

Pages are visited as the person who sees them (anonymous, member, staff, admin) with direct messages on
and unread badges showing, on a real daphne. `test_every_page_is_checked` keeps the list honest: a new
GET page in the site's URLconf fails it until it is added to `PAGES` (or to `NOT_PAGES` with a reason).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from django.urls import URLPattern, URLResolver, get_resolver

from inbox.services.ingest import clubos_message_sink
from messaging import services
from messaging.models import Message, MessagingSettings
from tests.accounts.factories import AdminFactory, StaffFactory
from tests.fixtures.browser import session_cookie, signed_in_context
from tests.inbox.factories import synced
from tests.messaging.factories import make_member

AXE = Path(__file__).resolve().parents[1] / "assets" / "axe-core" / "axe.min.js"
BLOCKING = ("serious", "critical")

# URL names (namespace:name) of the site's pages → who is checked on them, by test_every_page_is_checked.
PAGES = {
    "accounts:login": "anonymous",
    "accounts:password_reset_confirm": "anonymous (a stale link)",
    "accounts:password_reset_complete": "anonymous",
    "accounts:home": "redirects to the directory",
    "accounts:directory": "member, staff",
    "accounts:profile": "member (someone else's and their own)",
    "accounts:profile_edit": "member",
    "accounts:password_change": "member",
    "accounts:password_change_done": "member",
    "messaging:thread_list": "member",
    "messaging:thread_detail": "member",
    "messaging:message_report": "member",
    "messaging:new_message": "member",
    "messaging:search": "member (with results)",
    "messaging:preferences": "member",
    "messaging:message_edit": "member (their own message)",
    "messaging:unsubscribe": "anonymous (a stale link)",
    "inbox:conversation_list": "staff (and a member's 403)",
    "inbox:conversation_detail": "staff",
    "inbox:saved_reply_list": "staff (with a saved reply)",
    "inbox:saved_reply_edit": "staff",
    "clubos:status": "staff",
    "moderation:report_list": "staff (and a member's 404)",
    "inbox:stats": "staff (and at 390 px)",
    "moderation:report_detail": "staff",
    "ai_agent:stats": "staff",
}
NOT_PAGES = {
    "accounts:logout": "POST only",
    "messaging:thread_start": "POST only (the profile's Message button)",
    "messaging:block": "POST only",
    "messaging:unblock": "POST only",
    "messaging:thread_reply": "POST only",
    "messaging:thread_archive": "POST only",
    "messaging:thread_mute": "POST only",
    "messaging:message_delete": "POST only (the message menu)",
    "clubos:action": "POST only (sync, pause, resume)",
    "inbox:conversation_rows": "a fragment of the list page (its rows, fetched by inbox_list.js), not a page",
    "inbox:conversation_resolve": "POST only (the list's Resolve button / the e key)",
    "inbox:saved_reply_delete": "POST only",
    "ai_agent:suggestion_act": "POST only (send, edit or discard a suggestion)",
    "moderation:suspension_lift": "POST only (the report page's Lift button)",
    "inbox:stats_export": "a CSV download, not a page",
    "inbox:conversation_act": "POST only (the conversation page's action forms)",
    "inbox:conversation_live": "a fragment the conversation page swaps in (its parts are checked on that page)",
}
SITE_NAMESPACES = ("accounts", "messaging", "moderation", "inbox", "clubos", "ai_agent")


def _site_url_names() -> set[str]:
    names: set[str] = set()

    def walk(patterns: list[Any], namespace: str | None) -> None:
        for pattern in patterns:
            if isinstance(pattern, URLResolver):
                walk(pattern.url_patterns, pattern.namespace or namespace)
            elif isinstance(pattern, URLPattern) and pattern.name and namespace in SITE_NAMESPACES:
                names.add(f"{namespace}:{pattern.name}")

    walk(get_resolver().url_patterns, None)
    return names


def test_every_page_is_checked():
    unlisted = _site_url_names() - set(PAGES) - set(NOT_PAGES)
    assert not unlisted, f"add these pages to PAGES and to the axe run below (or to NOT_PAGES): {sorted(unlisted)}"


def _axe(page: Any) -> list[dict[str, Any]]:
    page.add_script_tag(path=str(AXE))
    # Badges hold one or two digits: axe leaves text that short "incomplete" unless told to measure it.
    result = page.evaluate(
        """async () => {
          const defaults = axe._audit.checks["color-contrast"].options;
          axe.configure({
            checks: [{ id: "color-contrast", options: Object.assign({}, defaults, { ignoreLength: true }) }],
          });
          return (await axe.run(document, { resultTypes: ["violations"] })).violations;
        }"""
    )
    return [
        {
            "page": page.url,
            "rule": v["id"],
            "impact": v["impact"],
            "help": v["help"],
            "nodes": [n["target"] for n in v["nodes"]][:5],
        }
        for v in result
        if v["impact"] in BLOCKING
    ]


@pytest.fixture
def club(live_daphne):
    """A club with DMs on and something everywhere: threads both ways, unread badges, an inbox conversation."""
    services.messaging_set_enabled(actor=None, enabled=True)
    alice = make_member(display_name="Alice Sender")
    bob = make_member(display_name="Bob Reader")
    carol = make_member(display_name="Carol Third")
    thread, _ = services.thread_start(initiator=alice, recipient=bob)
    services.message_send(sender=alice, thread_id=thread.pk, body="Hi Bob, spin class at 6?")
    services.message_send(sender=bob, thread_id=thread.pk, body="Yes! <b>See you</b> there")
    other, _ = services.thread_start(initiator=carol, recipient=alice)
    services.message_send(sender=carol, thread_id=other.pk, body="Unread for Alice")
    staff = StaffFactory(display_name="Sam Front")
    admin = AdminFactory(display_name="Ada Admin")
    clubos_message_sink.ingest(messages=[synced(body="Is the pool open?", name="Dana Reyes")])
    from inbox.models import Conversation, SavedReply

    bob_message = Message.objects.filter(thread=thread, sender=bob).get()
    report, _ = services.report_create(reporter=alice, message_id=bob_message.pk, reason="Not <i>nice</i>")
    saved = SavedReply.objects.create(title="Pool hours", body="Hi {first_name}, the pool opens at 6.")
    return {
        "report": report,
        "saved_reply": saved,
        "alice": alice,
        "bob": bob,
        "thread": thread,
        "message": Message.objects.filter(thread=thread, sender=bob).get(),
        "own_message": Message.objects.filter(thread=other, sender=alice).first()
        or services.message_send(sender=alice, thread_id=other.pk, body="Back to you, Carol"),
        "conversation": Conversation.objects.get(),
        "settings_pk": MessagingSettings.objects.get().pk,
        "sessions": {"alice": session_cookie(alice), "staff": session_cookie(staff), "admin": session_cookie(admin)},
    }


def _check(chromium: Any, base_url: str, session: str | None, paths: list[str]) -> list[dict[str, Any]]:
    # bypass_csp: axe is injected as an inline script, which the site's CSP (rightly) refuses.
    context = signed_in_context(chromium, base_url, session, bypass_csp=True)
    violations: list[dict[str, Any]] = []
    try:
        page = context.new_page()
        for path in paths:
            page.goto(path)
            page.wait_for_load_state("load")
            violations += _axe(page)
    finally:
        context.close()
    return violations


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_no_serious_or_critical_axe_violations_on_any_page(live_daphne, club, chromium):
    alice, bob, thread = club["alice"], club["bob"], club["thread"]
    sessions = club["sessions"]
    checks = {
        None: [
            "/accounts/login/",
            "/accounts/reset/MQ/set-password/",
            "/accounts/reset/done/",
            "/messages/unsubscribe/not-a-token/",
        ],
        sessions["alice"]: [
            "/members/",
            f"/members/{bob.username}/",
            f"/members/{alice.username}/",
            f"/members/{alice.username}/edit/",
            "/accounts/password/",
            "/accounts/password/done/",
            "/messages/",
            f"/messages/{thread.pk}/",
            f"/messages/report/{club['message'].pk}/",
            "/messages/new/",
            "/messages/search/?q=spin",
            "/messages/settings/",
            f"/messages/message/{club['own_message'].pk}/edit/",
            "/inbox/",  # a member on a staff page: the 403 page
            "/inbox/reports/",  # the safety queue for a member: the 404 page
        ],
        sessions["staff"]: [
            "/members/",
            "/inbox/",
            f"/inbox/{club['conversation'].pk}/",
            "/inbox/?status=open&unread=on",
            "/inbox/saved-replies/",
            f"/inbox/saved-replies/{club['saved_reply'].pk}/",
            "/clubos/",
            "/ai/",
            "/inbox/reports/",
            f"/inbox/reports/{club['report'].pk}/",
            "/inbox/stats/",
        ],
        sessions["admin"]: [
            "/admin/",
            "/admin/accounts/user/",
            f"/admin/accounts/user/{bob.pk}/change/",
            f"/admin/messaging/messagingsettings/{club['settings_pk']}/change/",
            "/admin/messaging/report/",
            "/admin/inbox/conversation/",
            "/admin/inbox/integrationsource/add/",
            "/admin/accounts/apitoken/add/",
            "/admin/clubos/syncrun/",
        ],
    }
    violations = []
    for session, paths in checks.items():
        violations += _check(chromium, live_daphne, session, paths)
    violations += _check_phone_menu(chromium, live_daphne, sessions["staff"])
    assert not violations, json.dumps(violations, indent=1)


def _check_phone_menu(chromium: Any, base_url: str, session: str) -> list[dict[str, Any]]:
    """At 390 px with the menu and the account menu open: every link and badge on the dark header."""
    context = signed_in_context(chromium, base_url, session, viewport={"width": 390, "height": 844}, bypass_csp=True)
    try:
        page = context.new_page()
        page.goto("/members/")
        page.click(".nav-toggle")
        page.click(".account-menu summary")
        return _axe(page)
    finally:
        context.close()
