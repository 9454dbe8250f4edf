"""The sandbox's pages and fragments, with ClubOS's markup (see docs/clubos-protocol.md)."""

from __future__ import annotations

import hashlib
import json
from datetime import datetime
from html import escape
from zoneinfo import ZoneInfo

from accounts import demo
from clubos.sandbox.state import ROLE_MEMBER, LogEntry, Message, Person, SandboxState, Session

ASSETS = "https://assets.club-os.com/web/technique-web.x/images"
SOMETHING_NOT_RIGHT = "<br />Something isn't right.  Please refresh the page and try your request again.<br />"
SESSION_EXPIRED = "Session Expired"


def _e(text: object) -> str:
    return escape(str(text), quote=True)


def _entities(text: str) -> str:
    """Escape like ClubOS's list: markup characters and astral-plane emoji as numeric entities."""
    return "".join(f"&#{ord(ch)};" if ord(ch) > 0xFFFF else ch for ch in escape(text, quote=False))


def _hidden_tokens(tokens: tuple[str, str]) -> str:
    return (
        '<div style="display: none;">'
        f'<input type="hidden" name="_sourcePage" value="{_e(tokens[0])}" />'
        f'<input type="hidden" name="__fp" value="{_e(tokens[1])}" /></div>'
    )


def _page(title: str, body: str) -> str:
    return (
        '<!DOCTYPE html>\n<html>\n<head>\n<meta charset="utf-8">\n'
        f"<title>{_e(title)}</title>\n</head>\n<body>\n{body}\n</body>\n</html>\n"
    )


def login_page(state: SandboxState, session: Session, *, with_jsessionid: bool, error: bool = False) -> str:
    action = f"/action/Login;jsessionid={session.id}" if with_jsessionid else "/action/Login"
    error_style = "" if error else ' style="display: none;"'
    login_tokens = state.form_tokens(session, "login")
    forgot_tokens = state.form_tokens(session, "forgot")
    body = f"""<div id="login-container">
<form id="loginForm" action="{_e(action)}" method="post">
  <input type="hidden" name="login" value="Submit" />
  <ul class="errors">
    <li class="error incorrect"{error_style}>Username/Password is incorrect</li>
    <li class="error locked" style="display: none;">Your account is locked</li>
  </ul>
  <label for="username">Username</label><input type="text" id="username" name="username" value="" />
  <label for="password">Password</label><input type="password" id="password" name="password" value="" />
  <input type="submit" name="submit" value="Log In" class="btn" />
  {_hidden_tokens(login_tokens)}
</form>
<form id="forgotForm" action="/action/Login" method="post" style="display: none;">
  <input type="text" name="email" value="" />
  <input type="hidden" name="forgotPassword" value="Submit" />
  {_hidden_tokens(forgot_tokens)}
</form>
</div>"""
    return _page("Anytime Fitness", body)


def dashboard_page(state: SandboxState, session: Session) -> str:
    user = state.people[session.user_id or 0]
    options = "\n".join(
        f'<option value="{owner}"{" selected" if owner == (session.selected_owner or user.id) else ""}>'
        f"{_e(state.owner_name(owner))}</option>"
        for owner in state.owner_ids()
    )
    search_tokens = state.form_tokens(session, "search")
    body = f"""<script type="text/javascript">
  var CLUB_ID = {demo.CLUB_ID};
  var CLUB_LOCATION_ID = {demo.CLUB_LOCATION_ID};
  var USER_ID = {session.delegated_user_id or user.id};
  var LOGGED_IN_USER_ID = {user.id};
  window.loggedInUserTimezone="{state.time_zone.key}";
</script>
<div id="header"><span class="user-name">{_e(user.full_name)}</span> <a href="/action/Logout">Log out</a></div>
<form id="quick-search-form" action="/action/UserSearch/" method="post">
  <input type="text" name="filter.keyword" value="" placeholder="Search" />
  <input type="hidden" name="actAs" value="loggedIn" />
  {_hidden_tokens(search_tokens)}
</form>
<div class="dashboard-messages">
  <select id="messages-owner-select" name="userId">
{options}
  </select>
  <div id="messages-list"></div>
</div>"""
    return _page("Dashboard | Club OS", body)


