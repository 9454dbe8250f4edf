"""Parsers over saved ClubOS HTML samples (tests/clubos/fixtures/) with a fixed `now`."""

from __future__ import annotations

from datetime import UTC, datetime
from html import escape
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from accounts import demo
from clubos import parsers
from clubos.exceptions import ClubOSProtocolError
from clubos.sandbox import SandboxState, pages
from clubos.sandbox import demo as sandbox_demo
from clubos.types import Channel, Direction, MemberContact

FIXTURES = Path(__file__).parent / "fixtures"
CHICAGO = ZoneInfo("America/Chicago")
NOW = datetime(2026, 1, 10, 17, 0, tzinfo=UTC)  # 11:00 AM in Chicago (CST, UTC-6)


def sample(name: str) -> str:
    return (FIXTURES / name).read_text(encoding="utf-8")


def utc(year: int, month: int, day: int, hour: int = 0, minute: int = 0, second: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, second, tzinfo=UTC)


# --- inbox list -------------------------------------------------------------------------------------
@pytest.fixture
def inbox():
    return parsers.parse_inbox_list(sample("inbox_list.html"), owner_id=1512, now=NOW, tz=CHICAGO)


def test_inbox_list_keeps_the_good_items_newest_first_and_counts_the_malformed(inbox):
    assert inbox.owner_id == 1512
    assert [item.message_id for item in inbox.items] == [130826630, 130826629, 130826601, 130826580, 130826000]
    # placeholder <li> without ids, no sender, non-numeric id, an item cut off mid-markup
    assert inbox.skipped == 4


def test_inbox_list_reads_both_sender_markups(inbox):
    names = [item.sender_name for item in inbox.items]
    assert names[0] == "Dana Reyes"  # h3 > span.username-content
    assert names[2] == "Seán O'Connor"  # legacy h3 > a.username-content, entity-escaped


def test_inbox_snippets_are_entity_decoded_with_emoji_and_curly_quotes(inbox):
    snippets = [item.snippet for item in inbox.items]
    assert snippets[0] == "Can I bring a friend on Saturday? 😊"
    assert snippets[1] == "Sure! Guests are free on weekends & holidays."
    assert snippets[2] == "Is the “rugby” class still on? It’s my favourite <3"
    assert snippets[3] == "Type message here..."  # the placeholder text as real content


def test_inbox_direction_by_reply_anchor(inbox):
    assert [item.from_owner for item in inbox.items] == [False, True, False, False, True]


def test_inbox_times_from_created_date_else_the_date_cell(inbox):
    times = [item.sent_at for item in inbox.items]
    assert times[0] == utc(2026, 1, 10, 15, 5, 12)  # data-created-date, UTC
    assert times[1] == utc(2026, 1, 10, 14, 47)  # "8:47 AM" today, club time (CST)
    assert times[3] == utc(2026, 1, 7, 6, 0)  # unreadable created-date: "Jan 7" at club midnight
    assert times[4] == utc(2025, 12, 30, 6, 0)  # "Dec 30" would be in the future: last year


def test_inbox_list_stops_at_the_watermark():
    html = sample("inbox_list.html")
    newer = parsers.parse_inbox_list(html, owner_id=1512, now=NOW, tz=CHICAGO, newer_than=130826601)
    assert [item.message_id for item in newer.items] == [130826630, 130826629]
    idle = parsers.parse_inbox_list(html, owner_id=1512, now=NOW, tz=CHICAGO, newer_than=130826630)
    assert idle.items == []
    # Below the watermark nothing is parsed, yet every item is counted: the five complete ones as
    # older, the four broken ones (placeholder, no sender, id "n/a", cut off) as skipped, every run.
    assert (idle.older, idle.skipped) == (5, 4)


def test_a_broken_item_with_a_low_id_does_not_stop_the_watermark_scan():
    broken = '<li><div class="message"><h3></h3></div><a class="delete-message delete-row" data-id="1"></a></li>\n'
    html = sample("inbox_list.html").replace("<ul>\n", "<ul>\n" + broken, 1)
    newer = parsers.parse_inbox_list(html, owner_id=1512, now=NOW, tz=CHICAGO, newer_than=130826601)
    assert [item.message_id for item in newer.items] == [130826630, 130826629]
    # The broken item and the placeholder above the watermark, and three broken ones below it.
    assert (newer.skipped, newer.older) == (5, 3)


