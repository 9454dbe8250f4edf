"""The ClubOS client over real HTTP against the sandbox: sessions, error signals, reads and sends."""

from __future__ import annotations

import logging

import pytest

from accounts import demo
from clubos.client import ClubOSClient, save_fields
from clubos.exceptions import (
    ClubOSAuthError,
    ClubOSBadRequest,
    ClubOSPageNotFound,
    ClubOSServerError,
    ClubOSSessionExpired,
    ClubOSUnavailable,
    ClubOSValidationError,
)
from clubos.sandbox import SYNC_ACCOUNT_ID
from clubos.sandbox.demo import UNLINKED_LEAD_ID
from clubos.types import Channel, Direction
from tests.fixtures.clubos_sandbox import SANDBOX_PASSWORD, SANDBOX_USERNAME

CLUB = demo.CLUB_LOCATION_ID
DANA = demo.MEMBERS[0]
ZOE = demo.MEMBERS[1]
LIST_PATH = "/action/Dashboard/messages"


def logins(sandbox) -> int:
    return len([r for r in sandbox.requests("/action/Login") if r.method == "POST"])


def client_for(sandbox, **kwargs) -> ClubOSClient:
    options = {"base_url": sandbox.url, "username": SANDBOX_USERNAME, "password": SANDBOX_PASSWORD}
    return ClubOSClient(**(options | kwargs))


# --- session ------------------------------------------------------------------------------------------
def test_logs_in_lazily_once_and_reuses_the_session(clubos_sandbox, clubos_client):
    assert clubos_sandbox.requests() == []
    owners = clubos_client.inbox_owners()
    clubos_client.inbox_list(owner_id=CLUB)
    clubos_client.inbox_list(owner_id=SYNC_ACCOUNT_ID)
    clubos_client.member_history(member_id=DANA.clubos_id)
    clubos_client.search_members(keyword="Dana")
    assert [(o.id, o.name) for o in owners] == [
        (CLUB, "Clubroom Riverside (club's shared messages)"),
        (SYNC_ACCOUNT_ID, "Clubroom Sync"),
    ]
    assert logins(clubos_sandbox) == 1
    assert clubos_client.logins == 1
    assert [r.path for r in clubos_sandbox.requests()[:3]] == [
        "/action/Login/view",
        "/action/Login",
        "/action/Dashboard/view",
    ]
    assert clubos_client.time_zone.key == "America/Chicago"


def test_from_settings_uses_the_clubos_settings(clubos_sandbox, settings):
    settings.CLUBOS_READ_TIMEOUT = 1.5
    with ClubOSClient.from_settings() as client:
        assert client.base_url == clubos_sandbox.url
        assert client.username == SANDBOX_USERNAME
        client.login()
    assert logins(clubos_sandbox) == 1


def test_wrong_password_is_a_clear_auth_error(clubos_sandbox):
    with client_for(clubos_sandbox, password="not-it") as client, pytest.raises(ClubOSAuthError) as caught:
        client.inbox_list(owner_id=CLUB)
    assert str(caught.value) == "ClubOS rejected the username or password"
    assert logins(clubos_sandbox) == 1  # no retry loop on a wrong password


def test_rejected_logins_are_auth_errors(clubos_sandbox, clubos_client):
    clubos_sandbox.reject_logins()
    with pytest.raises(ClubOSAuthError):
        clubos_client.login()


def test_session_expiring_mid_run_logs_in_again_once_and_the_call_succeeds(clubos_sandbox, clubos_client):
    first = clubos_client.inbox_list(owner_id=CLUB)
    clubos_sandbox.expire_sessions()
    again = clubos_client.inbox_list(owner_id=CLUB)
    history = clubos_client.member_history(member_id=DANA.clubos_id)
    assert [i.message_id for i in again.items] == [i.message_id for i in first.items]
    assert history.contact.first_name == "Dana"
    assert logins(clubos_sandbox) == 2
    assert clubos_client.logins == 2


def test_session_expiring_between_popup_and_save_sends_exactly_once(clubos_sandbox, clubos_client):
    clubos_client.login()
    clubos_sandbox.expire_sessions(after_requests=1)  # the popup is served, the save finds the session gone
    receipt = clubos_client.send_message(member_id=DANA.clubos_id, channel=Channel.SMS, body="See you at 6!")
    assert receipt.confirmation == "Dana Reyes has been texted."
    assert [s.response for s in clubos_sandbox.sends()] == [
        '<a href="/action/Delegate/61000100/url=/action/LeadProfile">Dana Reyes</a> has been texted.'
    ]
    assert logins(clubos_sandbox) == 2


