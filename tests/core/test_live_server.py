"""Against a real daphne: multipart bodies reach Django (issue 8, #7) and pages work under the CSP.

daphne runs as a subprocess on the test database (the fixtures of tests/messaging/test_browser.py).
"""

from __future__ import annotations

import httpx
import pytest
from django.contrib.auth.hashers import PBKDF2PasswordHasher

from accounts.services import club_staff_group_ensure
from messaging import services
from tests.accounts.factories import AdminFactory, StaffFactory, as_user
from tests.fixtures.browser import session_cookie as _session_cookie
from tests.fixtures.browser import signed_in_context as _signed_in_context
from tests.messaging.factories import make_member

pytestmark = [pytest.mark.django_db(transaction=True)]


CLOSING_BOUNDARY_ONLY = b"--XYZ--\r\n"
MULTIPART = {"Content-Type": "multipart/form-data; boundary=XYZ"}


def test_a_multipart_body_of_only_a_closing_boundary_is_answered_by_django_not_twisted(live_daphne):
    """Twisted used to parse it first and answer a bare `400` with no body or content type."""
    with httpx.Client(base_url=live_daphne) as http:
        page = http.post("/accounts/login/", content=CLOSING_BOUNDARY_ONLY, headers=MULTIPART)
        api = http.post("/api/v1/clubos/sync/", content=CLOSING_BOUNDARY_ONLY, headers=MULTIPART)
        malformed = http.post(
            "/accounts/login/", content=b"--XYZ\r\nbroken", headers={"Content-Type": "multipart/form-data"}
        )
    assert page.status_code == 403  # an empty form: no CSRF token, Django's 403 page
    assert page.headers["content-type"].startswith("text/html")
    assert "Content-Security-Policy" in page.headers
    assert page.text.strip()
    assert api.status_code == 401
    assert api.json()["detail"]
    assert malformed.status_code == 403  # Django refuses it (CSRF reads the form first), with its page
    assert malformed.headers["content-type"].startswith("text/html")
    assert malformed.text.strip()


def test_a_multipart_form_still_signs_in(live_daphne):
    member = make_member()
    # daphne runs with the real hashers (the suite's MD5 one is in-process only).
    member.password = PBKDF2PasswordHasher().encode("correct-horse-battery", PBKDF2PasswordHasher().salt())
    member.save(update_fields=["password"])
    with httpx.Client(base_url=live_daphne) as http:
        form = http.get("/accounts/login/")
        token = http.cookies["csrftoken"]
        response = http.post(
            "/accounts/login/",
            files={"username": (None, member.username), "password": (None, "correct-horse-battery")},
            data={"csrfmiddlewaretoken": token},
            headers={"Referer": f"{live_daphne}/accounts/login/"},
        )
    assert form.status_code == 200
    assert response.status_code == 302
    assert response.headers["location"] == "/members/"


# --- The CSP in a browser --------------------------------------------------------------------

CATCH_VIOLATIONS = """
window.__csp = [];
document.addEventListener("securitypolicyviolation", (e) => {
  window.__csp.push(`${e.violatedDirective} ${e.blockedURI} ${e.sourceFile}:${e.lineNumber}`);
});
"""


@pytest.fixture
def people(live_daphne):
    services.messaging_set_enabled(actor=None, enabled=True)
    alice = make_member(display_name="Alice Sender")
    bob = make_member(display_name="Bob Reader")
    thread, _ = services.thread_start(initiator=alice, recipient=bob)
    services.message_send(sender=bob, thread_id=thread.pk, body="See you at the pool")
    staff = as_user(StaffFactory(is_staff=True))
    staff.groups.add(club_staff_group_ensure())
    admin = as_user(AdminFactory())
    return {
        "thread": thread,
        "alice": (alice, _session_cookie(alice)),
        "staff": _session_cookie(staff),
        "admin": _session_cookie(admin),
    }


def _visit(context, path: str, violations: list[str], console: list[str]) -> None:
    page = context.new_page()
    page.on("console", lambda message: console.append(f"{path}: {message.text}"))
    page.add_init_script(CATCH_VIOLATIONS)
    response = page.goto(path)
    assert response is not None
    assert response.status < 400, (path, response.status)
    page.wait_for_load_state("networkidle")
    violations.extend(f"{path}: {v}" for v in page.evaluate("window.__csp"))
    page.close()


def test_the_main_pages_work_under_the_csp_with_no_violation(live_daphne, people, chromium):
    from playwright.sync_api import expect

    alice, alice_session = people["alice"]
    thread = people["thread"]
    violations: list[str] = []
    console: list[str] = []

    member = _signed_in_context(chromium, live_daphne, alice_session)
    try:
        for path in ("/members/", f"/members/{alice.username}/", f"/members/{alice.username}/edit/", "/messages/",
                     f"/messages/{thread.pk}/", "/accounts/password/", "/api/docs/"):  # fmt: skip
            _visit(member, path, violations, console)
        # The scripts run: the notifications socket opens (connect-src), and a reply goes out via JS.
        page = member.new_page()
        page.add_init_script(CATCH_VIOLATIONS)
        page.goto(f"/messages/{thread.pk}/")
        expect(page.locator("body")).to_have_attribute("data-notifications-state", "open")
        page.fill("textarea[name=body]", "Under the CSP")
        page.click("form[data-reply-form] button[type=submit]")
        expect(page.locator(".dm-message.is-mine .message-body").last).to_have_text("Under the CSP")
        violations.extend(page.evaluate("window.__csp"))
    finally:
        member.close()
    for role, paths in (("staff", ("/inbox/", "/clubos/")), ("admin", ("/admin/", "/admin/accounts/user/?q=a"))):
        context = _signed_in_context(chromium, live_daphne, people[role])
        try:
            for path in paths:
                _visit(context, path, violations, console)
        finally:
            context.close()
    anonymous = chromium.new_context(base_url=live_daphne)
    try:
        _visit(anonymous, "/accounts/login/", violations, console)
    finally:
        anonymous.close()

    assert violations == []
    assert [line for line in console if "Content Security Policy" in line or "Refused to" in line] == []