@pytest.mark.parametrize(
    ("html", "skipped"),
    [
        ("\n\n<ul>\n</ul>\n", 0),
        ('<ul><li class="placeholder"></li><li></li></ul>', 2),
        ("<ul><li><div class='message'><p>only text</p></div></li></ul>", 1),
    ],
)
def test_inbox_list_never_crashes_on_empty_or_broken_fragments(html, skipped):
    result = parsers.parse_inbox_list(html, owner_id=1, now=NOW, tz=CHICAGO)
    assert result.items == []
    assert result.skipped == skipped


@pytest.mark.parametrize(
    "html", ["", "Session Expired", "<html><body><h1>Down for maintenance</h1></body></html>", "\x00\x13garbage"]
)
def test_a_page_without_list_markup_is_not_an_empty_inbox(html):
    with pytest.raises(ClubOSProtocolError, match="has no list markup"):
        parsers.parse_inbox_list(html, owner_id=1, now=NOW, tz=CHICAGO)


# --- dates ------------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("cell", "now", "expected"),
    [
        ("Jan 10", NOW, utc(2026, 1, 10, 6, 0)),  # today as a date
        ("Jan 11", NOW, utc(2025, 1, 11, 6, 0)),  # tomorrow cannot be: last year
        ("Dec 31", NOW, utc(2025, 12, 31, 6, 0)),
        ("Oct 28\n", NOW, utc(2025, 10, 28, 5, 0)),  # last October was still daylight time (CDT)
        ("Feb 29", utc(2027, 3, 1, 12), utc(2024, 2, 29, 6, 0)),  # the latest Feb 29 not in the future
        ("9:05 AM", NOW, utc(2026, 1, 10, 15, 5)),  # today, CST
        ("9:05 AM", utc(2026, 7, 4, 17), utc(2026, 7, 4, 14, 5)),  # today, CDT
        ("12:30 AM", NOW, utc(2026, 1, 10, 6, 30)),
        ("12:15 PM", NOW, utc(2026, 1, 10, 18, 15)),
        ("11:50 PM", utc(2026, 1, 11, 5, 0), utc(2026, 1, 11, 5, 50)),  # 11 PM in Chicago is tomorrow in UTC
        ("someday", NOW, None),
        ("Foo 3", NOW, None),
    ],
)
def test_list_date_cell_year_inference_and_club_time(cell, now, expected):
    assert parsers.parse_list_date(cell, now=now, tz=CHICAGO) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Mon Oct 28 15:57:38 UTC 2024", utc(2024, 10, 28, 15, 57, 38)),
        ("Mon Oct 28 10:57:38 CDT 2024", utc(2024, 10, 28, 15, 57, 38)),
        ("Thu Feb 30 10:00:00 UTC 2024", None),
        ("Mon Oct 28 15:57:38 XYZ 2024", None),
        ("", None),
    ],
)
def test_java_dates(text, expected):
    assert parsers.parse_java_date(text) == expected


# --- conversation history ---------------------------------------------------------------------------
@pytest.fixture
def popup():
    return parsers.parse_followup_popup(sample("followup_popup.html"), tz=CHICAGO)


def test_popup_contact_fields(popup):
    assert popup.history.contact == MemberContact(
        member_id=61000100,
        first_name="Dana",
        last_name="Reyes",
        email="dana.reyes@members.example",
        mobile_phone="+13125551000",
        home_phone="(312) 555-7788",
        work_phone="",
        can_text=True,
    )


def test_history_entries_newest_first_with_channel_direction_and_time(popup):
    summary = [(e.occurred_at, e.author, e.channel, e.direction) for e in popup.history.entries]
    assert summary == [
        (utc(2026, 1, 10, 15, 5), "Dana R.", Channel.SMS, Direction.INBOUND),
        (utc(2026, 1, 10, 14, 47), "Sam O.", Channel.NOTE, Direction.SYSTEM),  # the duplicate staff note
        (utc(2026, 1, 10, 14, 47), "Sam O.", Channel.SMS, Direction.OUTBOUND),
        (utc(2026, 11, 1, 6, 30), "Dana R.", Channel.EMAIL, Direction.INBOUND),  # ambiguous 1:30: first (CDT)
        (utc(2026, 3, 8, 8, 30), "Jo L.", Channel.EMAIL, Direction.OUTBOUND),  # after the spring change: CDT
        (utc(2026, 3, 8, 7, 30), "System I.", Channel.NOTE, Direction.SYSTEM),  # before it: CST
        (utc(2026, 2, 2, 18, 15), "Sam O.", Channel.CALL, Direction.OUTBOUND),
        (utc(2026, 1, 2, 6, 0), "Jo L.", Channel.SMS, Direction.OUTBOUND),
    ]
    assert popup.history.skipped == 2  # an unreadable date, an entry without its note