def test_a_session_that_keeps_expiring_raises_session_expired(clubos_sandbox, clubos_client):
    clubos_sandbox.set_token_ttl(-1)  # every Bearer token is already stale
    with pytest.raises(ClubOSSessionExpired, match="again right after a fresh login"):
        clubos_client.inbox_list(owner_id=CLUB)
    assert logins(clubos_sandbox) == 2


def test_an_old_token_is_refreshed_before_the_call(clubos_sandbox, clubos_client):
    clubos_client.login()
    clubos_client.TOKEN_REFRESH_AFTER = 0.0
    clubos_client.inbox_list(owner_id=CLUB)
    assert len(clubos_sandbox.requests("/action/Login/refresh-api-v3-access-token")) == 1
    assert logins(clubos_sandbox) == 1


# --- error signals -------------------------------------------------------------------------------------
def test_oops_redirect_is_a_server_error(clubos_sandbox, clubos_client):
    clubos_sandbox.fail_next(LIST_PATH)
    with pytest.raises(ClubOSServerError, match="OOPS"):
        clubos_client.inbox_list(owner_id=CLUB)
    assert clubos_client.inbox_list(owner_id=CLUB).items  # the next call works again


def test_oops_on_login_is_a_server_error(clubos_sandbox, clubos_client):
    clubos_sandbox.fail_next("/action/Login", method="POST")
    with pytest.raises(ClubOSServerError):
        clubos_client.login()


def test_something_isnt_right_is_a_bad_request(clubos_client):
    with pytest.raises(ClubOSBadRequest, match="Something isn't right"):
        clubos_client.inbox_list(owner_id=42)  # not an owner this account can select


def test_page_not_found(clubos_client):
    clubos_client.login()
    with pytest.raises(ClubOSPageNotFound, match="/action/NoSuchPage"):
        clubos_client._page("/action/NoSuchPage")


def test_read_timeout_is_unavailable_with_the_configured_timeout(clubos_sandbox):
    clubos_sandbox.delay(LIST_PATH, seconds=1.0)
    with client_for(clubos_sandbox, read_timeout=0.2) as client, pytest.raises(ClubOSUnavailable) as caught:
        client.inbox_list(owner_id=CLUB)
    assert str(caught.value) == f"ClubOS at {clubos_sandbox.host}:{clubos_sandbox.port} did not answer within 0.2 s"


def test_unreachable_host_is_unavailable(unused_tcp_port):
    client = ClubOSClient(
        base_url=f"http://127.0.0.1:{unused_tcp_port}", username="u", password="p", connect_timeout=0.5
    )
    with client, pytest.raises(ClubOSUnavailable, match="unreachable"):
        client.login()


# --- reads -----------------------------------------------------------------------------------------------
def test_inbox_list_items_from_the_sandbox(clubos_sandbox, clubos_client):
    message_id = clubos_sandbox.inject(member_id=DANA.clubos_id, text="Running 5 min late & sorry 😅")
    listed = clubos_client.inbox_list(owner_id=CLUB)
    top = listed.items[0]
    assert (top.message_id, top.sender_name, top.snippet, top.from_owner) == (
        message_id, "Dana Reyes", "Running 5 min late & sorry 😅", False,
    )  # fmt: skip
    assert top.sent_at is not None
    assert listed.skipped == 0
    ids = [item.message_id for item in listed.items]
    assert ids == sorted(ids, reverse=True)
    assert {"Riley Chen", "Marcus Johnson", "Zoë Müller"} <= {item.sender_name for item in listed.items}
    last_year = [item for item in listed.items if item.sender_name == "Marcus Johnson" and item.from_owner]
    assert last_year[0].sent_at is not None
    assert last_year[0].sent_at.year in (top.sent_at.year - 1, top.sent_at.year)


def test_an_idle_poll_is_one_list_request(clubos_sandbox, clubos_client):
    first = clubos_client.inbox_list(owner_id=CLUB)
    clubos_sandbox.clear_requests()
    idle = clubos_client.inbox_list(owner_id=CLUB, newer_than=first.items[0].message_id)
    assert idle.items == []
    assert [(r.method, r.path) for r in clubos_sandbox.requests()] == [("GET", LIST_PATH)]
    assert clubos_sandbox.requests()[0].query.startswith("_=")  # cache-busted