def _date_cell(at: datetime, tz: ZoneInfo, today: object) -> str:
    local = at.astimezone(tz)
    if local.date() == today:
        hour = local.hour % 12 or 12
        return f"{hour}:{local:%M %p}"
    return f"{local:%b} {local.day}"


def _java_date(at: datetime) -> str:
    return f"{at:%a %b %d %H:%M:%S} UTC {at.year}"


def _snippet(message: Message) -> str:
    if message.channel == "email":
        from bs4 import BeautifulSoup

        text = " ".join(BeautifulSoup(message.body, "html.parser").get_text(" ").split())
    else:
        text = message.body
    return text[:200]


def _list_item(message: Message, person: Person, tz: ZoneInfo, today: object, *, legacy: bool) -> str:
    name = _e(person.full_name)
    if legacy:
        sender = f'<a class="username-content" href="/action/Delegate/{person.id}/url=/action/LeadProfile">{name}</a>'
    else:
        sender = f'<span class="username-content">{name}</span>'
    reply = ""
    if message.inbound:
        reply_id = hashlib.sha1(f"{message.id}:{person.id}".encode()).hexdigest()  # noqa: S324 (an opaque id, not security)
        reply = (
            f'<a class="email reply" href="#" data-message-id="{message.id}" '
            f'data-created-date="{_java_date(message.created_at)}" id="{reply_id}:{name}">'
            '<i class="fa fa-reply"></i></a>\n   '
        )
    icon = "Member" if person.role_id == ROLE_MEMBER else "Prospect"
    return f"""<li>
 <span><img src="{ASSETS}/profile/50_img_profile_male.gif" alt="User's profile image"></span>
 <div class="message">
  <h3><img title="{icon}" alt="{icon} icon" src="{ASSETS}/general/icon_member.png">{sender}</h3>
  <p>{_entities(_snippet(message))}</p>
 </div>
 <div class="message-options">
  <span>{_date_cell(message.created_at, tz, today)}
</span><br>
  <span class="icon-btn-content">
   {reply}<a class="delete-message delete-row" href="#" data-id="{message.id}"></a>
  </span>
 </div>
</li>"""


MALFORMED_ITEMS = (
    '<li class="placeholder"><div class="message"><p>No more messages</p></div></li>',
    '<li><div class="message"><h3></h3><p>lost sender</p></div>'
    '<div class="message-options"><a class="delete-message delete-row" href="#" data-id="1"></a></div></li>',
    '<li><div class="message"><h3><span class="username-content">Nobody</span></h3><p>bad id</p></div>'
    '<div class="message-options"><a class="delete-message delete-row" href="#" data-id="abc"></a></div></li>',
    '<li><span><img src="x.gif"></span><div class="message"><h3>',
)


def inbox_list_payload(state: SandboxState, owner_id: int) -> bytes:
    """The Dashboard/messages fragment as UTF-8 bytes (cached: 4 MB at 5,000 items)."""
    tz = state.time_zone
    today = state.now().astimezone(tz).date()
    legacy, malformed = state.legacy_markup, state.malformed_items

    def render() -> bytes:
        items = [
            _list_item(message, state.people[message.member_id], tz, today, legacy=legacy)
            for message in state.list_for(owner_id)
        ]
        for index in range(malformed):
            # Spread the broken items: first, then after every few good ones.
            items.insert(min(index * 3, len(items)), MALFORMED_ITEMS[index % len(MALFORMED_ITEMS)])
        return ("\n\n\n<ul>\n" + "\n".join(items) + "\n</ul>\n").encode("utf-8")

    return state.cached_list_payload(owner_id, (today, legacy, malformed), render)


def inbox_list_fragment(state: SandboxState, owner_id: int) -> str:
    return inbox_list_payload(state, owner_id).decode("utf-8")


def _log_entry(entry: LogEntry, tz: ZoneInfo) -> str:
    local = entry.occurred_at.astimezone(tz)
    when = f"{local.month}/{local.day}/{local:%y} @ {local:%I:%M %p}"
    return f"""<div class="followup-entry note-type-{entry.lead_type} ">
 <div class="followup-entry-date"><p>{when}
      by {_e(entry.author)}</p></div>
 <div class="followup-entry-note"><img src="{ASSETS}/general/icon_{entry.icon}.png"> {_e(entry.note)}</div>
</div>"""


