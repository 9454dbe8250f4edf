"""The ClubOS HTTP client: logs in like a browser and keeps one keep-alive session for everything.

ClubOS has no API for messages: the client uses the staff pages and XHRs (docs/clubos-protocol.md). It logs in
lazily, reuses its cookies and Bearer token, refreshes the token before it gets old, and when the
session expires (login page, or a `Session Expired` XHR body) it logs in again once and retries the
call. Every error signal becomes a clubos.exceptions error. Passwords and tokens are never logged.
"""

from __future__ import annotations

import logging
import re
import threading
import time
from collections.abc import Callable
from dataclasses import asdict
from datetime import UTC, datetime
from html import escape
from types import TracebackType
from typing import TypeVar
from urllib.parse import urlencode, urlsplit
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import httpx

from clubos import parsers
from clubos.app_settings import app_settings
from clubos.exceptions import (
    ClubOSAuthError,
    ClubOSBadRequest,
    ClubOSPageNotFound,
    ClubOSProtocolError,
    ClubOSServerError,
    ClubOSSessionExpired,
    ClubOSUnavailable,
    ClubOSValidationError,
)
from clubos.types import Channel, InboxList, InboxOwner, MemberHistory, MemberSearchResult, SendReceipt

logger = logging.getLogger(__name__)

T = TypeVar("T")

LOGIN_VIEW = "/action/Login/view"
DASHBOARD = "/action/Dashboard/view"
MESSAGES = "/action/Dashboard/messages"
FOLLOW_UP = "/action/FollowUp"
FOLLOW_UP_SAVE = "/action/FollowUp/save"
USER_SEARCH = "/action/UserSearch/"
API_TOKEN_REFRESH_PATH = "/action/Login/refresh-api-v3-access-token"  # noqa: S105 (a path, not a secret)
SERVER_ERROR_PATH = "/action/Invalid/500"
USER_AGENT = "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0 Safari/537.36"

SEND_ACTIONS = {Channel.SMS: "3", Channel.EMAIL: "2"}
SEND_VERBS = {Channel.SMS: "texted", Channel.EMAIL: "emailed"}
CHANNEL_NOUNS = {Channel.SMS: "text", Channel.EMAIL: "email"}


_SECRET_PATTERNS = re.compile(
    r"((?:JSESSIONID|jsessionid|apiV3AccessToken|apiV3IdToken|apiV3RefreshToken)=)[^;,'\"\s]+|(Bearer )[^'\"\s]+"
)
_WIRE_LOGGERS = ("httpx", "httpcore.connection", "httpcore.http11", "httpcore.http2", "httpcore.proxy")


class _RedactSecrets(logging.Filter):
    """httpcore's debug trace logs response headers, Set-Cookie included: scrub session ids and tokens."""

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        redacted = _SECRET_PATTERNS.sub(lambda m: f"{m.group(1) or m.group(2)}[redacted]", message)
        if redacted != message:
            record.msg, record.args = redacted, None
        return True


_REDACTOR = _RedactSecrets()


def _install_log_redaction() -> None:
    for name in _WIRE_LOGGERS:
        wire_logger = logging.getLogger(name)
        if _REDACTOR not in wire_logger.filters:
            wire_logger.addFilter(_REDACTOR)


def _body_text(response: httpx.Response) -> str:
    # bytes.decode is several times faster than httpx's incremental decoder on a 4 MB inbox list.
    return response.content.decode(response.charset_encoding or "utf-8", errors="replace")


class _SessionExpired(Exception):
    """Internal signal: the session or token is gone; log in again and retry once."""


def email_html(body: str) -> str:
    """Plain text → the HTML ClubOS's email editor would send: escaped, paragraphs and line breaks kept."""
    paragraphs = [p for p in body.replace("\r\n", "\n").split("\n\n") if p.strip()]
    return "".join(f"<p>{escape(p.strip()).replace(chr(10), '<br>')}</p>" for p in paragraphs)


