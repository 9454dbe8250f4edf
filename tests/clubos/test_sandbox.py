"""The sandbox follows the ClubOS protocol over real HTTP (driven with raw httpx, not the client)."""

from __future__ import annotations

import base64
import json
import os
import re
import signal
import subprocess
import sys
from collections.abc import Iterator
from datetime import UTC, datetime
from io import StringIO
from pathlib import Path
from typing import Any
from urllib.parse import urlencode
from zoneinfo import ZoneInfo

import httpx
import pytest
import time_machine
from bs4 import BeautifulSoup
from django.core.management import call_command
from django.core.management.base import CommandError

from accounts import demo
from clubos.sandbox import SYNC_ACCOUNT_ID, SandboxServer
from clubos.sandbox.demo import UNLINKED_LEAD_ID
from clubos.sandbox.state import CLUB_TIME_ZONE
from clubos.types import Channel
from tests.fixtures.clubos_sandbox import SANDBOX_PASSWORD, SANDBOX_USERNAME

DANA = demo.MEMBERS[0]
SOMETHING_NOT_RIGHT = "Something isn't right"


def soup(html: str, parser: str = "html.parser") -> Any:
    return BeautifulSoup(html, parser)


def hidden(form, name: str) -> str:
    return form.find("input", attrs={"name": name})["value"]


def log_in(url: str) -> httpx.Client:
    browser = httpx.Client(base_url=url, follow_redirects=False)
    page = soup(browser.get("/action/Login/view").text)
    form = page.find("form", id="loginForm")
    response = browser.post(
        form["action"],
        data={
            "login": "Submit",
            "username": SANDBOX_USERNAME,
            "password": SANDBOX_PASSWORD,
            "_sourcePage": hidden(form, "_sourcePage"),
            "__fp": hidden(form, "__fp"),
        },
    )
    assert response.status_code == 302
    return browser


def xhr_headers(browser: httpx.Client) -> dict[str, str]:
    return {"X-Requested-With": "XMLHttpRequest", "Authorization": f"Bearer {browser.cookies['apiV3AccessToken']}"}


@pytest.fixture
def browser(clubos_sandbox: SandboxServer) -> Iterator[httpx.Client]:
    client = log_in(clubos_sandbox.url)
    yield client
    client.close()


def test_login_page_has_both_forms_hidden_tokens_and_jsessionid_on_first_visit(clubos_sandbox):
    with httpx.Client(base_url=clubos_sandbox.url) as browser:
        first = browser.get("/action/Login/view")
        assert "JSESSIONID" in first.cookies
        page = soup(first.text)
        assert page.title.string == "Anytime Fitness"
        login = page.find("form", id="loginForm")
        forgot = page.find("form", id="forgotForm")
        assert login["action"] == f"/action/Login;jsessionid={first.cookies['JSESSIONID']}"
        assert login.find("div", style="display: none;").find("input", attrs={"name": "__fp"})
        assert hidden(login, "login") == "Submit"
        assert hidden(login, "_sourcePage") != hidden(forgot, "_sourcePage")
        second = soup(browser.get("/action/Login/view").text)
        assert second.find("form", id="loginForm")["action"] == "/action/Login"


def test_login_redirects_to_dashboard_and_sets_the_session_cookies(clubos_sandbox):
    browser = log_in(clubos_sandbox.url)
    for name in ("JSESSIONID", "loggedInUserId", "delegatedUserId", "apiV3AccessToken", "apiV3IdToken"):
        assert name in browser.cookies
    payload = browser.cookies["apiV3AccessToken"].split(".")[1]
    claims = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    assert claims["loggedInUserId"] == SYNC_ACCOUNT_ID
    assert claims["delegateUserId"] == SYNC_ACCOUNT_ID
    assert claims["sessionId"] == browser.cookies["JSESSIONID"]
    dashboard = browser.get("/action/Dashboard/view").text
    assert 'window.loggedInUserTimezone="America/Chicago"' in dashboard
    assert f"var CLUB_LOCATION_ID = {demo.CLUB_LOCATION_ID};" in dashboard
    owners = soup(dashboard).select("select#messages-owner-select option")
    assert [int(o["value"]) for o in owners] == [demo.CLUB_LOCATION_ID, SYNC_ACCOUNT_ID]


