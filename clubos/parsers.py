"""Pure functions from ClubOS HTML to clubos.types dataclasses (no HTTP, no Django, no clock).

Everything that depends on "now" takes it as an argument, so year inference is testable. Malformed
items are skipped and counted, never raised: one broken `<li>` must not stop a sync.
"""

from __future__ import annotations

import json
import logging
import re
from bisect import bisect_right
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta, timezone
from html import unescape
from zoneinfo import ZoneInfo

from bs4 import BeautifulSoup, Tag
from lxml import etree
from lxml import html as lxml_html

from clubos.exceptions import ClubOSProtocolError
from clubos.types import (
    Channel,
    Direction,
    HistoryEntry,
    InboxItem,
    InboxList,
    InboxOwner,
    MemberContact,
    MemberHistory,
    MemberSearchResult,
)

logger = logging.getLogger(__name__)

PARSER = "lxml"
SOMETHING_NOT_RIGHT = "Something isn't right"
SESSION_EXPIRED = "Session Expired"
OOPS_MARKER = "OOPS! OUR SERVERS"
NOT_FOUND_MARKER = "PAGE NOT FOUND"

FormFields = list[tuple[str, str]]


# --- signals ----------------------------------------------------------------------------------------
# The signal pages are small whole pages; data (a 4 MB list, a popup) are fragments. Looking only at the
# head of whole pages keeps checks cheap and stops a member who texts "OOPS! OUR SERVERS…" from
# passing for an error page.
_SIGNAL_HEAD = 64 * 1024


def _page_head(text: str) -> str | None:
    """The head of a whole HTML page, or None for a fragment."""
    start = text[:2048].lstrip().lower()
    return text[:_SIGNAL_HEAD] if start.startswith(("<!doctype", "<html")) or "<title" in start else None


def is_session_expired_body(text: str) -> bool:
    return len(text) < 100 and text.strip() == SESSION_EXPIRED


def is_something_not_right(text: str) -> bool:
    start = text[:100].lstrip()
    return start.startswith(SOMETHING_NOT_RIGHT) or start.replace("<br/>", "<br />").startswith(
        "<br />" + SOMETHING_NOT_RIGHT
    )


def is_login_page(text: str) -> bool:
    head = _page_head(text)
    return head is not None and ('id="loginForm"' in head or "id='loginForm'" in head)


def is_oops_page(text: str) -> bool:
    head = _page_head(text)
    return head is not None and OOPS_MARKER in head.upper()


def is_not_found_page(text: str) -> bool:
    head = _page_head(text)
    return head is not None and NOT_FOUND_MARKER in head and "<title>Club OS" in head


# --- forms ------------------------------------------------------------------------------------------
def serialize_form(form: Tag) -> FormFields:
    """The fields a browser (jQuery's serialize) would submit: every successful control, in order."""
    pairs: FormFields = []
    for control in form.find_all(["input", "select", "textarea"]):
        name = control.get("name")
        if not name or control.has_attr("disabled"):
            continue
        if control.name == "input":
            kind = str(control.get("type", "text")).lower()
            if kind in ("submit", "button", "reset", "image", "file"):
                continue
            if kind in ("checkbox", "radio"):
                if control.has_attr("checked"):
                    pairs.append((str(name), str(control.get("value", "on"))))
                continue
            pairs.append((str(name), str(control.get("value", ""))))
        elif control.name == "select":
            options = control.find_all("option")
            chosen = [o for o in options if o.has_attr("selected")]
            if not chosen and options and not control.has_attr("multiple"):
                chosen = options[:1]
            pairs.extend((str(name), str(o.get("value", o.get_text()))) for o in chosen)
        else:
            pairs.append((str(name), control.get_text()))
    return pairs


@dataclass(frozen=True)
class LoginPage:
    action: str
    fields: FormFields  # hidden fields (login=Submit, _sourcePage, __fp) and the blank username/password
    error_shown: bool  # li.error.incorrect visible: the last login was rejected