def save_fields(
    *,
    contact_fields: parsers.FormFields,
    outcome_fields: parsers.FormFields,
    member_id: int,
    channel: Channel,
    body: str,
    subject: str = "",
) -> parsers.FormFields:
    """Both popup forms as served, with only the message fields overridden.

    The contact fields (`followUpUser.*`) are saved back onto the member's profile by ClubOS, so they
    are copied exactly as the popup showed them: sending them blank would wipe the profile.
    """
    overrides = {
        "followUpStatus": "1",
        "followUpType": "3",
        "followUpLog.tfoUserId": str(member_id),
        "followUpLog.outcome": "2",  # left message
        "followUpLog.followUpAction": SEND_ACTIONS[channel],
        "emailSubject": subject if channel is Channel.EMAIL else "",
        "emailMessage": email_html(body) if channel is Channel.EMAIL else "",
        "textMessage": body if channel is Channel.SMS else "",
        "followUpUser.tfoUserId": str(member_id),
    }
    defaults = {"followUpUser.role.id": "7"}
    pairs: parsers.FormFields = []
    seen: set[str] = set()
    for name, value in [*contact_fields, *outcome_fields]:
        if name in overrides:
            if name in seen:
                continue
            value = overrides[name]
        seen.add(name)
        pairs.append((name, value))
    pairs.extend((name, value) for name, value in {**defaults, **overrides}.items() if name not in seen)
    return pairs