def test_wrong_password_shows_the_incorrect_error(clubos_sandbox):
    with httpx.Client(base_url=clubos_sandbox.url) as browser:
        form = soup(browser.get("/action/Login/view").text).find("form", id="loginForm")
        data = {"login": "Submit", "username": SANDBOX_USERNAME, "password": "nope"}
        data |= {"_sourcePage": hidden(form, "_sourcePage"), "__fp": hidden(form, "__fp")}
        response = browser.post("/action/Login", data=data)
    assert response.status_code == 200
    error = soup(response.text).select_one("li.error.incorrect")
    assert error.get("style") is None
    assert "Username/Password is incorrect" in error.text


def test_stale_login_tokens_answer_something_isnt_right(clubos_sandbox):
    with httpx.Client(base_url=clubos_sandbox.url) as browser:
        browser.get("/action/Login/view")
        data = {"login": "Submit", "username": SANDBOX_USERNAME, "password": SANDBOX_PASSWORD}
        response = browser.post("/action/Login", data=data | {"_sourcePage": "old", "__fp": "old"})
    assert response.status_code == 200
    assert SOMETHING_NOT_RIGHT in response.text


def test_xhr_without_a_valid_bearer_answers_session_expired_and_pages_go_to_login(clubos_sandbox, browser):
    response = browser.get("/action/Dashboard/messages", headers={"X-Requested-With": "XMLHttpRequest"})
    assert response.text == "Session Expired"
    clubos_sandbox.expire_sessions()
    assert browser.get("/action/Dashboard/messages", headers=xhr_headers(browser)).text == "Session Expired"
    page = browser.get("/action/Dashboard/view")
    assert page.status_code == 302
    assert page.headers["Location"] == "/action/Login/view"
    assert 'id="loginForm"' in browser.get("/action/Login/view").text


def test_sessions_expire_after_the_configured_number_of_requests(clubos_sandbox, browser):
    clubos_sandbox.expire_sessions(after_requests=2)
    assert "<ul>" in browser.get("/action/Dashboard/messages", headers=xhr_headers(browser)).text
    assert "<ul>" in browser.get("/action/Dashboard/messages", headers=xhr_headers(browser)).text
    assert browser.get("/action/Dashboard/messages", headers=xhr_headers(browser)).text == "Session Expired"


def test_error_pages(clubos_sandbox, browser):
    missing = browser.get("/action/NoSuchPage")
    assert "PAGE NOT FOUND" in missing.text
    assert "<title>Club OS</title>" in missing.text
    clubos_sandbox.fail_next("/action/Dashboard/messages")
    failed = browser.get("/action/Dashboard/messages", headers=xhr_headers(browser))
    assert failed.status_code == 302
    assert failed.headers["Location"] == "/action/Invalid/500"
    assert "OOPS! OUR SERVERS MUST HAVE SKIPPED LEG DAY" in browser.get("/action/Invalid/500").text
    assert "<ul>" in browser.get("/action/Dashboard/messages", headers=xhr_headers(browser)).text  # only the next one


def test_inbox_list_is_newest_first_with_leading_blank_lines_and_year_less_dates(clubos_sandbox, browser):
    response = browser.post(
        "/action/Dashboard/messages", data={"userId": demo.CLUB_LOCATION_ID}, headers=xhr_headers(browser)
    )
    assert response.text.startswith("\n\n")
    items = soup(response.text).select("ul > li")
    ids = [int(li.select_one("a.delete-message")["data-id"]) for li in items]
    assert ids == sorted(ids, reverse=True)
    assert len(set(ids)) == len(ids)
    assert ids[0] >= 130_826_000
    cells = [" ".join(li.select_one("div.message-options > span").text.split()) for li in items]
    assert re.fullmatch(r"\d{1,2}:\d{2} [AP]M", cells[0])  # Priya texted today
    assert all(re.fullmatch(r"([A-Z][a-z]{2} \d{1,2})|(\d{1,2}:\d{2} [AP]M)", cell) for cell in cells)
    owner_sent = [li for li in items if li.select_one("a.reply") is None]
    assert owner_sent  # staff replies carry no reply anchor, hence no data-created-date
    names = {li.select_one(".username-content").text for li in items}
    assert "Riley Chen" in names  # the unlinked lead
    # The cache-busted GET serves the selected owner's list again.
    again = browser.get("/action/Dashboard/messages", params={"_": "1"}, headers=xhr_headers(browser))
    assert again.text == response.text