def parse_login_page(html: str) -> LoginPage:
    soup = BeautifulSoup(html, PARSER)
    form = soup.find("form", id="loginForm")
    if not isinstance(form, Tag):
        raise ClubOSProtocolError("ClubOS's login page has no login form")
    fields = serialize_form(form)
    names = {name for name, _ in fields}
    if not {"_sourcePage", "__fp"} <= names:
        raise ClubOSProtocolError("ClubOS's login form has no Stripes tokens (_sourcePage/__fp)")
    error = form.select_one("li.error.incorrect")
    error_shown = error is not None and "display: none" not in str(error.get("style", "")).replace(
        "display:none", "display: none"
    )
    return LoginPage(action=str(form.get("action") or "/action/Login"), fields=fields, error_shown=error_shown)


@dataclass(frozen=True)
class Dashboard:
    club_id: int | None
    club_location_id: int | None
    user_id: int | None
    logged_in_user_id: int | None
    time_zone: str | None
    owners: list[InboxOwner]
    search_fields: FormFields = field(default_factory=list)  # the user search form's tokens (_sourcePage/__fp)


def _script_int(html: str, name: str) -> int | None:
    match = re.search(rf"\b{name}\s*=\s*['\"]?(\d+)", html)
    return int(match.group(1)) if match else None


def parse_dashboard(html: str) -> Dashboard:
    soup = BeautifulSoup(html, PARSER)
    owners: list[InboxOwner] = []
    select = soup.find("select", id="messages-owner-select")
    if isinstance(select, Tag):
        for option in select.find_all("option"):
            try:
                owners.append(
                    InboxOwner(id=int(str(option.get("value", "")).strip()), name=option.get_text(strip=True))
                )
            except ValueError:
                continue
    search_fields: FormFields = []
    for form in soup.find_all("form"):
        if "UserSearch" in str(form.get("action", "")):
            search_fields = [(n, v) for n, v in serialize_form(form) if n in ("_sourcePage", "__fp", "actAs")]
            break
    tz_match = re.search(r"loggedInUserTimezone\s*=\s*['\"]([^'\"]+)['\"]", html)
    return Dashboard(
        club_id=_script_int(html, "CLUB_ID"),
        club_location_id=_script_int(html, "CLUB_LOCATION_ID"),
        user_id=_script_int(html, "USER_ID"),
        logged_in_user_id=_script_int(html, "LOGGED_IN_USER_ID"),
        time_zone=tz_match.group(1) if tz_match else None,
        owners=owners,
        search_fields=search_fields,
    )


# --- dates ------------------------------------------------------------------------------------------
_JAVA_ZONES = {
    "UTC": 0, "GMT": 0, "EST": -5, "EDT": -4, "CST": -6, "CDT": -5, "MST": -7, "MDT": -6, "PST": -8, "PDT": -7,
}  # fmt: skip
_MONTHS = {
    m: i for i, m in enumerate(("jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"), 1)
}


def parse_java_date(text: str) -> datetime | None:
    """`Mon Oct 28 15:57:38 UTC 2024` (Java's Date.toString) → aware UTC datetime, None if unreadable."""
    parts = text.split()
    if len(parts) != 6 or parts[4].upper() not in _JAVA_ZONES:
        return None
    try:
        month = _MONTHS[parts[1][:3].lower()]
        hour, minute, second = (int(p) for p in parts[3].split(":"))
        local = datetime(int(parts[5]), month, int(parts[2]), hour, minute, second,
                         tzinfo=timezone(timedelta(hours=_JAVA_ZONES[parts[4].upper()])))  # fmt: skip
    except (KeyError, ValueError):
        return None
    return local.astimezone(UTC)


def _local_to_utc(year: int, month: int, day: int, hour: int, minute: int, tz: ZoneInfo) -> datetime:
    # fold=0: an ambiguous wall time (the repeated hour in autumn) is read as the first occurrence.
    return datetime(year, month, day, hour, minute, tzinfo=tz).astimezone(UTC)


def _hour24(hour: int, meridiem: str) -> int:
    hour %= 12
    return hour + 12 if meridiem.upper() == "PM" else hour


