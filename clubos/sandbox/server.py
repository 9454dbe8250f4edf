"""The sandbox HTTP server: ClubOS's pages and XHR endpoints over real HTTP, plus a control API.

`SandboxServer(port=0).start()` serves on 127.0.0.1 in a background thread (tests, benchmarks);
`serve_forever()` blocks (the `clubos_sandbox` command). Control helpers are methods of the server
and, for other processes, `POST /__sandbox__/control` with JSON `{"action": <method name>, ...kwargs}`.
"""

from __future__ import annotations

import json
import logging
import os
import re
import secrets
import threading
import time
from dataclasses import asdict, dataclass, field
from http import HTTPStatus
from http.cookies import SimpleCookie
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, parse_qsl, urlencode

from clubos.sandbox import demo, pages
from clubos.sandbox.state import (
    PROFILE_FIELDS,
    SYNC_ACCOUNT_ID,
    Message,
    RequestRecord,
    SandboxState,
    SendRecord,
    Session,
)

logger = logging.getLogger(__name__)

_DELEGATE_PATH = re.compile(r"^/action/Delegate/(\d+)/url=(.*)$")
_MAX_TEXT = 1600
_SAVE_EVERY_SECONDS = 0.5
_STYLESHEET = Path(__file__).resolve().parents[2] / "static" / "css" / "site.css"


@dataclass
class Response:
    status: int = 200
    body: str = ""
    content_type: str = "text/html;charset=UTF-8"
    headers: list[tuple[str, str]] = field(default_factory=list)
    payload: bytes | None = None  # pre-encoded body (the cached inbox list)

    @classmethod
    def redirect(cls, location: str, headers: list[tuple[str, str]] | None = None) -> Response:
        return cls(302, "", headers=[("Location", location), *(headers or [])])


def _cookie(name: str, value: str, *, max_age: int | None = None, http_only: bool = False) -> tuple[str, str]:
    parts = [f"{name}={value}", "Path=/"]
    if max_age is not None:
        parts.append(f"Max-Age={max_age}")
    if http_only:
        parts.append("HttpOnly")
    return ("Set-Cookie", "; ".join(parts))


def _token_cookies(session: Session) -> list[tuple[str, str]]:
    return [
        _cookie("apiV3AccessToken", session.access_token),
        _cookie("delegatedUserId", str(session.delegated_user_id or "")),
    ]


class _Request:
    def __init__(self, method: str, raw_path: str, headers: Any, body: bytes) -> None:
        path, _, self.query = raw_path.partition("?")
        self.path, _, matrix = path.partition(";")
        self.path_session = matrix.split("=", 1)[1] if matrix.startswith("jsessionid=") else None
        self.method = method
        self.headers = headers
        self.body = body
        cookies = SimpleCookie()
        try:
            cookies.load(headers.get("Cookie", ""))
        except Exception:  # a garbled Cookie header is just no cookies
            cookies = SimpleCookie()
        self.cookies = {name: morsel.value for name, morsel in cookies.items()}
        auth = headers.get("Authorization", "")
        self.bearer = auth[7:].strip() if auth.startswith("Bearer ") else ""
        self.xhr = headers.get("X-Requested-With", "") == "XMLHttpRequest"

    @property
    def session_id(self) -> str | None:
        return self.path_session or self.cookies.get("JSESSIONID")

    def form_pairs(self) -> list[tuple[str, str]]:
        return parse_qsl(self.body.decode("utf-8", "replace"), keep_blank_values=True)

    def form(self) -> dict[str, list[str]]:
        return parse_qs(self.body.decode("utf-8", "replace"), keep_blank_values=True)