CLUB_TZ = ZoneInfo(CLUB_TIME_ZONE)


@pytest.fixture
def club_clock(request) -> Iterator[datetime]:
    """The clock at `request.param` (club time) from before the sandbox seeds its demo inbox, ticking on."""
    when = datetime.fromisoformat(request.param).replace(tzinfo=CLUB_TZ)
    with time_machine.travel(when, tick=True):
        yield when


@pytest.mark.parametrize(
    "club_clock",
    [
        "2026-03-07T23:59:30",  # the night DST starts (02:00 → 03:00 on the 8th)
        "2026-03-08T00:00:30",
        "2026-03-08T23:59:30",  # a 23-hour day
        "2026-11-01T00:00:30",  # DST ends (02:00 → 01:00): a 25-hour day
        "2026-11-01T23:59:30",
        "2026-12-31T23:59:30",
        "2027-01-01T00:00:30",  # yesterday and 330 days ago are last year; the list shows no year
        "2026-07-15T12:00:00",
    ],
    indirect=True,
)
def test_demo_inbox_keeps_today_and_earlier_days_on_the_club_calendar_at_any_hour(club_clock, clubos_client):
    items = clubos_client.inbox_list(owner_id=demo.CLUB_LOCATION_ID).items
    now = datetime.now(UTC)
    today = now.astimezone(CLUB_TZ).date()

    def days_ago(name: str) -> set[int]:
        return {
            (today - item.sent_at.astimezone(CLUB_TZ).date()).days
            for item in items
            if item.sender_name == name and item.sent_at is not None
        }

    assert items[0].sender_name == "Priya Raghunathan"
    assert items[0].sent_at is not None
    assert items[0].sent_at <= now
    assert days_ago("Priya Raghunathan") == {0}
    assert days_ago("Riley Chen") == {0}
    assert days_ago("Kwame Mensah") == {1}
    assert days_ago("Seán O'Connor") == {1}
    assert days_ago("Zoë Müller") == {2}
    assert days_ago("Dana Reyes") == {3}
    assert days_ago("Marcus Johnson") == {330}
    # Newest first by club date too (staff sends show only a date cell, read as that day's midnight).
    dates = [item.sent_at.astimezone(CLUB_TZ).date() for item in items if item.sent_at is not None]
    assert dates == sorted(dates, reverse=True)


def test_unknown_owner_is_a_bad_request(browser):
    response = browser.post("/action/Dashboard/messages", data={"userId": "42"}, headers=xhr_headers(browser))
    assert SOMETHING_NOT_RIGHT in response.text


def test_a_save_with_blank_contact_fields_wipes_the_profile_like_clubos(clubos_sandbox, browser):
    popup = soup(
        browser.post(
            "/action/FollowUp",
            data={"followUpUserId": DANA.clubos_id, "followUpType": "3"},
            headers=xhr_headers(browser),
        ).text,
        "html.parser",
    )
    contact, outcome = popup.find("form", id="saveFollowUpContact"), popup.find("form", id="followUpOutcomeForm")
    data = [
        ("followUpUser.tfoUserId", str(DANA.clubos_id)),
        ("followUpLog.tfoUserId", str(DANA.clubos_id)),
        ("followUpLog.followUpAction", "3"),
        ("textMessage", "hi"),
        ("followUpUser.firstName", ""),
        ("followUpUser.lastName", ""),
        ("followUpUser.email", ""),
        ("followUpUser.mobilePhone", "+13125551000"),
        ("_sourcePage", hidden(contact, "_sourcePage")),
        ("__fp", hidden(contact, "__fp")),
        ("_sourcePage", hidden(outcome, "_sourcePage")),
        ("__fp", hidden(outcome, "__fp")),
    ]
    response = browser.post(
        "/action/FollowUp/save",
        content=urlencode(data).encode(),
        headers=xhr_headers(browser) | {"Content-Type": "application/x-www-form-urlencoded"},
    )
    assert response.text.endswith("has been texted.")
    profile = clubos_sandbox.member_profile(DANA.clubos_id)
    assert profile["first_name"] == profile["last_name"] == profile["email"] == ""
    assert clubos_sandbox.sends()[-1].profile_before["email"] == DANA.email