_TIME_CELL = re.compile(r"^(\d{1,2}):(\d{2})\s*([AaPp][Mm])$")
_DAY_CELL = re.compile(r"^([A-Za-z]{3})[a-z]*\.?\s+(\d{1,2})(?:,?\s+(\d{4}))?$")


def parse_list_date(text: str, *, now: datetime, tz: ZoneInfo) -> datetime | None:
    """The list's date cell in club time: `h:mm AM` is today; `MMM d` (no year) is the latest such date not
    in the future (so a date after today belongs to last year); a day without a time is read as midnight."""
    text = " ".join(text.split())
    today = now.astimezone(tz).date()
    if match := _TIME_CELL.match(text):
        hour, minute = _hour24(int(match.group(1)), match.group(3)), int(match.group(2))
        return _local_to_utc(today.year, today.month, today.day, hour, minute, tz)
    if match := _DAY_CELL.match(text):
        month = _MONTHS.get(match.group(1).lower())
        if month is None:
            return None
        day = int(match.group(2))
        if match.group(3):
            candidates: Iterable[int] = [int(match.group(3))]
        else:
            candidates = range(today.year, today.year - 8, -1)  # Feb 29 may need a few years back
        for year in candidates:
            try:
                when = date(year, month, day)
            except ValueError:
                continue
            if when <= today or match.group(3):
                return _local_to_utc(when.year, when.month, when.day, 0, 0, tz)
    return None


_HISTORY_DATE = re.compile(
    r"(\d{1,2})/(\d{1,2})/(\d{2,4})\s*@\s*(\d{1,2}):(\d{2})\s*([AaPp][Mm])\s*by\s+(.+)$", re.DOTALL
)


def parse_history_date(text: str, *, tz: ZoneInfo) -> tuple[datetime, str] | None:
    """`11/21/25 @ 07:47 AM by Dana R.` (club time) → (aware UTC datetime, "Dana R.")."""
    match = _HISTORY_DATE.search(" ".join(text.split()))
    if not match:
        return None
    month, day, year, hour, minute = (int(match.group(i)) for i in range(1, 6))
    year = year + 2000 if year < 100 else year
    try:
        occurred = _local_to_utc(year, month, day, _hour24(hour, match.group(6)), minute, tz)
    except ValueError:
        return None
    return occurred, match.group(7).strip()


# --- inbox list -------------------------------------------------------------------------------------
_LI_START = re.compile(r"<li[\s>]", re.IGNORECASE)
_LIST_MARKUP = re.compile(r"<(?:ul|li)[\s>]", re.IGNORECASE)
_DATA_ID = re.compile(
    r'class="[^"]*\bdelete-message\b[^"]*"[^>]*\bdata-id="([^"]*)"|data-id="([^"]*)"[^>]*class="[^"]*\bdelete-message\b'
)


def _split_items_with_ends(html: str) -> Iterator[tuple[int, str]]:
    """Each `<li>` with what follows it up to the next one, and where it ends (lazily: an idle poll reads
    only the first)."""
    previous = None
    for match in _LI_START.finditer(html):
        if previous is not None:
            yield match.start(), html[previous : match.start()]
        previous = match.start()
    if previous is not None:
        yield len(html), html[previous:]


def _split_items(html: str) -> Iterator[str]:
    """Each `<li>` with what follows it up to the next one."""
    return (chunk for _, chunk in _split_items_with_ends(html))


_SENDER_TEXT = re.compile(r"username-content\b[^>]*>\s*(?:<[^>]*>\s*)*[^<\s]")
_NUMERIC_ID = re.compile(r'data-id="\s*\d+\s*"')
_PARAGRAPH = re.compile(r"<p[\s>]")


def count_list_rest(rest: str) -> tuple[int, int]:
    """(complete items, broken items) in the rest of a list, without parsing it: an item counts as complete
    when it has what parse_inbox_item needs (a numeric id, a sender's name, a text). Each mark is found
    in one scan of the whole rest and bucketed by item, a few ms for 5,000 items."""
    starts = [m.start() for m in _LI_START.finditer(rest)]
    if not starts:
        return 0, 0
    marks: list[set[int]] = []
    for pattern in (_NUMERIC_ID, _SENDER_TEXT, _PARAGRAPH):
        marks.append({bisect_right(starts, m.start()) for m in pattern.finditer(rest)})
    complete = len(marks[0] & marks[1] & marks[2] - {0})
    return complete, len(starts) - complete