def test_switching_owners_selects_the_owner_first(clubos_sandbox, clubos_client):
    clubos_client.inbox_list(owner_id=CLUB)
    own = clubos_client.inbox_list(owner_id=SYNC_ACCOUNT_ID)
    assert [item.sender_name for item in own.items] == ["Hiroshi Tanaka"]
    assert [r.method for r in clubos_sandbox.requests(LIST_PATH)] == ["POST", "POST"]


def test_legacy_markup_and_malformed_items_are_read_and_counted(clubos_sandbox, clubos_client):
    plain = clubos_client.inbox_list(owner_id=CLUB)
    clubos_sandbox.set_legacy_markup()
    clubos_sandbox.set_malformed_items(4)
    odd = clubos_client.inbox_list(owner_id=CLUB)
    assert odd.items == plain.items
    assert odd.skipped == 4


def test_member_history_from_the_sandbox(clubos_client):
    history = clubos_client.member_history(member_id=DANA.clubos_id)
    assert history.contact.member_id == DANA.clubos_id
    assert history.contact.email == DANA.email
    assert history.contact.can_text is True
    directions = [(e.direction, e.body) for e in history.entries]
    assert directions[:4] == [
        (Direction.INBOUND, "Great, thanks!"),
        (Direction.SYSTEM, "Guest pass policy explained"),
        (Direction.OUTBOUND, "Sure! Guests are free on weekends, just sign the waiver at the desk."),
        (Direction.INBOUND, "Can I bring a friend on Saturday? 😊"),
    ]
    assert history.skipped == 0


def test_search_members(clubos_client):
    results = clubos_client.search_members(keyword="dana")
    assert [(r.id, r.full_name, r.role_id) for r in results] == [
        (DANA.clubos_id, "Dana Reyes", 7),
        (demo.MEMBERS[5].clubos_id, "Dana Whitfield", 7),
    ]
    assert results[0].email == DANA.email
    lead = clubos_client.search_members(keyword="Riley Chen")
    assert [(r.id, r.role_id) for r in lead] == [(UNLINKED_LEAD_ID, 99)]
    assert clubos_client.search_members(keyword="zzz-nobody") == []


def test_delegate_acts_as_the_member_and_back(clubos_sandbox, clubos_client):
    clubos_client.delegate(user_id=DANA.clubos_id)
    session = next(iter(clubos_sandbox.state.sessions.values()))
    assert session.delegated_user_id == DANA.clubos_id
    assert clubos_client.member_history(member_id=DANA.clubos_id).contact.member_id == DANA.clubos_id
    clubos_client.delegate(user_id=0)
    assert session.delegated_user_id == SYNC_ACCOUNT_ID
    assert logins(clubos_sandbox) == 1


# --- sends -------------------------------------------------------------------------------------------------
def test_sms_reaches_the_sandbox_with_the_profile_unchanged(clubos_sandbox, clubos_client):
    before = clubos_sandbox.member_profile(DANA.clubos_id)
    clubos_client.login()
    popup_fields = clubos_client._popup(DANA.clubos_id)
    receipt = clubos_client.send_message(member_id=DANA.clubos_id, channel=Channel.SMS, body="Your “PT” is at 7 😊")
    assert (receipt.member_id, receipt.channel, receipt.confirmation) == (
        DANA.clubos_id, Channel.SMS, "Dana Reyes has been texted.",
    )  # fmt: skip
    (sent,) = clubos_sandbox.sends()
    assert sent.action == 3
    assert sent.profile_after == sent.profile_before == before
    posted = dict(sent.form)
    assert posted["textMessage"] == "Your “PT” is at 7 😊"
    assert posted["followUpLog.followUpAction"] == "3"
    assert posted["followUpLog.outcome"] == "2"
    # every field of the popup was posted, and only the message fields differ
    message_fields = {
        "followUpLog.followUpAction",
        "followUpLog.outcome",
        "textMessage",
        "emailMessage",
        "emailSubject",
    }
    for name, value in [*popup_fields.contact_fields, *popup_fields.outcome_fields]:
        assert name in posted
        if name not in message_fields and name not in ("_sourcePage", "__fp"):
            assert posted[name] == value, name
    assert [v for n, v in sent.form if n == "_sourcePage"] == [
        v for n, v in [*popup_fields.contact_fields, *popup_fields.outcome_fields] if n == "_sourcePage"
    ]
    history = clubos_client.member_history(member_id=DANA.clubos_id)
    assert (history.entries[1].direction, history.entries[1].body) == (Direction.OUTBOUND, "Your “PT” is at 7 😊")
    top = clubos_client.inbox_list(owner_id=SYNC_ACCOUNT_ID).items[0]
    assert (top.message_id, top.from_owner, top.sender_name) == (sent.message_id, True, "Dana Reyes")