def test_history_bodies_are_decoded_stripped_of_left_message_prefixes_and_html(popup):
    bodies = [e.body for e in popup.history.entries]
    assert bodies[0] == "Can I bring a friend on Saturday? 😊\nTwo of us & a toddler"
    assert bodies[1] == "Guest pass policy explained"
    assert bodies[2] == "Sure! Guests are free on weekends & holidays."
    assert bodies[3] == "Hi,\nIs the pool open on Thanksgiving & after?"
    assert bodies[4] == "Your class moved to Studio 2.\nSee you!"
    assert bodies[6] == "renewal reminder"
    assert bodies[7] == "Thanks for visiting!"


def test_popup_forms_serialise_like_a_browser(popup):
    assert popup.contact_fields == [
        ("followUpUser.tfoUserId", "61000100"),
        ("followUpUser.role.id", "7"),
        ("followUpUser.clubId", "1156"),
        ("followUpUser.clubLocationId", "1512"),
        ("followUpUser.firstName", "Dana"),
        ("followUpUser.lastName", "Reyes"),
        ("followUpUser.email", "dana.reyes@members.example"),
        ("followUpUser.mobilePhone", "+13125551000"),
        ("followUpUser.homePhone", "(312) 555-7788"),
        ("followUpUser.workPhone", ""),
        ("followUpUser.gender", "F"),
        ("followUpUser.emailOptIn", "true"),  # checked; the unchecked box and the disabled field are left out
        ("_sourcePage", "contact-source"),
        ("__fp", "contact-fp"),
    ]
    assert dict(popup.outcome_fields)["followUpLog.followUpAction"] == "1"  # the selected option
    assert dict(popup.outcome_fields)["followUpLog.outcome"] == ""  # no selection: the first option
    assert popup.outcome_fields[-2:] == [("_sourcePage", "outcome-source"), ("__fp", "outcome-fp")]


@pytest.mark.parametrize(
    ("old", "new"),
    [
        ('"dncStatus":"OK"', '"dncStatus":"DNC"'),
        (
            'value="+13125551000" /></label>',
            'value="+13125551000" /><span class="invalidMobile">Invalid</span></label>',
        ),
        ('name="followUpUser.mobilePhone" value="+13125551000"', 'name="followUpUser.mobilePhone" value=""'),
    ],
)
def test_a_member_who_cannot_receive_texts(old, new):
    html = sample("followup_popup.html")
    assert old in html
    history = parsers.parse_member_history(html.replace(old, new), tz=CHICAGO)
    assert history.contact.can_text is False


def test_a_member_whose_name_was_wiped_is_named_from_the_heading():
    html = sample("followup_popup.html").replace('value="Dana"', 'value=""').replace('value="Reyes"', 'value=""')
    contact = parsers.parse_member_history(html, tz=CHICAGO).contact
    assert (contact.first_name, contact.last_name) == ("Dana", "Reyes")


_TRICKY_ENTRY = """<div class="followup-entry note-type-lead ">
 <div class="followup-entry-date"><p>1/9/26 @ 10:15 PM</p><!-- by Nobody --><span> by</span> <b>Dana R.</b></div>
 <div class="followup-entry-note"><!-- a comment --><img src="/images/general/icon_text.png"> first line <br/>
   <i>second</i> &nbsp; line&#10;third<br><script>var x = "not text";</script><style>p {}</style>  &lt;ok&gt;
   <pre>  kept
   as is  </pre> 	 </div>
</div>
<div class="followup-entry"><div class="followup-entry-date"><p>1/9/26 @ 10:15 PM by Sam O.</p></div></div>
<div class="followup-entry"><p>no date at all</p><div class="followup-entry-note">orphan</div></div>
<div class="followup-entry note-type-lead ">
 <div class="followup-entry-date">1/9/26 @ 09:00 PM by Dana R.</div>
 <div class="followup-entry-note"><span><img src="/images/general/icon_email.png"></span>
   &lt;div&gt;Hi&lt;br&gt;there&lt;/div&gt;</div>
 <div class="followup-entry note-type-lead "><div class="followup-entry-date">1/9/26 @ 08:00 PM by Dana R.</div>
 <div class="followup-entry-note">nested, no icon</div></div>
</div>
"""


def _sandbox_popups() -> list[str]:
    state = SandboxState(username="u", password="p", seed_inbox=sandbox_demo.seed_inbox)
    session = state.new_session()
    return [pages.followup_popup(state, session, state.people[m.clubos_id]) for m in demo.MEMBERS]