def _quick_id(chunk: str) -> int | None:
    match = _DATA_ID.search(chunk)
    if not match:
        return None
    try:
        return int(match.group(1) or match.group(2))
    except ValueError:
        return None


# The protocol's canonical item, attribute for attribute. Building a BeautifulSoup tree costs ~1 ms an
# item (5 s for a 5,000-item list), so items of exactly this shape are read with one regex; anything
# else (legacy markup, variations, broken items) goes through BeautifulSoup. Tests check both agree.
_CANONICAL_ITEM = re.compile(
    r"<li>\s*"
    r"(?:<span>\s*<img[^>]*>\s*</span>\s*)?"
    r'<div class="message">\s*'
    r"<h3>\s*(?:<img[^>]*>\s*)?"
    r'<span class="username-content">(?P<sender>[^<]*)</span>\s*</h3>\s*'
    r"<p>(?P<snippet>[^<]*)</p>\s*"
    r"</div>\s*"
    r'<div class="message-options">\s*'
    r"<span>(?P<cell>[^<]*)</span>\s*(?:<br\s*/?>\s*)?"
    r'<span class="icon-btn-content">\s*'
    r'(?:<a class="email reply" href="#" data-message-id="\d+" data-created-date="(?P<created>[^"]*)" id="[^"]*">'
    r'\s*(?:<i class="fa fa-reply"></i>)?\s*</a>\s*)?'
    r'<a class="delete-message delete-row" href="#" data-id="(?P<id>\d+)"></a>\s*'
    r"</span>\s*</div>\s*</li>\s*(?:</ul>\s*)?$"
)


def _text(raw: str) -> str:
    """Character data as an HTML parser reads it: newlines normalised (CRLF, CR → LF), then entities decoded."""
    return unescape(raw.replace("\r\n", "\n").replace("\r", "\n").replace("\x00", "\ufffd"))


def _canonical_item(chunk: str, *, now: datetime, tz: ZoneInfo) -> InboxItem | None:
    match = _CANONICAL_ITEM.match(chunk)
    if match is None:
        return None
    sender_name = " ".join(_text(match["sender"]).split())
    if not sender_name:
        return None
    created = match["created"]
    sent_at = parse_java_date(unescape(created)) if created is not None else None
    if sent_at is None:
        sent_at = parse_list_date(_text(match["cell"]), now=now, tz=tz)
    return InboxItem(
        message_id=int(match["id"]),
        sender_name=sender_name,
        snippet=_text(match["snippet"]).strip(),
        sent_at=sent_at,
        from_owner=created is None,
    )


def parse_inbox_item(chunk: str, *, now: datetime, tz: ZoneInfo) -> InboxItem | None:
    """One `<li>` → InboxItem, or None when it is malformed (no id, no sender, no text)."""
    return _canonical_item(chunk, now=now, tz=tz) or parse_inbox_item_soup(chunk, now=now, tz=tz)