def test_email_reaches_the_sandbox_as_html_with_the_profile_unchanged(clubos_sandbox, clubos_client):
    before = clubos_sandbox.member_profile(ZOE.clubos_id)
    receipt = clubos_client.send_message(
        member_id=ZOE.clubos_id,
        channel=Channel.EMAIL,
        subject="Pool hours",
        body="Open 6–22.\n\nBring <goggles> & a cap",
    )
    assert receipt.confirmation == "Zoë Müller has been emailed."
    (sent,) = clubos_sandbox.sends()
    assert sent.action == 2
    assert sent.profile_after == sent.profile_before == before
    posted = dict(sent.form)
    assert posted["emailSubject"] == "Pool hours"
    assert posted["emailMessage"] == "<p>Open 6–22.</p><p>Bring &lt;goggles&gt; &amp; a cap</p>"
    assert posted["textMessage"] == ""
    entry = clubos_client.member_history(member_id=ZOE.clubos_id).entries[1]
    assert (entry.channel, entry.direction, entry.body) == (
        Channel.EMAIL,
        Direction.OUTBOUND,
        "Open 6–22.\nBring <goggles> & a cap",
    )


def test_error_answer_is_a_validation_error(clubos_sandbox, clubos_client):
    with pytest.raises(ClubOSValidationError, match="Please enter a text message"):
        clubos_client.send_message(member_id=DANA.clubos_id, channel=Channel.SMS, body="   ")
    assert clubos_sandbox.member_profile(DANA.clubos_id)["email"] == DANA.email


def test_a_member_who_cannot_receive_texts_is_refused_before_any_save(clubos_sandbox, clubos_client):
    clubos_sandbox.set_dnc(DANA.clubos_id)
    with pytest.raises(ClubOSValidationError, match="cannot receive texts"):
        clubos_client.send_message(member_id=DANA.clubos_id, channel=Channel.SMS, body="hi")
    assert clubos_sandbox.sends() == []


def test_only_sms_and_email_can_be_sent(clubos_client):
    with pytest.raises(ValueError, match="only send SMS or email"):
        clubos_client.send_message(member_id=DANA.clubos_id, channel=Channel.CALL, body="hi")


def test_save_fields_override_only_the_message_fields():
    contact = [("followUpUser.tfoUserId", "5"), ("followUpUser.email", "a@b.c"), ("_sourcePage", "S1"), ("__fp", "F1")]
    outcome = [("followUpLog.followUpAction", "1"), ("textMessage", ""), ("textMessage", "dup"), ("_sourcePage", "S2")]
    fields = save_fields(contact_fields=contact, outcome_fields=outcome, member_id=5, channel=Channel.SMS, body="hey")
    assert fields[:6] == [
        ("followUpUser.tfoUserId", "5"),
        ("followUpUser.email", "a@b.c"),
        ("_sourcePage", "S1"),
        ("__fp", "F1"),
        ("followUpLog.followUpAction", "3"),
        ("textMessage", "hey"),
    ]
    assert ("_sourcePage", "S2") in fields
    assert [name for name, _ in fields].count("textMessage") == 1
    assert dict(fields)["followUpLog.outcome"] == "2"
    assert dict(fields)["followUpUser.role.id"] == "7"


# --- secrets --------------------------------------------------------------------------------------------------
def test_no_password_or_token_in_the_logs(clubos_sandbox, caplog):
    for name in ("", "clubos", "httpx", "httpcore"):
        caplog.set_level(logging.DEBUG, logger=name)
    with client_for(clubos_sandbox) as client:
        client.inbox_list(owner_id=CLUB)
        clubos_sandbox.expire_sessions()
        client.send_message(member_id=DANA.clubos_id, channel=Channel.SMS, body="hello")
        secrets = [SANDBOX_PASSWORD, client._cookie("apiV3AccessToken"), client._cookie("JSESSIONID")]
    with client_for(clubos_sandbox, password="wrong-secret-123") as client, pytest.raises(ClubOSAuthError):
        client.login()
    assert "logged in" in caplog.text  # the logs are there…
    for secret in [*secrets, "wrong-secret-123"]:
        assert secret
        assert secret not in caplog.text  # …without a secret in them