def followup_popup(state: SandboxState, session: Session, person: Person) -> str:
    contact_tokens = state.form_tokens(session, "followup_contact")
    outcome_tokens = state.form_tokens(session, "followup_outcome")
    can_text = bool(person.mobile) and person.dnc_status == "OK"
    invalid = "" if can_text or not person.mobile else '<span class="invalidMobile">Invalid mobile number</span>'
    gender_options = "".join(
        f'<option value="{code}"{" selected" if code == person.gender else ""}>{label}</option>'
        for code, label in (("M", "Male"), ("F", "Female"), ("U", "Unspecified"))
    )
    log = "\n".join(_log_entry(entry, state.time_zone) for entry in state.log_for(person.id))
    view_data = {
        "followUpUserId": person.id,
        "phoneNumberMap": {"MOBILE": {"phoneNumber": person.mobile, "dncStatus": person.dnc_status}}
        if person.mobile
        else {},
    }
    opt_in = " checked" if person.email_opt_in else ""
    return f"""
<div id="followup-popup" class="popup">
<h1 id="update-followup-popup-tab">Direct contact: {_e(person.full_name)}</h1>
<form id="saveFollowUpContact" action="/action/FollowUp/save" method="post">
  <input type="hidden" name="followUpUser.tfoUserId" value="{person.id}" />
  <input type="hidden" name="followUpUser.role.id" value="{person.role_id}" />
  <input type="hidden" name="followUpUser.clubId" value="{demo.CLUB_ID}" />
  <input type="hidden" name="followUpUser.clubLocationId" value="{person.location_id}" />
  <label>First name <input type="text" name="followUpUser.firstName" value="{_e(person.first_name)}" /></label>
  <label>Last name <input type="text" name="followUpUser.lastName" value="{_e(person.last_name)}" /></label>
  <label>Email <input type="text" name="followUpUser.email" value="{_e(person.email)}" /></label>
  <label>Mobile <input type="text" name="followUpUser.mobilePhone" value="{_e(person.mobile)}" />{invalid}</label>
  <label>Home <input type="text" name="followUpUser.homePhone" value="{_e(person.home_phone)}" /></label>
  <label>Work <input type="text" name="followUpUser.workPhone" value="{_e(person.work_phone)}" /></label>
  <label>Gender <select name="followUpUser.gender">{gender_options}</select></label>
  <label><input type="checkbox" name="followUpUser.emailOptIn" value="true"{opt_in} /> Email opt-in</label>
  <input type="button" value="Save contact" class="btn save-contact" />
  {_hidden_tokens(contact_tokens)}
</form>
<form id="followUpOutcomeForm" action="/action/FollowUp/save" method="post">
  <input type="hidden" name="followUpStatus" value="1" />
  <input type="hidden" name="followUpType" value="3" />
  <input type="hidden" name="followUpLog.tfoUserId" value="{person.id}" />
  <select name="followUpLog.followUpAction">
    <option value="1" selected="selected">Call</option><option value="2">Email</option><option value="3">Text</option>
  </select>
  <select name="followUpLog.outcome">
    <option value="">-- Outcome --</option><option value="1">Spoke</option><option value="2">Left message</option>
    <option value="3">No answer</option>
  </select>
  <input type="text" name="emailSubject" value="" />
  <textarea name="emailMessage"></textarea>
  <textarea name="textMessage" placeholder="Type message here..."></textarea>
  <textarea name="followUpLog.notes"></textarea>
  <input type="hidden" name="event.eventTypeId" value="" />
  <input type="text" name="event.startTime" value="" />
  <input type="hidden" name="event.tfoUserId" value="{person.id}" />
  {_hidden_tokens(outcome_tokens)}
</form>
<div id="follow-up-log">
{log}
</div>
<script>window.followUpModalViewData={json.dumps(view_data, separators=(",", ":"))};</script>
</div>
"""