def parse_inbox_item_soup(chunk: str, *, now: datetime, tz: ZoneInfo) -> InboxItem | None:
    """parse_inbox_item with BeautifulSoup only: any markup, ~1 ms an item."""
    soup = BeautifulSoup(chunk, PARSER)
    li = soup.find("li")
    if not isinstance(li, Tag):
        return None
    # find() rather than CSS selectors: soupsieve would double the cost of a 5,000-item list.
    delete = li.find("a", class_="delete-message", attrs={"data-id": True})
    if not isinstance(delete, Tag):
        return None
    try:
        message_id = int(str(delete["data-id"]).strip())
    except ValueError:
        return None
    heading = li.find("h3")
    sender = heading.find(class_="username-content") if isinstance(heading, Tag) else None
    sender = sender or li.find(class_="username-content")
    sender_name = " ".join(sender.get_text().split()) if sender else ""
    message = li.find("div", class_="message")
    text = message.find("p") if isinstance(message, Tag) else None
    if not sender_name or not isinstance(text, Tag):
        return None
    reply = li.find("a", class_="reply") or li.find("a", attrs={"data-created-date": True})
    sent_at = parse_java_date(str(reply.get("data-created-date", ""))) if isinstance(reply, Tag) else None
    if sent_at is None:
        options = li.find("div", class_="message-options")
        cell = options.find("span", recursive=False) if isinstance(options, Tag) else None
        if isinstance(cell, Tag):
            sent_at = parse_list_date(cell.get_text(), now=now, tz=tz)
    return InboxItem(
        message_id=message_id,
        sender_name=sender_name,
        snippet=text.get_text().strip(),
        sent_at=sent_at,
        from_owner=reply is None,
    )


def parse_inbox_list(
    html: str,
    *,
    owner_id: int,
    now: datetime,
    tz: ZoneInfo,
    newer_than: int | None = None,
    count_rest: Callable[[str], tuple[int, int]] | None = None,
) -> InboxList:
    """The Dashboard/messages fragment → InboxList (newest first, as served).

    With `newer_than` (a watermark), parsing stops at the first good item whose id is not above it: the
    list is newest first, so an idle poll reads only the first `<li>` of a 4 MB list. (A broken item
    with a stray low id does not stop it.) The rest is counted by `count_rest` (default
    `count_list_rest`; the sync passes one that remembers the count of a rest it has seen).
    """
    if not _LIST_MARKUP.search(html):
        # Not an empty list (that is a bare `<ul></ul>`) but some other page: never "nothing new".
        raise ClubOSProtocolError(f"ClubOS's inbox list of owner {owner_id} has no list markup (an unknown page)")
    items: list[InboxItem] = []
    skipped = older = 0
    for end, chunk in _split_items_with_ends(html):
        quick_id = _quick_id(chunk)
        item = parse_inbox_item(chunk, now=now, tz=tz)
        if newer_than is not None and quick_id is not None and quick_id <= newer_than and item is not None:
            # A good item at or below the watermark: everything after it is older. Count those without
            # parsing them, so a run reports what the list held: complete items as older, broken
            # ones as skipped (never as duplicates), every run.
            complete, broken = (count_rest or count_list_rest)(html[end:])
            older, skipped = 1 + complete, skipped + broken
            break
        if item is None:
            skipped += 1
            logger.debug("clubos: skipped a malformed inbox item: %.120r", chunk)
            continue
        items.append(item)
    return InboxList(owner_id=owner_id, items=items, skipped=skipped, older=older)


# --- conversation history -----------------------------------------------------------------------------
_STAFF_PREFIXES = (
    (re.compile(r"^Text - Left Message - ", re.IGNORECASE), Channel.SMS),
    (re.compile(r"^Email - Left Message - ", re.IGNORECASE), Channel.EMAIL),
    (re.compile(r"^Call - [^-]+ - ", re.IGNORECASE), Channel.CALL),
    (re.compile(r"^Lead Follow-Up #\d+, Outcome: [^-]+ - ", re.IGNORECASE), None),
)
_ICONS = {
    "icon_text": Channel.SMS,
    "icon_email": Channel.EMAIL,
    "icon_call": Channel.CALL,
    "icon_general": Channel.NOTE,
}
SYSTEM_AUTHOR = "System I."


def short_name(first_name: str, last_name: str) -> str:
    """How ClubOS signs entries: "Dana R."."""
    last = last_name.strip()
    return f"{first_name.strip()} {last[:1]}." if last else first_name.strip()


def html_to_text(markup: str) -> str:
    """An email body (HTML) → plain text: tags stripped, block breaks kept, spaces collapsed."""
    soup = BeautifulSoup(markup, PARSER)
    for br in soup.find_all("br"):
        br.replace_with("\n")
    for block in soup.find_all(["p", "div", "li", "tr", "h1", "h2", "h3"]):
        block.insert_after("\n")
    lines = (" ".join(line.split()) for line in soup.get_text().splitlines())
    return "\n".join(line for line in lines if line)