class ClubOSApp:
    """Routes one request to its page; no HTTP plumbing here."""

    def __init__(self, state: SandboxState) -> None:
        self.state = state

    def handle(self, request: _Request) -> Response:
        path, method = request.path, request.method
        if path in ("/action/Logout", "/action/Logout/"):
            self.state.end_session(request.session_id)
            return Response.redirect("/action/Login/view")
        if path == "/action/Login/view" or (path == "/action/Login" and method == "GET"):
            return self.login_view(request)
        if path == "/action/Login" and method == "POST":
            return self.login(request)
        if path == "/action/Login/refresh-api-v3-access-token":
            return self.refresh_token(request)
        if path == "/action/Invalid/500":
            return Response(body=pages.oops_page())
        if path == "/action/Dashboard/view":
            return self.dashboard(request)
        if path == "/action/Dashboard/messages":
            return self.messages(request)
        if path == "/action/FollowUp" and method == "POST":
            return self.followup(request)
        if path == "/action/FollowUp/save" and method == "POST":
            return self.save(request)
        if path in ("/action/UserSearch/", "/action/UserSearch") and method == "POST":
            return self.user_search(request)
        if match := _DELEGATE_PATH.match(path):
            return self.delegate(request, int(match.group(1)), match.group(2))
        return Response(body=pages.not_found_page())

    # --- session ---------------------------------------------------------------------------------
    def login_view(self, request: _Request) -> Response:
        session = self.state.session(request.session_id)
        headers = []
        if session is None:
            session = self.state.new_session()
            headers.append(_cookie("JSESSIONID", session.id, http_only=True))
        return Response(body=pages.login_page(self.state, session, with_jsessionid=bool(headers)), headers=headers)

    def login(self, request: _Request) -> Response:
        session = self.state.session(request.session_id)
        form = request.form()
        if not self.state.tokens_valid(session, "login", form.get("_sourcePage", []), form.get("__fp", [])):
            return Response(body=pages.SOMETHING_NOT_RIGHT)
        if session is None:  # tokens_valid() already refused a missing session; this narrows the type
            return Response(body=pages.SOMETHING_NOT_RIGHT)
        username = form.get("username", [""])[0]
        if not self.state.log_in(session, username, form.get("password", [""])[0]):
            logger.info("sandbox: rejected a login for %r", username)
            return Response(body=pages.login_page(self.state, session, with_jsessionid=False, error=True))
        headers = [
            _cookie("JSESSIONID", session.id, http_only=True),
            _cookie("loggedInUserId", str(session.user_id)),
            _cookie("staffDelegatedUserId", ""),
            *_token_cookies(session),
            _cookie("apiV3IdToken", secrets.token_urlsafe(32), max_age=3600),
            _cookie("apiV3RefreshToken", secrets.token_urlsafe(32)),
        ]
        return Response.redirect("/action/Dashboard/view", headers)

    def _page_session(self, request: _Request) -> Session | None:
        session = self.state.session(request.session_id)
        return session if session is not None and session.user_id is not None else None

    def _xhr_session(self, request: _Request, *, allow_expired: bool = False) -> Session | None:
        session = self.state.token_session(request.bearer, allow_expired=allow_expired)
        if session is None or (request.cookies.get("JSESSIONID") not in (None, session.id)):
            return None
        return session

    def _expired(self, request: _Request, *, xhr: bool = True) -> Response:
        if xhr or request.xhr:
            return Response(body=pages.SESSION_EXPIRED, content_type="text/plain;charset=UTF-8")
        return Response.redirect("/action/Login/view")

    def refresh_token(self, request: _Request) -> Response:
        session = self._xhr_session(request, allow_expired=True)
        if session is None:
            return self._expired(request)
        self.state.issue_token(session)
        return Response(body="true", content_type="application/json", headers=_token_cookies(session))

    def delegate(self, request: _Request, user_id: int, url: str) -> Response:
        session = self._xhr_session(request)
        if session is None:
            return self._expired(request)
        if user_id and self.state.person(user_id) is None:
            return Response.redirect("/action/Invalid/500")
        with self.state.lock:
            session.delegated_user_id = user_id or session.user_id
            self.state.issue_token(session)
        if url and url != "false":
            return Response.redirect(url, _token_cookies(session))
        return Response(body="", headers=_token_cookies(session))

    # --- pages and XHRs --------------------------------------------------------------------------
    def dashboard(self, request: _Request) -> Response:
        session = self._page_session(request)
        if session is None:
            return Response.redirect("/action/Login/view")
        with self.state.lock:
            return Response(body=pages.dashboard_page(self.state, session))

    def messages(self, request: _Request) -> Response:
        session = self._xhr_session(request)
        if session is None:
            return self._expired(request)
        if request.method == "POST":
            try:
                owner = int(request.form().get("userId", [""])[0])
            except ValueError:
                return Response(body=pages.SOMETHING_NOT_RIGHT)
            if owner not in self.state.owner_ids():
                return Response(body=pages.SOMETHING_NOT_RIGHT)
            session.selected_owner = owner
        owner_id = session.selected_owner or session.user_id or SYNC_ACCOUNT_ID
        return Response(payload=pages.inbox_list_payload(self.state, owner_id))

    def followup(self, request: _Request) -> Response:
        session = self._xhr_session(request)
        if session is None:
            return self._expired(request)
        form = request.form()
        try:
            member_id = int(form.get("followUpUserId", [""])[0])
        except ValueError:
            return Response(body=pages.SOMETHING_NOT_RIGHT)
        with self.state.lock:
            person = self.state.person(member_id)
            if person is None:
                return Response.redirect("/action/Invalid/500")
            return Response(body=pages.followup_popup(self.state, session, person))

    def user_search(self, request: _Request) -> Response:
        session = self._xhr_session(request) if request.bearer else self._page_session(request)
        if session is None:
            return self._expired(request, xhr=request.xhr)
        form = request.form()
        if not self.state.tokens_valid(session, "search", form.get("_sourcePage", []), form.get("__fp", [])):
            return Response(body=pages.SOMETHING_NOT_RIGHT)
        return Response(body=pages.search_results(self.state.search(form.get("filter.keyword", [""])[0])))

    def save(self, request: _Request) -> Response:
        session = self._xhr_session(request)
        if session is None:
            return self._expired(request)
        pairs = request.form_pairs()
        form = request.form()
        sources, fps = form.get("_sourcePage", []), form.get("__fp", [])
        if not (
            self.state.tokens_valid(session, "followup_contact", sources, fps)
            and self.state.tokens_valid(session, "followup_outcome", sources, fps)
        ):
            return Response(body=pages.SOMETHING_NOT_RIGHT)

        def first(name: str) -> str:
            return form.get(name, [""])[0]

        try:
            member_id = int(first("followUpUser.tfoUserId"))
            action = int(first("followUpLog.followUpAction"))
        except ValueError:
            return Response.redirect("/action/Invalid/500")
        with self.state.lock:
            person = self.state.person(member_id)
            if person is None or action not in (1, 2, 3) or first("followUpLog.tfoUserId") not in ("", str(member_id)):
                return Response.redirect("/action/Invalid/500")
            error = self._validate_send(action, form, person.mobile, person.dnc_status, person.email)
            before = person.profile()
            if error:
                response = f"ERROR - {error}"
                self.state.record_send(SendRecord(member_id, action, pairs, before, before, response, None))
                return Response(body=response)
            # As in ClubOS, the contact fields posted are saved back onto the person: blank wipes.
            for name, attr in PROFILE_FIELDS.items():
                if name in form:
                    setattr(person, attr, form[name][0])
            message: Message | None = None
            staff_id = session.user_id or SYNC_ACCOUNT_ID
            if action in (2, 3):
                message = self.state.add_message(
                    owner_id=staff_id if staff_id in self.state.lists else SYNC_ACCOUNT_ID,
                    member_id=member_id,
                    inbound=False,
                    channel="sms" if action == 3 else "email",
                    body=first("textMessage") if action == 3 else first("emailMessage"),
                    subject=first("emailSubject"),
                    staff_id=staff_id,
                    staff_note=first("followUpLog.notes"),
                )
            verb = {3: "texted", 2: "emailed", 1: "updated"}[action]
            link = f'<a href="/action/Delegate/{member_id}/url=/action/LeadProfile">{pages._e(person.full_name)}</a>'
            response = f"{link} has been {verb}."
            self.state.record_send(
                SendRecord(
                    member_id, action, pairs, before, person.profile(), response, message.id if message else None
                )
            )
            return Response(body=response)

    @staticmethod
    def _validate_send(action: int, form: dict[str, list[str]], mobile: str, dnc: str, email: str) -> str:
        def first(name: str) -> str:
            return form.get(name, [""])[0]

        posted_mobile = first("followUpUser.mobilePhone") if "followUpUser.mobilePhone" in form else mobile
        posted_email = first("followUpUser.email") if "followUpUser.email" in form else email
        if action == 3:
            text = first("textMessage")
            if not text.strip():
                return "Please enter a text message."
            if len(text) > _MAX_TEXT:
                return f"Text messages are limited to {_MAX_TEXT} characters."
            if not posted_mobile.strip() or dnc != "OK":
                return "This member cannot receive text messages."
        if action == 2:
            if not first("emailSubject").strip():
                return "Please enter an email subject."
            if not first("emailMessage").strip():
                return "Please enter an email message."
            if not posted_email.strip():
                return "This member has no email address."
        return ""


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keep-alive, like ClubOS behind its load balancer
    server_version = "Apache-Coyote/1.1"
    sys_version = ""
    # Headers and body go out in separate writes: without TCP_NODELAY, Nagle + delayed ACK add ~40 ms.
    disable_nagle_algorithm = True

    def version_string(self) -> str:
        return self.server_version

    timeout = 120
    server: _HTTPServer

    def log_message(self, format: str, *args: Any) -> None:
        logger.debug("sandbox: " + format, *args)

    def do_GET(self) -> None:
        self._serve("GET")

    def do_POST(self) -> None:
        self._serve("POST")

    def do_HEAD(self) -> None:
        self._serve("HEAD")

    def _serve(self, method: str) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        request = _Request(method, self.path, self.headers, body)
        sandbox = self.server.sandbox
        if request.path.startswith("/__sandbox__"):
            self._send(sandbox.control(request))
            return
        state = sandbox.state
        with state.lock:
            state.in_flight += 1
            state.max_in_flight = max(state.max_in_flight, state.in_flight)
        try:
            oops, wait = state.before_request(method, request.path)
            if wait:
                time.sleep(wait)
            garbage = state.garbage_for(method, request.path)
            if garbage is not None:
                response = Response(body=garbage)
            elif oops:
                response = Response.redirect("/action/Invalid/500")
            else:
                response = sandbox.app.handle(request)
        finally:
            with state.lock:
                state.in_flight -= 1
        sandbox.state.record_request(
            RequestRecord(method, request.path, request.query, request.xhr, response.status, time.time())
        )
        self._send(response, head=method == "HEAD")

    def _send(self, response: Response, *, head: bool = False) -> None:
        payload = response.payload if response.payload is not None else response.body.encode("utf-8")
        try:
            self.send_response(response.status)
            self.send_header("Content-Type", response.content_type)
            self.send_header("Content-Length", str(len(payload)))
            for name, value in response.headers:
                self.send_header(name, value)
            self.end_headers()
            if not head:
                self.wfile.write(payload)
        except (BrokenPipeError, ConnectionResetError):  # the client gave up (a read timeout test)
            self.close_connection = True