@pytest.mark.parametrize(
    "html",
    [
        sample("followup_popup.html"),
        sample("followup_popup.html").replace('value="Dana"', 'value=""').replace('value="Reyes"', 'value=""'),
        sample("followup_popup.html").replace('"dncStatus":"OK"', '"dncStatus":"DNC"'),
        sample("followup_popup.html").replace('<div id="follow-up-log">', '<div id="follow-up-log">' + _TRICKY_ENTRY),
        sample("followup_popup.html").replace('<div id="follow-up-log">', '<div id="no-log">'),
        *_sandbox_popups(),
    ],
)
def test_the_syncs_history_parser_reads_exactly_what_the_popup_parser_reads(html):
    fast = parsers.parse_member_history(html, tz=CHICAGO, member_id=7)
    assert fast == parsers.parse_followup_popup(html, tz=CHICAGO, member_id=7).history
    assert fast.contact.first_name


@pytest.mark.parametrize("html", ["", "   ", "<div>nothing</div>", "<form id='saveFollowUpContact'></form>"])
def test_a_history_without_the_popups_forms_is_a_protocol_error(html):
    with pytest.raises(ClubOSProtocolError, match="follow-up popup"):
        parsers.parse_member_history(html, tz=CHICAGO)


def test_a_popup_without_its_forms_is_a_protocol_error():
    with pytest.raises(ClubOSProtocolError, match="follow-up popup"):
        parsers.parse_followup_popup("<div>nothing</div>", tz=CHICAGO)


# --- login, dashboard, search, saves ------------------------------------------------------------------
LOGIN = sample("login_page.html")


def test_login_page_tokens_come_from_the_login_form_only():
    page = parsers.parse_login_page(LOGIN)
    assert page.action == "/action/Login;jsessionid=0123456789ABCDEF0123456789ABCDEF"
    assert page.fields == [
        ("login", "Submit"),
        ("username", ""),
        ("password", ""),
        ("_sourcePage", "SRC"),
        ("__fp", "FP"),
    ]
    assert page.error_shown is False
    assert parsers.parse_login_page(LOGIN.replace(' style="display: none;">Username', ">Username")).error_shown is True


def test_login_page_without_tokens_is_a_protocol_error():
    with pytest.raises(ClubOSProtocolError, match="Stripes tokens"):
        parsers.parse_login_page(LOGIN.replace('name="__fp" value="FP"', 'name="other" value="FP"'))


def test_dashboard_context_owners_and_search_tokens():
    html = sample("dashboard.html")
    dashboard = parsers.parse_dashboard(html)
    assert (dashboard.club_id, dashboard.club_location_id, dashboard.user_id) == (1156, 1512, 187000009)
    assert dashboard.time_zone == "America/Denver"
    assert [(o.id, o.name) for o in dashboard.owners] == [
        (1512, "Club's shared messages"),
        (187000009, "Clubroom Sync"),
    ]
    assert dashboard.search_fields == [("actAs", "loggedIn"), ("_sourcePage", "S"), ("__fp", "F")]


def test_search_results():
    html = sample("search_results.html")
    results = parsers.parse_search_results(html)
    assert [(r.id, r.full_name, r.role_id, r.location_id, r.email, r.phone) for r in results] == [
        (61000100, "Dana Reyes", 7, 1512, "dana@example.com", "(312) 555-1000"),
        (187000002, "Sam Okafor", 5, None, "", ""),
    ]


@pytest.mark.parametrize(
    ("text", "ok", "verb", "message"),
    [
        ('<a href="/action/Delegate/61000100/url=/action/LeadProfile">Dana Reyes</a> has been texted.', True, "texted",
         "Dana Reyes has been texted."),
        ('<a href="/action/Delegate/1/url=/action/LeadProfile">Zoë Müller</a> has been emailed.', True, "emailed",
         "Zoë Müller has been emailed."),
        ("ERROR - Please enter a text message.", False, "", "Please enter a text message."),
    ],
)  # fmt: skip
def test_save_responses(text, ok, verb, message):
    outcome = parsers.parse_save_response(text)
    assert outcome == parsers.SaveOutcome(ok=ok, verb=verb, message=message)


def test_an_unknown_save_response_is_none():
    assert parsers.parse_save_response("<html>whatever</html>") is None