def _note_text(note: Tag) -> str:
    for br in note.find_all("br"):
        br.replace_with("\n")
    lines = [line.rstrip() for line in note.get_text().strip().splitlines()]
    return "\n".join(lines).strip()


def _history_entry(div: Tag, *, member_short: str, tz: ZoneInfo) -> HistoryEntry | None:
    date_div = div.find(class_="followup-entry-date")
    note = div.find(class_="followup-entry-note")
    if not isinstance(date_div, Tag) or not isinstance(note, Tag):
        return None
    icon = note.find("img")
    src = str(icon.get("src", "")) if isinstance(icon, Tag) else ""
    return _entry(date_div.get_text(" "), src, _note_text(note), member_short=member_short, tz=tz)


def _entry(date_text: str, icon_src: str, body: str, *, member_short: str, tz: ZoneInfo) -> HistoryEntry | None:
    """One follow-up entry from its date line, its icon and its note's text (either parser's)."""
    dated = parse_history_date(date_text, tz=tz)
    if dated is None:
        return None
    occurred_at, author = dated
    channel = next((ch for key, ch in _ICONS.items() if key in icon_src), Channel.NOTE)
    is_member = bool(member_short) and author.casefold() == member_short.casefold()
    direction = Direction.INBOUND
    if author == SYSTEM_AUTHOR or channel is Channel.NOTE:
        direction = Direction.SYSTEM
    elif not is_member:
        for prefix, _prefix_channel in _STAFF_PREFIXES:
            if prefix.match(body):
                body = prefix.sub("", body, count=1)
                direction = Direction.OUTBOUND
                break
        else:
            # Staff sends always carry a prefix; an unprefixed call is still staff-logged.
            direction = Direction.OUTBOUND if channel is Channel.CALL else Direction.INBOUND
    if channel is Channel.EMAIL:
        body = html_to_text(body)
    return HistoryEntry(occurred_at=occurred_at, author=author, channel=channel, direction=direction, body=body)


def _input_value(form: Tag | None, name: str) -> str:
    if form is None:
        return ""
    control = form.find("input", attrs={"name": name})
    return str(control.get("value", "")).strip() if isinstance(control, Tag) else ""


@dataclass(frozen=True)
class FollowUpPopup:
    history: MemberHistory
    contact_fields: FormFields  # form#saveFollowUpContact serialised
    outcome_fields: FormFields  # form#followUpOutcomeForm serialised


def _member_contact(
    html: str, *, field: Callable[[str], str], first: str, last: str, member_id: int | None, invalid_mobile: bool
) -> MemberContact:
    """The popup's contact, whichever parser read its form fields (`field`: a field's value by name)."""
    view_data = _view_data(html)
    try:
        found_id = int(field("followUpUser.tfoUserId") or view_data.get("followUpUserId") or 0)
    except (TypeError, ValueError):
        found_id = 0
    mobile = field("followUpUser.mobilePhone")
    dnc = ((view_data.get("phoneNumberMap") or {}).get("MOBILE") or {}).get("dncStatus", "OK")
    return MemberContact(
        member_id=found_id or member_id or 0,
        first_name=first,
        last_name=last,
        email=field("followUpUser.email"),
        mobile_phone=mobile,
        home_phone=field("followUpUser.homePhone"),
        work_phone=field("followUpUser.workPhone"),
        can_text=bool(mobile) and not invalid_mobile and dnc == "OK",
    )