class ClubOSClient:
    """One ClubOS staff session over one keep-alive HTTP connection pool.

    Reads (`member_history`, `search_members`) may run from several threads at once (the sync's bounded
    pool): logging in again and refreshing the token are serialised, so an expiry seen by four threads
    causes one login. `inbox_list` and the writes belong to one caller at a time.
    """

    TOKEN_REFRESH_AFTER = 45 * 60.0  # the access token lives an hour; refresh well before
    MAX_REDIRECTS = 5

    def __init__(
        self,
        *,
        base_url: str,
        username: str,
        password: str,
        connect_timeout: float = 5.0,
        read_timeout: float = 30.0,
        time_zone: str | None = None,
    ) -> None:
        _install_log_redaction()
        self.base_url = base_url.rstrip("/")
        self.host = urlsplit(self.base_url).netloc or self.base_url
        self.username = username
        self._password = password
        self._connect_timeout = connect_timeout
        self._read_timeout = read_timeout
        self._fallback_time_zone = time_zone
        try:
            httpx.URL(self.base_url)
        except httpx.InvalidURL as exc:
            raise ClubOSUnavailable(f"the ClubOS address {base_url!r} is not a valid URL ({exc})") from exc
        self._http = httpx.Client(
            base_url=self.base_url,
            timeout=httpx.Timeout(connect=connect_timeout, read=read_timeout, write=read_timeout, pool=connect_timeout),
            follow_redirects=False,
            headers={"User-Agent": USER_AGENT, "Accept-Language": "en-US,en;q=0.9"},
        )
        self._dashboard: parsers.Dashboard | None = None
        self._dashboard_unused = False
        self._selected_owner: int | None = None
        self._token_at = 0.0
        self._dashboard_at = 0.0
        self._session_lock = threading.RLock()
        self._generation = 0  # bumped by every login and token refresh: the session to store changed
        self.logins = 0  # how many times this client logged in (one, unless the session expired)

    def __repr__(self) -> str:
        return f"<ClubOSClient {self.username}@{self.host}>"

    @classmethod
    def from_settings(cls) -> ClubOSClient:
        return cls(
            base_url=app_settings.BASE_URL,
            username=app_settings.USERNAME,
            password=app_settings.PASSWORD,
            connect_timeout=app_settings.CONNECT_TIMEOUT,
            read_timeout=app_settings.READ_TIMEOUT,
            time_zone=app_settings.TIME_ZONE,
        )

    # --- lifecycle ---------------------------------------------------------------------------------
    def close(self) -> None:
        self._http.close()

    def __enter__(self) -> ClubOSClient:
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, traceback: TracebackType | None
    ) -> None:
        self.close()

    @property
    def logged_in(self) -> bool:
        return self._dashboard is not None

    @property
    def time_zone(self) -> ZoneInfo:
        """The club's zone: the dashboard's `loggedInUserTimezone`, else the configured one."""
        for name in (self._dashboard.time_zone if self._dashboard else None, self._fallback_time_zone):
            if name:
                try:
                    return ZoneInfo(name)
                except (ZoneInfoNotFoundError, ValueError):
                    logger.warning("clubos: unknown time zone %r, trying the next one", name)
        return ZoneInfo(app_settings.TIME_ZONE)

    # --- HTTP plumbing -------------------------------------------------------------------------------
    def _request(
        self,
        method: str,
        path: str,
        *,
        form: parsers.FormFields | None = None,
        params: dict[str, str] | None = None,
        xhr: bool = False,
        headers: dict[str, str] | None = None,
    ) -> httpx.Response:
        all_headers = dict(headers or {})
        content = None
        if form is not None:
            content = urlencode(form).encode()
            all_headers["Content-Type"] = "application/x-www-form-urlencoded; charset=UTF-8"
        if xhr:
            all_headers["X-Requested-With"] = "XMLHttpRequest"
            all_headers.setdefault("Referer", f"{self.base_url}{DASHBOARD}")  # XHRs come from the dashboard
            token = self._cookie("apiV3AccessToken")
            if token:
                all_headers["Authorization"] = f"Bearer {token}"
        logger.debug("clubos: %s %s", method, path)
        try:
            return self._http.request(method, path, content=content, params=params, headers=all_headers)
        except httpx.ConnectTimeout as exc:
            raise ClubOSUnavailable(
                f"ClubOS at {self.host} did not accept a connection within {self._connect_timeout:g} s"
            ) from exc
        except httpx.ReadTimeout as exc:
            raise ClubOSUnavailable(f"ClubOS at {self.host} did not answer within {self._read_timeout:g} s") from exc
        except httpx.TimeoutException as exc:
            raise ClubOSUnavailable(f"ClubOS at {self.host} timed out ({type(exc).__name__})") from exc
        except httpx.ConnectError as exc:
            raise ClubOSUnavailable(f"ClubOS at {self.host} is unreachable ({exc})") from exc
        except httpx.TransportError as exc:
            raise ClubOSUnavailable(f"ClubOS at {self.host} dropped the connection ({type(exc).__name__})") from exc

    def _cookie(self, name: str) -> str | None:
        for cookie in self._http.cookies.jar:
            if cookie.name == name and cookie.value:
                return cookie.value
        return None

    def _checked(self, response: httpx.Response, *, xhr: bool) -> str:
        """Follow page redirects and turn every error signal into an exception (or the expiry signal)."""
        for _ in range(self.MAX_REDIRECTS):
            if response.status_code not in (301, 302, 303, 307, 308):
                break
            location = response.headers.get("Location", "")
            target = urlsplit(location).path
            if target.startswith(SERVER_ERROR_PATH):
                raise ClubOSServerError(f"ClubOS answered with its error page (OOPS) for {response.request.url.path}")
            if target.startswith("/action/Login"):
                raise _SessionExpired
            response = self._request("GET", location)
        else:
            raise ClubOSProtocolError(f"ClubOS redirected more than {self.MAX_REDIRECTS} times")
        if response.status_code >= 500:
            raise ClubOSServerError(f"ClubOS answered HTTP {response.status_code} for {response.request.url.path}")
        if response.status_code >= 400:
            raise ClubOSProtocolError(f"ClubOS answered HTTP {response.status_code} for {response.request.url.path}")
        text = _body_text(response)
        if parsers.is_session_expired_body(text) or parsers.is_login_page(text):
            raise _SessionExpired
        if parsers.is_something_not_right(text):
            raise ClubOSBadRequest(
                f'ClubOS said "Something isn\'t right" for {response.request.url.path} '
                "(stale form tokens or bad parameters)"
            )
        if parsers.is_oops_page(text):
            raise ClubOSServerError(f"ClubOS answered with its error page (OOPS) for {response.request.url.path}")
        if parsers.is_not_found_page(text):
            raise ClubOSPageNotFound(f"ClubOS has no page {response.request.url.path}")
        return text

    def _page(self, path: str) -> str:
        return self._checked(self._request("GET", path), xhr=False)

    def _xhr(
        self, method: str, path: str, *, form: parsers.FormFields | None = None, params: dict[str, str] | None = None
    ) -> str:
        if time.monotonic() - self._token_at > self.TOKEN_REFRESH_AFTER:
            with self._session_lock:
                if time.monotonic() - self._token_at > self.TOKEN_REFRESH_AFTER:  # not refreshed by another thread
                    self._refresh_token()
        return self._checked(self._request(method, path, form=form, params=params, xhr=True), xhr=True)

    def _refresh_token(self) -> None:
        self._checked(self._request("GET", API_TOKEN_REFRESH_PATH, xhr=True), xhr=True)
        self._token_at = time.monotonic()
        self._generation += 1
        logger.info("clubos: refreshed the API token")

    def _call(self, operation: Callable[[], T]) -> T:
        """Run an operation in the session; on expiry log in again once and retry it once."""
        generation = self._generation
        if not self.logged_in:
            with self._session_lock:
                if not self.logged_in:
                    self.login()
                generation = self._generation
        try:
            return operation()
        except _SessionExpired:
            logger.warning("clubos: the ClubOS session expired; logging in again")
        with self._session_lock:
            if self._generation == generation:  # nobody logged in since this call began
                self.login()
        try:
            return operation()
        except _SessionExpired:
            raise ClubOSSessionExpired("ClubOS ended the session again right after a fresh login") from None

    # --- session -------------------------------------------------------------------------------------
    def login(self) -> None:
        """Log in like a browser: login page → Stripes tokens → POST → cookies → dashboard."""
        self._dashboard = None
        self._selected_owner = None
        self._http.cookies.clear()
        page = parsers.parse_login_page(self._login_page_html())
        fields = [
            (name, self.username if name == "username" else self._password if name == "password" else value)
            for name, value in page.fields
        ]
        for required in ("username", "password"):
            if required not in {name for name, _ in fields}:
                fields.append((required, self.username if required == "username" else self._password))
        action = page.action
        if ";jsessionid=" in action and self._cookie("JSESSIONID"):
            action = action.split(";", 1)[0]  # the cookie carries it; keeps the session id out of logs
        response = self._request(
            "POST",
            action,
            form=fields,
            headers={"Origin": self.base_url, "Referer": f"{self.base_url}{LOGIN_VIEW}"},
        )
        if response.status_code in (302, 303):
            target = urlsplit(response.headers.get("Location", "")).path
            if target.startswith(SERVER_ERROR_PATH):
                raise ClubOSServerError("ClubOS answered with its error page (OOPS) to the login")
            if target.startswith("/action/Login"):
                raise ClubOSAuthError("ClubOS rejected the username or password")
        else:
            text = response.text
            if response.status_code >= 500 or parsers.is_oops_page(text):
                raise ClubOSServerError(f"ClubOS failed to log in (HTTP {response.status_code})")
            if parsers.is_something_not_right(text):
                raise ClubOSBadRequest('ClubOS refused the login form ("Something isn\'t right": stale form tokens)')
            if parsers.is_login_page(text) and parsers.parse_login_page(text).error_shown:
                raise ClubOSAuthError("ClubOS rejected the username or password")
            raise ClubOSProtocolError(f"ClubOS answered the login with HTTP {response.status_code} and no redirect")
        if not self._cookie("apiV3AccessToken"):
            raise ClubOSProtocolError("ClubOS logged in but set no API token cookie (apiV3AccessToken)")
        self._token_at = time.monotonic()
        try:
            dashboard_html = self._page(DASHBOARD)
        except _SessionExpired:
            raise ClubOSSessionExpired(
                "ClubOS sent the dashboard back to the login page right after logging in"
            ) from None
        self._dashboard = parsers.parse_dashboard(dashboard_html)
        self._dashboard_at = time.monotonic()
        self._dashboard_unused = True
        self.logins += 1
        self._generation += 1
        logger.info("clubos: logged in to %s as %s", self.host, self.username)

    def _login_page_html(self) -> str:
        # Not _page(): for every other page the login form *is* the session-expired signal.
        response = self._request("GET", LOGIN_VIEW)
        for _ in range(self.MAX_REDIRECTS):
            if response.status_code not in (301, 302, 303, 307, 308):
                break
            response = self._request("GET", response.headers.get("Location", LOGIN_VIEW))
        text = response.text
        if response.status_code >= 500 or parsers.is_oops_page(text):
            raise ClubOSServerError(f"ClubOS's login page failed (HTTP {response.status_code})")
        if not parsers.is_login_page(text):
            raise ClubOSProtocolError(f"ClubOS's login page has no login form (HTTP {response.status_code})")
        return text

    # --- a session kept across processes -------------------------------------------------------------
    @property
    def session_generation(self) -> int:
        """Changes whenever the session does (login, token refresh): time to store it again."""
        return self._generation

    def session_export(self) -> dict[str, object] | None:
        """The logged-in session as JSON-able data (cookies, the dashboard, the token's age), never the
        password; None when not logged in. `session_restore` on a new client continues it."""
        if self._dashboard is None:
            return None
        cookies = [
            {"name": c.name, "value": c.value, "domain": c.domain, "path": c.path}
            for c in self._http.cookies.jar
            if c.value is not None
        ]
        return {
            "cookies": cookies,
            "dashboard": asdict(self._dashboard),
            "token_age": time.monotonic() - self._token_at,
            "dashboard_age": time.monotonic() - self._dashboard_at,
            "saved_at": time.time(),
        }

    def session_restore(self, data: dict[str, object]) -> None:
        """Continue a session another process stored: no login until ClubOS says it has expired."""
        try:
            dashboard = dict(data["dashboard"])  # type: ignore[call-overload]
            dashboard["owners"] = [InboxOwner(**owner) for owner in dashboard["owners"]]
            dashboard["search_fields"] = [tuple(pair) for pair in dashboard["search_fields"]]
            restored = parsers.Dashboard(**dashboard)
            elapsed = max(0.0, time.time() - float(data["saved_at"]))  # type: ignore[arg-type]
            token_age = float(data["token_age"]) + elapsed  # type: ignore[arg-type]
            dashboard_age = float(data.get("dashboard_age", token_age)) + elapsed  # type: ignore[arg-type]
            cookies = list(data["cookies"])  # type: ignore[call-overload]
        except (KeyError, TypeError, ValueError):
            logger.warning("clubos: the stored ClubOS session is unreadable; logging in afresh")
            return
        self._http.cookies.clear()
        for cookie in cookies:
            self._http.cookies.set(cookie["name"], cookie["value"], domain=cookie["domain"], path=cookie["path"])
        # The stored dashboard's owner list stands in for a dashboard request while it is fresh.
        fresh = dashboard_age < app_settings.OWNERS_CACHE_SECONDS
        self._dashboard, self._dashboard_unused, self._selected_owner = restored, fresh, None
        self._token_at = time.monotonic() - token_age
        self._dashboard_at = time.monotonic() - dashboard_age

    # --- reads -----------------------------------------------------------------------------------------
    def inbox_owners(self) -> list[InboxOwner]:
        """The dashboard's owner selector: the club's shared messages and staff inboxes this account sees."""

        def operation() -> list[InboxOwner]:
            if not self._dashboard_unused or self._dashboard is None:
                self._dashboard = parsers.parse_dashboard(self._page(DASHBOARD))
                self._dashboard_at = time.monotonic()
            self._dashboard_unused = False
            return list(self._dashboard.owners)

        return self._call(operation)

    def inbox_list(
        self,
        *,
        owner_id: int,
        newer_than: int | None = None,
        count_rest: Callable[[str], tuple[int, int]] | None = None,
    ) -> InboxList:
        """One owner's whole list, newest first. Selecting an owner (POST) returns its list; once selected,
        the cache-busted GET does: one list request either way. With `newer_than` (a watermark), items at
        or below it are not parsed (see parsers.parse_inbox_list)."""

        def operation() -> InboxList:
            if self._selected_owner != owner_id:
                text = self._xhr("POST", MESSAGES, form=[("userId", str(owner_id))])
                self._selected_owner = owner_id
            else:
                text = self._xhr("GET", MESSAGES, params={"_": str(int(time.time() * 1000))})
            return parsers.parse_inbox_list(
                text,
                owner_id=owner_id,
                now=datetime.now(UTC),
                tz=self.time_zone,
                newer_than=newer_than,
                count_rest=count_rest,
            )

        return self._call(operation)

    def _popup(self, member_id: int) -> parsers.FollowUpPopup:
        text = self._xhr("POST", FOLLOW_UP, form=[("followUpUserId", str(member_id)), ("followUpType", "3")])
        return parsers.parse_followup_popup(text, tz=self.time_zone, member_id=member_id)

    def member_history(self, *, member_id: int) -> MemberHistory:
        """The member's Direct contact popup: contact fields and follow-up log (newest first). Read with the
        lighter parser: only a send needs the popup's forms."""

        def operation() -> MemberHistory:
            text = self._xhr("POST", FOLLOW_UP, form=[("followUpUserId", str(member_id)), ("followUpType", "3")])
            return parsers.parse_member_history(text, tz=self.time_zone, member_id=member_id)

        return self._call(operation)

    def search_members(self, *, keyword: str) -> list[MemberSearchResult]:
        """ClubOS's user search (members, leads and staff). Names are not unique: confirm by email or phone."""

        def operation() -> list[MemberSearchResult]:
            search_fields = self._dashboard.search_fields if self._dashboard else []
            tokens = [(n, v) for n, v in search_fields if n in ("_sourcePage", "__fp")]
            if len(tokens) < 2:
                raise ClubOSProtocolError("ClubOS's dashboard has no user search form tokens")
            form = [("filter.keyword", keyword), ("actAs", "loggedIn"), *tokens]
            return parsers.parse_search_results(self._xhr("POST", USER_SEARCH, form=form))

        return self._call(operation)

    def delegate(self, *, user_id: int) -> None:
        """Act as another user (`0`: back to yourself), as the browser does before opening a member's pages.
        The reads above do not need it; ClubOS reissues the Bearer token for the delegated user."""
        path = f"/action/Delegate/{user_id}/url=false"
        self._call(lambda: self._xhr("GET", path, params={"_": str(int(time.time() * 1000))}))

    # --- writes ----------------------------------------------------------------------------------------
    def send_message(self, *, member_id: int, channel: Channel, body: str, subject: str = "") -> SendReceipt:
        """Text or email a member through the follow-up popup, leaving their profile exactly as it was."""
        if channel not in SEND_ACTIONS:
            raise ValueError(f"ClubOS can only send SMS or email, not {channel}")

        def operation() -> SendReceipt:
            popup = self._popup(member_id)
            contact = popup.history.contact
            name = f"{contact.first_name} {contact.last_name}".strip() or str(member_id)
            if channel is Channel.SMS and not contact.can_text:
                raise ClubOSValidationError(f"{name} cannot receive texts (no valid mobile, or opted out)")
            if channel is Channel.EMAIL and not contact.email:
                raise ClubOSValidationError(f"{name} has no email address in ClubOS")
            fields = save_fields(
                contact_fields=popup.contact_fields,
                outcome_fields=popup.outcome_fields,
                member_id=member_id,
                channel=channel,
                body=body,
                subject=subject,
            )
            outcome = parsers.parse_save_response(self._xhr("POST", FOLLOW_UP_SAVE, form=fields))
            if outcome is None:
                raise ClubOSProtocolError("ClubOS answered the send with neither a confirmation nor an error")
            if not outcome.ok:
                raise ClubOSValidationError(f"ClubOS refused the {CHANNEL_NOUNS[channel]}: {outcome.message}")
            if outcome.verb != SEND_VERBS[channel]:
                raise ClubOSProtocolError(f"ClubOS did not send the {CHANNEL_NOUNS[channel]}: {outcome.message}")
            logger.info("clubos: %s sent to member %s", CHANNEL_NOUNS[channel], member_id)
            return SendReceipt(member_id=member_id, channel=channel, confirmation=outcome.message)

        return self._call(operation)