def test_save_with_the_contact_tokens_only_is_refused(clubos_sandbox, browser):
    popup = soup(
        browser.post("/action/FollowUp", data={"followUpUserId": DANA.clubos_id}, headers=xhr_headers(browser)).text,
        "html.parser",
    )
    contact = popup.find("form", id="saveFollowUpContact")
    data = {"followUpUser.tfoUserId": DANA.clubos_id, "followUpLog.followUpAction": "3", "textMessage": "hi"}
    data |= {"_sourcePage": hidden(contact, "_sourcePage"), "__fp": hidden(contact, "__fp")}
    response = browser.post("/action/FollowUp/save", data=data, headers=xhr_headers(browser))
    assert SOMETHING_NOT_RIGHT in response.text
    assert clubos_sandbox.member_profile(DANA.clubos_id)["email"] == DANA.email


def test_follow_up_for_an_unknown_person_is_the_oops_redirect(browser):
    response = browser.post("/action/FollowUp", data={"followUpUserId": "999"}, headers=xhr_headers(browser))
    assert response.headers["Location"] == "/action/Invalid/500"


def test_delegate_and_refresh_reissue_the_token(browser):
    before = browser.cookies["apiV3AccessToken"]
    response = browser.get(
        f"/action/Delegate/{DANA.clubos_id}/url=false", params={"_": "1"}, headers=xhr_headers(browser)
    )
    assert response.status_code == 200
    assert response.text == ""
    assert browser.cookies["delegatedUserId"] == str(DANA.clubos_id)
    delegated = browser.cookies["apiV3AccessToken"]
    assert delegated != before
    back = browser.get("/action/Delegate/0/url=/action/Dashboard/view", headers=xhr_headers(browser))
    assert back.headers["Location"] == "/action/Dashboard/view"
    assert browser.cookies["delegatedUserId"] == str(SYNC_ACCOUNT_ID)
    refreshed = browser.get("/action/Login/refresh-api-v3-access-token", headers=xhr_headers(browser))
    assert refreshed.status_code == 200
    assert browser.cookies["apiV3AccessToken"] not in (before, delegated)


def test_user_search_needs_the_dashboard_form_tokens(browser):
    dashboard = soup(browser.get("/action/Dashboard/view").text)
    form = dashboard.find("form", id="quick-search-form")
    data = {"filter.keyword": "chen", "actAs": "loggedIn"}
    tokens = {"_sourcePage": hidden(form, "_sourcePage"), "__fp": hidden(form, "__fp")}
    assert SOMETHING_NOT_RIGHT in browser.post("/action/UserSearch/", data=data, headers=xhr_headers(browser)).text
    results = soup(
        browser.post("/action/UserSearch/", data=data | tokens, headers=xhr_headers(browser)).text, "html.parser"
    ).select("div.search-result")
    assert [(int(r["data-id"]), r["data-role-id"]) for r in results] == [(UNLINKED_LEAD_ID, "99")]
    assert results[0].select_one("p.email.email-search").text == "riley.chen@example.net"


def test_inject_lands_on_top_of_the_club_list_and_in_the_members_log(clubos_sandbox, browser):
    message_id = clubos_sandbox.inject(member_id=DANA.clubos_id, text="Is the pool open? 🏊")
    assert clubos_sandbox.list_ids(demo.CLUB_LOCATION_ID)[0] == message_id
    popup = browser.post("/action/FollowUp", data={"followUpUserId": DANA.clubos_id}, headers=xhr_headers(browser)).text
    first_entry = soup(popup).select_one("#follow-up-log .followup-entry")
    assert "Is the pool open? 🏊" in first_entry.text
    assert "by Dana R." in first_entry.text


def test_control_api_and_request_log(clubos_sandbox, browser):
    clubos_sandbox.clear_requests()
    response = httpx.post(
        f"{clubos_sandbox.url}/__sandbox__/control",
        json={"action": "inject", "member_id": DANA.clubos_id, "text": "via the control API"},
    )
    message_id = response.json()["result"]
    assert clubos_sandbox.list_ids(demo.CLUB_LOCATION_ID)[0] == message_id
    browser.get("/action/Dashboard/messages", headers=xhr_headers(browser))
    assert [(r.method, r.path) for r in clubos_sandbox.requests()] == [("GET", "/action/Dashboard/messages")]
    bad = httpx.post(f"{clubos_sandbox.url}/__sandbox__/control", json={"action": "stop_the_world"})
    assert bad.status_code == 400
    log = httpx.post(f"{clubos_sandbox.url}/__sandbox__/control", json={"action": "requests"}).json()["result"]
    assert log[0]["path"] == "/action/Dashboard/messages"