def parse_followup_popup(html: str, *, tz: ZoneInfo, member_id: int | None = None) -> FollowUpPopup:
    """The Direct contact popup → contact, history (newest first) and both forms, serialised."""
    soup = BeautifulSoup(html, PARSER)
    contact_form = soup.find("form", id="saveFollowUpContact")
    outcome_form = soup.find("form", id="followUpOutcomeForm")
    if not isinstance(contact_form, Tag) or not isinstance(outcome_form, Tag):
        raise ClubOSProtocolError("ClubOS's follow-up popup is missing its contact or outcome form")
    first, last = (
        _input_value(contact_form, "followUpUser.firstName"),
        _input_value(contact_form, "followUpUser.lastName"),
    )
    if not (first or last):
        heading = soup.find(id="update-followup-popup-tab")
        name = heading.get_text(" ", strip=True).split(":", 1)[-1].strip() if heading else ""
        first, _, last = name.partition(" ")
    contact = _member_contact(
        html,
        field=lambda name: _input_value(contact_form, name),
        first=first,
        last=last,
        member_id=member_id,
        invalid_mobile=soup.select_one("span.invalidMobile") is not None,
    )
    entries: list[HistoryEntry] = []
    skipped = 0
    log = soup.find(id="follow-up-log")
    if isinstance(log, Tag):
        member_short = short_name(first, last)
        for div in log.find_all("div", class_="followup-entry"):
            entry = _history_entry(div, member_short=member_short, tz=tz)
            if entry is None:
                skipped += 1
            else:
                entries.append(entry)
    return FollowUpPopup(
        history=MemberHistory(contact=contact, entries=entries, skipped=skipped),
        contact_fields=serialize_form(contact_form),
        outcome_fields=serialize_form(outcome_form),
    )


def _view_data(html: str) -> dict:  # type: ignore[type-arg]
    match = re.search(r"followUpModalViewData\s*=\s*(\{.*?\})\s*;\s*</script>", html, re.DOTALL)
    if not match:
        return {}
    try:
        data = json.loads(match.group(1))
    except json.JSONDecodeError:
        return {}
    return data if isinstance(data, dict) else {}


# The sync reads 300 histories in a first run and needs neither form: building BeautifulSoup's tree of a
# popup costs ~5 ms, lxml's ~0.5 ms. parse_member_history walks lxml's tree directly; it must read
# exactly what parse_followup_popup does (tests compare the two).
_UNSTRINGED = {"script", "style", "template"}
_PRESERVE_WHITESPACE = {"pre", "textarea"}
_ASCII_SPACES = "\x20\x0a\x09\x0c\x0d"


def _classes(element: lxml_html.HtmlElement) -> list[str]:
    return (element.get("class") or "").split()


def _first(root: lxml_html.HtmlElement, tag: str = "*", *, cls: str = "", **attrs: str) -> lxml_html.HtmlElement | None:
    """The first element under root (not root itself, as BeautifulSoup's find) with this tag, class and attributes."""
    for element in root.iter(tag):
        if element is root or not isinstance(element.tag, str):
            continue
        if cls and cls not in _classes(element):
            continue
        if all(element.get(name) == value for name, value in attrs.items()):
            return element
    return None


def _soup_string(text: str | None, preserve: bool) -> str:
    """A text node as BeautifulSoup keeps it: one of only ASCII spaces becomes "\n" or " " (outside <pre>)."""
    if not text or preserve or text.strip(_ASCII_SPACES):
        return text or ""
    return "\n" if "\n" in text else " "


def _strings(element: lxml_html.HtmlElement, *, breaks: bool = False) -> list[str]:
    """The text nodes under an element as BeautifulSoup's get_text() sees them (no comments, scripts
    or styles; whitespace-only ones collapsed); with `breaks`, each <br> as "\n"."""
    found: list[str] = []

    def walk(parent: lxml_html.HtmlElement, preserve: bool) -> None:
        if parent.tag in _UNSTRINGED:
            return
        found.append(_soup_string(parent.text, preserve))
        for child in parent:
            if not isinstance(child.tag, str):  # a comment or processing instruction: its tail only
                pass
            elif breaks and child.tag == "br":
                found.append("\n")
            else:
                walk(child, preserve or child.tag in _PRESERVE_WHITESPACE)
            found.append(_soup_string(child.tail, preserve))

    walk(element, element.tag in _PRESERVE_WHITESPACE)
    return [text for text in found if text]


def _lxml_input_value(form: lxml_html.HtmlElement, name: str) -> str:
    control = _first(form, "input", name=name)
    return (control.get("value") or "").strip() if control is not None else ""