class _HTTPServer(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True

    def __init__(self, address: tuple[str, int], sandbox: SandboxServer) -> None:
        self.sandbox = sandbox
        super().__init__(address, _Handler)


class SandboxServer:
    """A running sandbox: `.url`, `.state`, and the control helpers (see tests/fixtures/clubos_sandbox.py).

    With `state_file`, the club is loaded from that file when it exists (`fresh=True` starts from the
    seeded club instead) and written back within half a second of every change and on stop, so a
    restarted sandbox still agrees with what Clubroom synced from it.
    """

    def __init__(
        self,
        *,
        host: str = "127.0.0.1",
        port: int = 0,
        username: str = "clubroom.sync",
        password: str = "sandbox-password",  # noqa: S107 (the sandbox's documented default)
        seed_inbox: bool = True,
        state_file: Path | None = None,
        fresh: bool = False,
    ) -> None:
        self.state = SandboxState(
            username=username, password=password, seed_inbox=demo.seed_inbox if seed_inbox else None
        )
        self.state_file = state_file
        self.restored = False
        if state_file is not None and not fresh:
            self.restored = self._load(state_file)
        self._saved_revision = self.state.revision if self.restored else -1
        self.app = ClubOSApp(self.state)
        self._httpd = _HTTPServer((host, port), self)
        self._thread: threading.Thread | None = None
        self._saver: threading.Thread | None = None
        self._stopping = threading.Event()
        bound_host, bound_port = self._httpd.server_address[:2]
        self.host, self.port = str(bound_host), int(bound_port)
        self.url = f"http://{self.host}:{self.port}"

    # --- lifecycle -------------------------------------------------------------------------------
    def start(self) -> SandboxServer:
        self._start_saver()
        self._thread = threading.Thread(target=self._httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
        self._thread.start()
        return self

    def serve_forever(self) -> None:
        self._start_saver()
        self._httpd.serve_forever(poll_interval=0.25)

    def stop(self) -> None:
        self._httpd.shutdown()
        self._httpd.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)
        self._stopping.set()
        if self._saver is not None:
            self._saver.join(timeout=5)
        self.save()

    # --- persistence -----------------------------------------------------------------------------
    def _load(self, path: Path) -> bool:
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
            self.state.restore(data)
        except FileNotFoundError:
            return False
        except (OSError, ValueError) as exc:  # a damaged file: start from the seeded club, say so once
            logger.warning("sandbox: ignoring the saved state in %s (%s); starting from the demo club", path, exc)
            return False
        return True

    def save(self) -> bool:
        """Write the club to `state_file` if it changed since the last write (atomically: temp + rename)."""
        if self.state_file is None:
            return False
        with self.state.lock:
            revision = self.state.revision
            if revision == self._saved_revision:
                return False
            payload = json.dumps(self.state.snapshot(), separators=(",", ":"))
        self.state_file.parent.mkdir(parents=True, exist_ok=True)
        temporary = self.state_file.with_name(f".{self.state_file.name}.{os.getpid()}.tmp")
        temporary.write_text(payload, encoding="utf-8")
        temporary.replace(self.state_file)
        self._saved_revision = revision
        return True

    def _start_saver(self) -> None:
        if self.state_file is None or self._saver is not None:
            return
        self.save()  # the seeded club is on disk from the first second

        def run() -> None:
            while not self._stopping.wait(_SAVE_EVERY_SECONDS):
                try:
                    self.save()
                except OSError as exc:
                    logger.warning("sandbox: could not save its state to %s: %s", self.state_file, exc)

        self._saver = threading.Thread(target=run, name="clubos-sandbox-saver", daemon=True)
        self._saver.start()

    def __enter__(self) -> SandboxServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # --- control helpers ---------------------------------------------------------------------------
    def reset(self) -> None:
        self.state.reset()

    def inject(
        self, *, member_id: int, text: str, email: bool = False, subject: str = "", owner_id: int | None = None
    ) -> int:
        """A member texts (or emails, with `email=True`) the club; returns the new ClubOS message id."""
        return self.state.inject(member_id=member_id, text=text, email=email, subject=subject, owner_id=owner_id).id

    def bulk_seed(self, count: int, *, owner_id: int | None = None, member_ids: list[int] | None = None) -> list[int]:
        return self.state.bulk_seed(count, owner_id=owner_id, member_ids=member_ids)

    def bulk_members(self, count: int) -> list[int]:
        """`count` extra members (unique names, emails, mobiles); returns their ClubOS ids."""
        return self.state.bulk_members(count)

    def max_in_flight(self) -> int:
        """The most ClubOS requests this sandbox has served at the same moment (since the last reset)."""
        with self.state.lock:
            return self.state.max_in_flight

    def set_latency(self, seconds: float) -> None:
        """Every ClubOS request (not the control page) answers `seconds` late, like a real server far away."""
        with self.state.lock:
            self.state.latency = float(seconds)

    def expire_sessions(self, *, after_requests: int | None = None) -> None:
        self.state.expire_sessions(after_requests=after_requests)

    def fail_next(self, path_prefix: str, count: int = 1, *, method: str | None = None) -> None:
        self.state.fail_next(path_prefix, count, method=method)

    def delay(self, path_prefix: str, seconds: float, count: int = 1, *, method: str | None = None) -> None:
        self.state.delay(path_prefix, seconds, count, method=method)

    def garbage_next(self, path_prefix: str, count: int = 1, *, body: str = "", method: str | None = None) -> None:
        self.state.garbage_next(path_prefix, count, body=body, method=method)

    def set_legacy_markup(self, enabled: bool = True) -> None:
        with self.state.lock:
            self.state.legacy_markup = enabled

    def set_malformed_items(self, count: int) -> None:
        with self.state.lock:
            self.state.malformed_items = count

    def reject_logins(self, enabled: bool = True) -> None:
        with self.state.lock:
            self.state.reject_logins = enabled

    def set_token_ttl(self, seconds: float) -> None:
        with self.state.lock:
            self.state.token_ttl = seconds

    def set_dnc(self, member_id: int, status: str = "DNC") -> None:
        """Make a member's mobile unable to receive texts (`dncStatus` other than OK)."""
        with self.state.lock:
            self.state.people[member_id].dnc_status = status
            self.state.touch()

    def sends(self) -> list[SendRecord]:
        return self.state.send_log()

    def requests(self, path_prefix: str = "") -> list[RequestRecord]:
        return self.state.request_log(path_prefix)

    def clear_requests(self) -> None:
        with self.state.lock:
            self.state.requests.clear()

    def member_profile(self, member_id: int) -> dict[str, str]:
        return self.state.member_profile(member_id)

    def list_ids(self, owner_id: int) -> list[int]:
        return [message.id for message in self.state.list_for(owner_id)]

    def listed(self) -> int:
        """How many items every owner's list holds: what one sync run "fetched"."""
        return sum(len(self.list_ids(owner_id)) for owner_id in self.state.owner_ids())

    # --- control API (other processes: the inject command, a person's browser) ---------------------
    _ACTIONS = (
        "reset", "inject", "bulk_seed", "expire_sessions", "fail_next", "delay", "garbage_next", "set_legacy_markup",
        "set_malformed_items", "reject_logins", "set_token_ttl", "set_latency", "bulk_members", "max_in_flight",
        "set_dnc", "sends", "requests",
        "clear_requests", "member_profile", "list_ids",
    )  # fmt: skip

    def control(self, request: _Request) -> Response:
        if request.path == "/__sandbox__/site.css" and request.method == "GET":
            # The control page wears Clubroom's own stylesheet (the same file, no copy to drift).
            return Response(body=_STYLESHEET.read_text(encoding="utf-8"), content_type="text/css;charset=UTF-8")
        if request.path in ("/__sandbox__", "/__sandbox__/") and request.method == "GET":
            sent = parse_qs(request.query).get("sent", [""])[0]
            with self.state.lock:
                return Response(body=pages.control_page(self.state, sent=sent))
        if request.path == "/__sandbox__/inject" and request.method == "POST":
            form = request.form()
            try:
                message_id = self.inject(
                    member_id=int(form.get("member", [""])[0]),
                    text=form.get("text", [""])[0],
                    email=bool(form.get("email")),
                    subject=form.get("subject", [""])[0],
                )
            except (KeyError, ValueError):
                return Response(400, "Unknown member", "text/plain;charset=UTF-8")
            return Response(303, "", headers=[("Location", "/__sandbox__/?" + urlencode({"sent": message_id}))])
        if request.path == "/__sandbox__/control" and request.method == "POST":
            return self._control_json(request)
        return Response(404, "Not a sandbox control path", "text/plain;charset=UTF-8")

    def _control_json(self, request: _Request) -> Response:
        try:
            payload = json.loads(request.body or b"{}")
            action = payload.pop("action")
            if action not in self._ACTIONS:
                raise KeyError(action)
            args = payload.pop("args", [])
            result = getattr(self, action)(*args, **payload)
        except (KeyError, TypeError, ValueError, json.JSONDecodeError) as exc:
            body = json.dumps({"error": f"{type(exc).__name__}: {exc}"})
            return Response(int(HTTPStatus.BAD_REQUEST), body, "application/json")
        if isinstance(result, list):
            result = [asdict(item) if hasattr(item, "__dataclass_fields__") else item for item in result]
        return Response(body=json.dumps({"result": result}, default=str), content_type="application/json")