def test_error_signals():
    assert parsers.is_session_expired_body("Session Expired\n")
    assert not parsers.is_session_expired_body("<p>Session Expired soon</p>")
    assert parsers.is_something_not_right(
        "<br />Something isn't right.  Please refresh the page and try your request again.<br />"
    )
    assert parsers.is_login_page(LOGIN)
    assert parsers.is_oops_page("<html><title>Club OS</title><h1>OOPS! OUR SERVERS MUST HAVE SKIPPED LEG DAY…</h1>")
    assert parsers.is_not_found_page("<!DOCTYPE html><title>Club OS</title><h1>PAGE NOT FOUND</h1>")


def test_a_member_quoting_a_signal_does_not_make_the_list_a_signal():
    quoted = 'Session Expired? OOPS! OUR SERVERS… PAGE NOT FOUND <title>Club OS</title> id="loginForm"'
    html = sample("inbox_list.html").replace("Type message here...", escape(quoted) + " Something isn't right")
    for check in (
        parsers.is_session_expired_body,
        parsers.is_something_not_right,
        parsers.is_login_page,
        parsers.is_oops_page,
        parsers.is_not_found_page,
    ):
        assert not check(html), check.__name__
    items = parsers.parse_inbox_list(html, owner_id=1, now=NOW, tz=CHICAGO).items
    assert items[3].snippet == quoted + " Something isn't right"
    tiny = "\n\n<ul><li><div class='message'><p>Something isn't right with the sauna</p></div></li></ul>"
    assert not parsers.is_something_not_right(tiny)


# --- the canonical fast path ----------------------------------------------------------------------------
def test_the_fast_path_for_canonical_items_agrees_with_beautifulsoup():
    state = SandboxState(username="u", password="p", seed_inbox=sandbox_demo.seed_inbox)
    dana = demo.MEMBERS[0].clubos_id
    for text in (
        "a & b <c> \"d\" 'e'",
        "line 1\r\nline 2\n",
        "&nbsp; &amp; &#128522; literally",
        "  padded  ",
        "😊 “x”",
    ):
        state.inject(member_id=dana, text=text)
    state.inject(member_id=dana, text="<p>Hello <b>there</b> &amp; welcome</p>", email=True, subject="s")
    state.bulk_seed(20)
    chunks = list(parsers._split_items(pages.inbox_list_fragment(state, demo.CLUB_LOCATION_ID)))
    fast = [parsers._canonical_item(chunk, now=NOW, tz=CHICAGO) for chunk in chunks]
    assert None not in fast  # the sandbox serves the canonical markup: every item takes the fast path
    assert fast == [parsers.parse_inbox_item_soup(chunk, now=NOW, tz=CHICAGO) for chunk in chunks]
    taken = 0
    for chunk in parsers._split_items(sample("inbox_list.html")):
        item = parsers._canonical_item(chunk, now=NOW, tz=CHICAGO)
        if item is not None:
            taken += 1
            assert item == parsers.parse_inbox_item_soup(chunk, now=NOW, tz=CHICAGO)
    assert taken == 3  # the legacy, odd and broken items of the sample go through BeautifulSoup


def test_the_fast_path_skips_legacy_markup():
    state = SandboxState(username="u", password="p", seed_inbox=sandbox_demo.seed_inbox)
    state.legacy_markup = True
    chunks = list(parsers._split_items(pages.inbox_list_fragment(state, demo.CLUB_LOCATION_ID)))
    assert chunks
    assert all(parsers._canonical_item(chunk, now=NOW, tz=CHICAGO) is None for chunk in chunks)
    assert all(parsers.parse_inbox_item(chunk, now=NOW, tz=CHICAGO) is not None for chunk in chunks)


CANONICAL_ITEM = """<li>
 <span><img src="https://assets.club-os.com/profile/50_img_profile_male.gif" alt="User's profile image"></span>
 <div class="message">
  <h3><img title="Member" alt="Member icon" src="x.png"><span class="username-content">Dana Reyes</span></h3>
  <p>%s</p>
 </div>
 <div class="message-options">
  <span>Oct 28
</span><br>
  <span class="icon-btn-content">
   <a class="delete-message delete-row" href="#" data-id="5"></a>
  </span>
 </div>
</li>"""


@pytest.mark.parametrize(
    "snippet",
    ["&#13;x", "&#0;x", "&#x110000;", "&bogus;", "&amp", "&nbsp", "a&copy", "&#128522", "\x00", "&#150;", "\r\n", " "],
)
def test_the_fast_path_decodes_odd_character_data_like_beautifulsoup(snippet):
    chunk = CANONICAL_ITEM % snippet
    fast = parsers._canonical_item(chunk, now=NOW, tz=CHICAGO)
    assert fast is not None
    assert fast == parsers.parse_inbox_item_soup(chunk, now=NOW, tz=CHICAGO)