def parse_member_history(html: str, *, tz: ZoneInfo, member_id: int | None = None) -> MemberHistory:
    """The Direct contact popup → contact and history (newest first), as parse_followup_popup reads them,
    without the forms a send needs."""
    try:
        root = lxml_html.document_fromstring(html)
    except (etree.ParserError, ValueError):
        root = None
    contact_form = _first(root, "form", id="saveFollowUpContact") if root is not None else None
    outcome_form = _first(root, "form", id="followUpOutcomeForm") if root is not None else None
    if root is None or contact_form is None or outcome_form is None:
        raise ClubOSProtocolError("ClubOS's follow-up popup is missing its contact or outcome form")
    first = _lxml_input_value(contact_form, "followUpUser.firstName")
    last = _lxml_input_value(contact_form, "followUpUser.lastName")
    if not (first or last):
        heading = _first(root, id="update-followup-popup-tab")
        text = " ".join(s.strip() for s in _strings(heading) if s.strip()) if heading is not None else ""
        first, _, last = text.split(":", 1)[-1].strip().partition(" ")
    contact = _member_contact(
        html,
        field=lambda name: _lxml_input_value(contact_form, name),
        first=first,
        last=last,
        member_id=member_id,
        invalid_mobile=_first(root, "span", cls="invalidMobile") is not None,
    )
    entries: list[HistoryEntry] = []
    skipped = 0
    log = _first(root, id="follow-up-log")
    if log is not None:
        member_short = short_name(first, last)
        for div in log.iter("div"):
            if div is log or "followup-entry" not in _classes(div):
                continue
            date_div = _first(div, cls="followup-entry-date")
            note = _first(div, cls="followup-entry-note")
            entry = None
            if date_div is not None and note is not None:
                icon = _first(note, "img")
                body = "\n".join(line.rstrip() for line in "".join(_strings(note, breaks=True)).strip().splitlines())
                entry = _entry(
                    " ".join(_strings(date_div)),
                    (icon.get("src") or "") if icon is not None else "",
                    body.strip(),
                    member_short=member_short,
                    tz=tz,
                )
            if entry is None:
                skipped += 1
            else:
                entries.append(entry)
    return MemberHistory(contact=contact, entries=entries, skipped=skipped)


# --- search and saves ---------------------------------------------------------------------------------
def parse_search_results(html: str) -> list[MemberSearchResult]:
    results = []
    # find_all rather than CSS selectors: soupsieve costs ~1 ms even on a one-result page (300 in a first sync).
    for div in BeautifulSoup(html, PARSER).find_all("div", class_="search-result", attrs={"data-id": True}):
        try:
            person_id = int(str(div["data-id"]))
            role_id = int(str(div.get("data-role-id", "0")) or 0)
        except ValueError:
            continue
        location = str(div.get("data-location-id", "")).strip()
        email = div.find("p", class_="email")
        phone = div.find("p", class_="phone")
        results.append(
            MemberSearchResult(
                id=person_id,
                full_name=" ".join(str(div.get("data-full-name", "")).split()),
                role_id=role_id,
                location_id=int(location) if location.isdigit() else None,
                email=email.get_text(strip=True) if email else "",
                phone=phone.get_text(strip=True) if phone else "",
            )
        )
    return results


@dataclass(frozen=True)
class SaveOutcome:
    ok: bool
    verb: str  # "texted", "emailed", "updated" when ok
    message: str  # the confirmation or the ERROR text, tags stripped


_SAVE_OK = re.compile(r"has been (texted|emailed|updated)\.")


def parse_save_response(text: str) -> SaveOutcome | None:
    """A FollowUp/save answer: confirmation, `ERROR - …`, or None when it is neither."""
    plain = " ".join(BeautifulSoup(text, PARSER).get_text(" ").split()).replace(" .", ".")
    if plain.startswith("ERROR -"):
        return SaveOutcome(ok=False, verb="", message=plain[len("ERROR -") :].strip())
    if match := _SAVE_OK.search(plain):
        return SaveOutcome(ok=True, verb=match.group(1), message=plain)
    return None