def search_results(people: list[Person]) -> str:
    rows = []
    for person in people:
        digits = "".join(ch for ch in person.mobile if ch.isdigit())[-10:]
        phone = f"({digits[:3]}) {digits[3:6]}-{digits[6:]}" if len(digits) == 10 else person.mobile
        rows.append(
            f'<div class="search-result" data-id="{person.id}" data-full-name="{_e(person.full_name)}" '
            f'data-role-id="{person.role_id}" data-location-id="{person.location_id}">\n'
            f'  <p class="name">{_e(person.full_name)}</p>\n'
            f'  <p class="email email-search">{_e(person.email)}</p>\n'
            f'  <p class="phone">{_e(phone)}</p>\n</div>'
        )
    return '<div id="search-results">\n' + "\n".join(rows) + "\n</div>\n"


def oops_page() -> str:
    return _page(
        "Club OS",
        '<div class="error-page"><h1>OOPS! OUR SERVERS MUST HAVE SKIPPED LEG DAY…</h1>'
        "<p>Something went wrong. Please try again.</p></div>",
    )


def not_found_page() -> str:
    return _page("Club OS", '<div class="error-page"><h1>PAGE NOT FOUND</h1></div>')


def _clubroom_page(title: str, body: str) -> str:
    """The sandbox's own pages (not ClubOS imitations): Clubroom's stylesheet and header, so they match."""
    return f"""<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{_e(title)} · Clubroom</title>
<link rel="stylesheet" href="/__sandbox__/site.css">
</head>
<body>
<header class="site-header">
<nav class="nav" aria-label="Sandbox"><span class="brand">ClubOS sandbox</span></nav>
</header>
<main id="main" class="container stack">
{body}
</main>
</body>
</html>
"""


def control_page(state: SandboxState, *, sent: str = "") -> str:
    rows = "\n".join(
        f'<option value="{p.id}">{_e(p.full_name)} ({p.id})</option>'
        for p in sorted(state.people.values(), key=lambda p: p.full_name)
        if p.role_id in (ROLE_MEMBER, 99)
    )
    notice = (
        f'<ul class="flash" role="status"><li>Message {_e(sent)} is in the club\'s inbox.</li></ul>' if sent else ""
    )
    body = f"""<h1>ClubOS sandbox</h1>
<p class="muted">A stand-in ClubOS for trying Clubroom. Sync login: <code>{_e(state.username)}</code>.
Make a member text (or email) the club, then watch it arrive in Clubroom's staff inbox.</p>
{notice}
<section class="card" aria-labelledby="send-heading">
<h2 id="send-heading">A member writes to the club</h2>
<form method="post" action="/__sandbox__/inject">
  <label for="member">Member</label>
  <select id="member" name="member">{rows}</select>
  <label for="text">Message</label>
  <textarea id="text" name="text" rows="3" required></textarea>
  <label for="subject">Subject (emails only)</label>
  <input type="text" id="subject" name="subject">
  <p><input type="checkbox" id="email" name="email" value="1">
  <label for="email" class="inline">Send as an email</label></p>
  <button type="submit" class="btn btn-primary">Send to the club</button>
</form>
</section>
<section class="card" aria-labelledby="sent-heading">
<h2 id="sent-heading">Sent by staff through ClubOS (Clubroom's replies)</h2>
{_sent_table(state)}
</section>"""
    return _clubroom_page("ClubOS sandbox", body)


def _sent_table(state: SandboxState) -> str:
    """The latest sends, newest first: what a member would have received."""
    rows = []
    for record in reversed(state.sends[-20:]):
        person = state.people.get(record.member_id)
        form = dict(record.form)
        channel = {3: "Text", 2: "Email"}.get(record.action, "Update")
        text = form.get("textMessage", "") if record.action == 3 else form.get("emailSubject", "")
        outcome = "sent" if record.message_id else _e(record.response)
        rows.append(
            f"<tr><td>{_e(person.full_name if person else record.member_id)}</td><td>{channel}</td>"
            f"<td>{_e(text)}</td><td>{outcome}</td></tr>"
        )
    if not rows:
        return "<p>Nothing yet. Reply to a member in Clubroom's staff inbox and it shows here.</p>"
    head = "<tr><th>To</th><th>By</th><th>Message (or subject)</th><th>Outcome</th></tr>"
    return "<table>" + head + "".join(rows) + "</table>"