def test_control_page_makes_a_member_text_the_club(clubos_sandbox):
    page = httpx.get(f"{clubos_sandbox.url}/__sandbox__/")
    assert f'<option value="{DANA.clubos_id}">' in page.text
    response = httpx.post(
        f"{clubos_sandbox.url}/__sandbox__/inject", data={"member": DANA.clubos_id, "text": "from the page"}
    )
    assert response.status_code == 303
    top = clubos_sandbox.state.list_for(demo.CLUB_LOCATION_ID)[0]
    assert (top.member_id, top.body) == (DANA.clubos_id, "from the page")


def test_control_page_lists_what_staff_sent(clubos_sandbox, clubos_client):
    assert "Nothing yet" in httpx.get(f"{clubos_sandbox.url}/__sandbox__/").text
    clubos_client.send_message(member_id=DANA.clubos_id, channel=Channel.SMS, body="See you <soon> & well")
    page = httpx.get(f"{clubos_sandbox.url}/__sandbox__/").text
    assert "<td>Dana Reyes</td><td>Text</td><td>See you &lt;soon&gt; &amp; well</td><td>sent</td>" in page


def test_inject_command_posts_to_a_running_sandbox(clubos_sandbox):
    out = StringIO()
    call_command(
        "clubos_sandbox",
        "inject",
        "--member",
        str(DANA.clubos_id),
        "--text",
        "from the CLI",
        "--url",
        clubos_sandbox.url,
        stdout=out,
    )
    top = clubos_sandbox.state.list_for(demo.CLUB_LOCATION_ID)[0]
    assert top.body == "from the CLI"
    assert str(top.id) in out.getvalue()
    with pytest.raises(CommandError, match="no ClubOS person 1"):
        call_command("clubos_sandbox", "inject", "--member", "1", "--text", "x", "--url", clubos_sandbox.url)


def test_inject_command_without_a_sandbox_is_a_clear_error(unused_tcp_port):
    with pytest.raises(CommandError, match="no ClubOS sandbox answering"):
        call_command(
            "clubos_sandbox", "inject", "--member", "1", "--text", "x", "--url", f"http://127.0.0.1:{unused_tcp_port}"
        )


def test_bulk_seed_serves_a_five_thousand_item_list(clubos_sandbox, browser):
    ids = clubos_sandbox.bulk_seed(5000)
    assert ids == sorted(ids)
    listed = browser.post(
        "/action/Dashboard/messages", data={"userId": demo.CLUB_LOCATION_ID}, headers=xhr_headers(browser)
    )
    assert listed.text.count('class="delete-message') >= 5000


def test_the_command_serves_the_sandbox_until_stopped(unused_tcp_port, tmp_path):
    root = Path(__file__).resolve().parents[2]
    command = [sys.executable, "manage.py", "clubos_sandbox", "--port", str(unused_tcp_port)]
    env = {**os.environ, "CLUBOS_SANDBOX_DIR": str(tmp_path)}
    process = subprocess.Popen(command, cwd=root, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        assert process.stdout is not None
        first_line = process.stdout.readline()
        assert f"ClubOS sandbox on http://127.0.0.1:{unused_tcp_port}/" in first_line
        assert "sync login: clubroom.sync" in process.stdout.readline()
        page = httpx.get(f"http://127.0.0.1:{unused_tcp_port}/action/Login/view")
        assert 'id="loginForm"' in page.text
    finally:
        process.send_signal(signal.SIGINT)
        process.wait(timeout=10)
    assert process.returncode == 0


def test_the_command_reports_a_busy_port(clubos_sandbox):
    with pytest.raises(CommandError, match=f"cannot listen on 127.0.0.1:{clubos_sandbox.port}"):
        call_command("clubos_sandbox", "--port", str(clubos_sandbox.port))
