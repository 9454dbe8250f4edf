"""The sandbox's in-memory ClubOS: people, sessions, inbox lists, follow-up logs, faults and logs.

Thread-safe: every public method takes the state's lock. Times are aware UTC datetimes; pages render
them in the club's time zone like ClubOS does. `snapshot()`/`restore()` carry the club (people, lists,
logs, sends, id counters) across restarts; sessions, faults and the request log are not kept.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import secrets
import threading
import time
from collections import deque
from collections.abc import Callable, Iterable
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from accounts import demo

CLUB_TIME_ZONE = "America/Chicago"
FIRST_MESSAGE_ID = 130_826_000
SYNC_ACCOUNT_ID = 187_000_009
TOKEN_TTL_SECONDS = 3600
REQUEST_LOG_SIZE = 100_000

ROLE_ADMIN = 2
ROLE_FRONT_DESK = 5
ROLE_TRAINER = 6
ROLE_MEMBER = 7
ROLE_LEAD = 99

ICON_TEXT = "text"
ICON_EMAIL = "email"
ICON_CALL = "call"
ICON_GENERAL = "general"

# The profile fields a save writes back onto the person (blank values wipe them, as in ClubOS).
PROFILE_FIELDS = {
    "followUpUser.firstName": "first_name",
    "followUpUser.lastName": "last_name",
    "followUpUser.email": "email",
    "followUpUser.mobilePhone": "mobile",
    "followUpUser.homePhone": "home_phone",
    "followUpUser.workPhone": "work_phone",
}

SNAPSHOT_FORMAT = 1

TEXT_PREFIX = "Text - Left Message - "
EMAIL_PREFIX = "Email - Left Message - "


@dataclass
class Person:
    id: int
    first_name: str
    last_name: str
    email: str = ""
    mobile: str = ""
    home_phone: str = ""
    work_phone: str = ""
    role_id: int = ROLE_MEMBER
    location_id: int = demo.CLUB_LOCATION_ID
    dnc_status: str = "OK"
    gender: str = "U"
    email_opt_in: bool = True

    @property
    def full_name(self) -> str:
        return f"{self.first_name} {self.last_name}".strip()

    @property
    def short_name(self) -> str:
        """How ClubOS signs follow-up entries: "Dana R."."""
        return f"{self.first_name} {self.last_name[:1]}." if self.last_name else self.first_name

    def profile(self) -> dict[str, str]:
        return {attr: getattr(self, attr) for attr in PROFILE_FIELDS.values()}


@dataclass
class Message:
    """One item of an owner's inbox list; `member_id` is the contact on the other side."""

    id: int
    owner_id: int
    member_id: int
    inbound: bool  # written by the member; False: sent by staff (the owner's side)
    channel: str  # "sms" or "email"
    body: str  # plain text for SMS, HTML for email
    created_at: datetime
    subject: str = ""


@dataclass
class LogEntry:
    """One entry of a member's follow-up log; `note` is plain text, escaped when rendered."""

    seq: int
    member_id: int
    occurred_at: datetime
    author: str  # "Dana R.", "Sam O.", "System I."
    icon: str
    note: str
    lead_type: str = "lead"


@dataclass
class Session:
    id: str
    user_id: int | None = None
    delegated_user_id: int | None = None
    selected_owner: int | None = None
    access_token: str = ""
    token_issued_at: float = 0.0
    forms: dict[str, tuple[str, str]] = field(default_factory=dict)  # form name → (_sourcePage, __fp)


@dataclass(frozen=True)
class SendRecord:
    """A save as received: the exact posted form and the profile before and after."""

    member_id: int
    action: int  # followUpLog.followUpAction: 3 SMS, 2 email, 1 call/update
    form: list[tuple[str, str]]
    profile_before: dict[str, str]
    profile_after: dict[str, str]
    response: str
    message_id: int | None


@dataclass(frozen=True)
class RequestRecord:
    method: str
    path: str
    query: str
    xhr: bool
    status: int
    at: float


# Two list items that are not messages: the shape of a page from a broken proxy or a new layout.
GARBAGE_PAGE = "<html><body><ul><li>\u0000\u0013 garbled</li><li>???</li></ul></body></html>"


@dataclass
class _Rule:
    path_prefix: str
    remaining: int
    seconds: float = 0.0
    method: str | None = None
    body: str = ""

    def matches(self, method: str, path: str) -> bool:
        return (
            self.remaining > 0
            and path.startswith(self.path_prefix)
            and (self.method is None or self.method.upper() == method.upper())
        )


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


class SandboxState:
    """Everything the sandbox knows. Public methods are the control helpers (see tests/fixtures)."""

    def __init__(
        self, *, username: str, password: str, seed_inbox: Callable[[SandboxState], None] | None = None
    ) -> None:
        """`seed_inbox` fills the inbox after every reset (the server hands it the demo club's, demo.py)."""
        self.lock = threading.RLock()
        self.username = username
        self.password = password
        self.time_zone = ZoneInfo(CLUB_TIME_ZONE)
        self._jwt_key = secrets.token_bytes(32)
        self._seed_inbox = seed_inbox
        # Bumped by every change to what a snapshot holds: the saver writes only when it moved.
        self.revision = 0
        self.reset()

    # --- setup ---------------------------------------------------------------------------------
    def reset(self) -> None:
        """Back to the freshly seeded club: no sessions, no faults, empty logs."""
        with self.lock:
            self.revision += 1
            self.people: dict[int, Person] = {}
            self.sessions: dict[str, Session] = {}
            self.lists: dict[int, list[Message]] = {}
            self.logs: dict[int, list[LogEntry]] = {}
            self.sends: list[SendRecord] = []
            # Bounded: `make run` polls every few seconds for as long as it runs.
            self.requests: deque[RequestRecord] = deque(maxlen=REQUEST_LOG_SIZE)
            self.next_message_id = FIRST_MESSAGE_ID
            self._seq = 0
            self._list_cache: dict[int, tuple[tuple[object, ...], bytes]] = {}
            self._versions: dict[int, int] = {}
            # faults
            self.expire_countdown: int | None = None
            self.oops_rules: list[_Rule] = []
            self.delay_rules: list[_Rule] = []
            self.garbage_rules: list[_Rule] = []
            self.legacy_markup = False
            self.malformed_items = 0
            self.reject_logins = False
            self.token_ttl = float(TOKEN_TTL_SECONDS)
            self.latency = 0.0
            self.in_flight = 0
            self.max_in_flight = 0  # the most ClubOS requests served at once since the last reset
            self._seed_people()
            for owner in self.owner_ids():
                self.lists[owner] = []
            if self._seed_inbox is not None:
                self._seed_inbox(self)

    def _seed_people(self) -> None:
        self.add_person(Person(SYNC_ACCOUNT_ID, "Clubroom", "Sync", "sync@clubroom.example", role_id=ROLE_FRONT_DESK))
        self.add_person(
            Person(
                demo.ADMIN.clubos_id, demo.ADMIN.first_name, demo.ADMIN.last_name, demo.ADMIN.email, role_id=ROLE_ADMIN
            )
        )
        for staff, role in zip(demo.STAFF, (ROLE_FRONT_DESK, ROLE_TRAINER), strict=True):
            self.add_person(
                Person(staff.clubos_id, staff.first_name, staff.last_name, staff.email, staff.mobile, role_id=role)
            )
        for index, member in enumerate(demo.MEMBERS):
            self.add_person(
                Person(
                    member.clubos_id,
                    member.first_name,
                    member.last_name,
                    member.email,
                    member.mobile,
                    gender="F" if index % 2 else "M",
                )
            )

    def add_person(self, person: Person) -> Person:
        with self.lock:
            self.revision += 1
            self.people[person.id] = person
            self.logs.setdefault(person.id, [])
            return person

    # --- people and owners ---------------------------------------------------------------------
    def owner_ids(self) -> list[int]:
        """The owner selector: the club's shared messages, then the sync account's own."""
        return [demo.CLUB_LOCATION_ID, SYNC_ACCOUNT_ID]

    def owner_name(self, owner_id: int) -> str:
        if owner_id == demo.CLUB_LOCATION_ID:
            return "Clubroom Riverside (club's shared messages)"
        person = self.people.get(owner_id)
        return person.full_name if person else str(owner_id)

    def person(self, person_id: int) -> Person | None:
        with self.lock:
            return self.people.get(person_id)

    def member_profile(self, member_id: int) -> dict[str, str]:
        with self.lock:
            return self.people[member_id].profile()

    def search(self, keyword: str) -> list[Person]:
        needle = keyword.strip().casefold()
        digits = "".join(ch for ch in keyword if ch.isdigit())
        if not needle:
            return []
        with self.lock:
            found = []
            for person in self.people.values():
                phones = "".join(ch for ch in person.mobile + " " + person.home_phone if ch.isdigit() or ch == " ")
                if (
                    needle in person.full_name.casefold()
                    or (person.email and needle in person.email.casefold())
                    or (len(digits) >= 4 and digits in phones.replace(" ", "|"))
                ):
                    found.append(person)
            return found

    # --- messages and logs ---------------------------------------------------------------------
    def now(self) -> datetime:
        return datetime.now(UTC)

    def _next_seq(self) -> int:
        self._seq += 1
        return self._seq

    def _touch(self, owner_id: int) -> None:
        self._versions[owner_id] = self._versions.get(owner_id, 0) + 1

    def add_message(
        self,
        *,
        owner_id: int,
        member_id: int,
        inbound: bool,
        body: str,
        channel: str = "sms",
        subject: str = "",
        at: datetime | None = None,
        staff_id: int | None = None,
        staff_note: str = "",
    ) -> Message:
        """Append a message to an owner's list and the matching entries to the member's log."""
        with self.lock:
            if member_id not in self.people:
                raise KeyError(f"no ClubOS person {member_id}")
            if owner_id not in self.lists:
                raise KeyError(f"no inbox owner {owner_id}")
            at = at or self.now()
            self.revision += 1
            message = Message(self.next_message_id, owner_id, member_id, inbound, channel, body, at, subject)
            self.next_message_id += 1
            self.lists[owner_id].append(message)
            self._touch(owner_id)
            member = self.people[member_id]
            icon = ICON_EMAIL if channel == "email" else ICON_TEXT
            if inbound:
                self.add_log(member_id=member_id, at=at, author=member.short_name, icon=icon, note=body)
            else:
                staff = self.people[staff_id or SYNC_ACCOUNT_ID]
                prefix = EMAIL_PREFIX if channel == "email" else TEXT_PREFIX
                self.add_log(member_id=member_id, at=at, author=staff.short_name, icon=icon, note=prefix + body)
                # ClubOS writes the staff notes as a second entry with the same time.
                self.add_log(
                    member_id=member_id,
                    at=at,
                    author=staff.short_name,
                    icon=ICON_GENERAL,
                    note=staff_note or "Left Message",
                )
            return message

    def add_log(
        self, *, member_id: int, at: datetime, author: str, icon: str, note: str, lead_type: str = "lead"
    ) -> LogEntry:
        with self.lock:
            self.revision += 1
            entry = LogEntry(self._next_seq(), member_id, at, author, icon, note, lead_type)
            self.logs.setdefault(member_id, []).append(entry)
            return entry

    def log_for(self, member_id: int) -> list[LogEntry]:
        """Newest first, as the popup shows it."""
        with self.lock:
            return sorted(self.logs.get(member_id, []), key=lambda e: (e.occurred_at, e.seq), reverse=True)

    def list_for(self, owner_id: int) -> list[Message]:
        """Newest first (ids strictly descending)."""
        with self.lock:
            return list(reversed(self.lists.get(owner_id, [])))

    def cached_list_payload(self, owner_id: int, key: tuple[object, ...], render: Callable[[], bytes]) -> bytes:
        """Rendering and encoding a 5,000-item list costs tens of ms: keep it until the list or the faults change."""
        with self.lock:
            full_key = (self._versions.get(owner_id, 0), *key)
            cached = self._list_cache.get(owner_id)
            if cached and cached[0] == full_key:
                return cached[1]
            payload = render()
            self._list_cache[owner_id] = (full_key, payload)
            return payload

    def inject(
        self, *, member_id: int, text: str, email: bool = False, subject: str = "", owner_id: int | None = None
    ) -> Message:
        """A member texts (or emails) the club: it lands in the club's shared messages by default."""
        return self.add_message(
            owner_id=owner_id or demo.CLUB_LOCATION_ID,
            member_id=member_id,
            inbound=True,
            body=text,
            channel="email" if email else "sms",
            subject=subject,
        )

    def bulk_members(self, count: int, *, first_id: int = 62_000_000) -> list[int]:
        """`count` extra members with unique names, emails and mobiles (a club at scale)."""
        with self.lock:
            ids = []
            for index in range(count):
                person_id = first_id + index
                self.add_person(
                    Person(
                        person_id,
                        f"Bulk{index:05d}",
                        f"Member{index:05d}",
                        f"bulk{index:05d}@members.example",
                        mobile=f"(555) {index // 10000:03d}-{index % 10000:04d}",
                    )
                )
                ids.append(person_id)
            return ids

    def bulk_seed(
        self, count: int, *, owner_id: int | None = None, member_ids: Iterable[int] | None = None
    ) -> list[int]:
        """`count` new inbound texts, one minute apart and ending now, cycling over the members."""
        with self.lock:
            members = list(member_ids) if member_ids is not None else [m.clubos_id for m in demo.MEMBERS]
            now = self.now()
            ids = []
            for index in range(count):
                member_id = members[index % len(members)]
                at = now - timedelta(minutes=count - index)
                body = f"Bulk message {index + 1} of {count}: is the {index % 24}:00 class on today?"
                ids.append(self.inject(member_id=member_id, text=body, owner_id=owner_id).id)
                self.lists[owner_id or demo.CLUB_LOCATION_ID][-1].created_at = at
                self.logs[member_id][-1].occurred_at = at
            return ids

    # --- sessions, tokens, forms ---------------------------------------------------------------
    def new_session(self) -> Session:
        with self.lock:
            session = Session(id=secrets.token_hex(16).upper())
            self.sessions[session.id] = session
            return session

    def session(self, session_id: str | None) -> Session | None:
        with self.lock:
            return self.sessions.get(session_id) if session_id else None

    def end_session(self, session_id: str | None) -> None:
        with self.lock:
            if session_id:
                self.sessions.pop(session_id, None)

    def form_tokens(self, session: Session, form: str) -> tuple[str, str]:
        """Stripes tokens for one form of this session (stable while the session lives)."""
        with self.lock:
            if form not in session.forms:
                session.forms[form] = (secrets.token_urlsafe(24), secrets.token_urlsafe(18))
            return session.forms[form]

    def tokens_valid(self, session: Session | None, form: str, source_pages: list[str], fps: list[str]) -> bool:
        with self.lock:
            if session is None or form not in session.forms:
                return False
            source_page, fp = session.forms[form]
            return source_page in source_pages and fp in fps

    def log_in(self, session: Session, username: str, password: str) -> bool:
        with self.lock:
            if self.reject_logins or username != self.username or not hmac.compare_digest(password, self.password):
                return False
            session.user_id = SYNC_ACCOUNT_ID
            session.delegated_user_id = SYNC_ACCOUNT_ID
            session.selected_owner = None
            self.issue_token(session)
            return True

    def issue_token(self, session: Session) -> str:
        with self.lock:
            now = time.time()
            header = _b64(json.dumps({"alg": "HS256", "typ": "JWT"}).encode())
            payload = _b64(
                json.dumps(
                    {
                        "delegateUserId": session.delegated_user_id,
                        "loggedInUserId": session.user_id,
                        "sessionId": session.id,
                        "iat": int(now),
                        "exp": int(now + self.token_ttl),
                        "jti": secrets.token_hex(8),
                    }
                ).encode()
            )
            signature = _b64(hmac.new(self._jwt_key, f"{header}.{payload}".encode(), hashlib.sha256).digest())
            session.access_token = f"{header}.{payload}.{signature}"
            session.token_issued_at = now
            return session.access_token

    def token_session(self, token: str, *, allow_expired: bool = False) -> Session | None:
        """The logged-in session a Bearer token belongs to, if it is genuine, current and unexpired."""
        with self.lock:
            try:
                header, payload, signature = token.split(".")
                expected = _b64(hmac.new(self._jwt_key, f"{header}.{payload}".encode(), hashlib.sha256).digest())
                if not hmac.compare_digest(signature, expected):
                    return None
                claims = json.loads(_unb64(payload))
            except (ValueError, json.JSONDecodeError):
                return None
            session = self.sessions.get(str(claims.get("sessionId")))
            if session is None or session.user_id is None or session.access_token != token:
                return None
            if not allow_expired and time.time() > session.token_issued_at + self.token_ttl:
                return None
            return session

    # --- faults --------------------------------------------------------------------------------
    def expire_sessions(self, *, after_requests: int | None = None) -> None:
        """Log every session out now, or once `after_requests` more requests have been served."""
        with self.lock:
            if after_requests:
                self.expire_countdown = after_requests
                return
            self.expire_countdown = None
            for session in self.sessions.values():
                session.user_id = None
                session.access_token = ""

    def fail_next(self, path_prefix: str, count: int = 1, *, method: str | None = None) -> None:
        """The next `count` requests whose path starts with `path_prefix` answer OOPS (302 → /action/Invalid/500)."""
        with self.lock:
            self.oops_rules.append(_Rule(path_prefix, count, method=method))

    def delay(self, path_prefix: str, seconds: float, count: int = 1, *, method: str | None = None) -> None:
        """The next `count` matching requests wait `seconds` before answering (read timeouts)."""
        with self.lock:
            self.delay_rules.append(_Rule(path_prefix, count, seconds=seconds, method=method))

    def garbage_next(self, path_prefix: str, count: int = 1, *, body: str = "", method: str | None = None) -> None:
        """The next `count` matching requests answer 200 with `body` (default GARBAGE_PAGE): what a broken
        proxy, a maintenance page or an unknown layout looks like."""
        with self.lock:
            self.garbage_rules.append(_Rule(path_prefix, count, method=method, body=body or GARBAGE_PAGE))

    def garbage_for(self, method: str, path: str) -> str | None:
        with self.lock:
            for rule in self.garbage_rules:
                if rule.matches(method, path):
                    rule.remaining -= 1
                    return rule.body
            return None

    def before_request(self, method: str, path: str) -> tuple[bool, float]:
        """Apply the faults to a request about to be served: (answer OOPS?, seconds to wait: the latency,
        or a delay rule's instead)."""
        with self.lock:
            if self.expire_countdown is not None:
                if self.expire_countdown <= 0:
                    self.expire_sessions()
                else:
                    self.expire_countdown -= 1
            oops = False
            for rule in self.oops_rules:
                if rule.matches(method, path):
                    rule.remaining -= 1
                    oops = True
                    break
            wait = self.latency
            for rule in self.delay_rules:
                if rule.matches(method, path):
                    rule.remaining -= 1
                    wait = rule.seconds
                    break
            return oops, wait

    def record_request(self, record: RequestRecord) -> None:
        with self.lock:
            self.requests.append(record)

    def request_log(self, path_prefix: str = "") -> list[RequestRecord]:
        with self.lock:
            return [r for r in self.requests if r.path.startswith(path_prefix)]

    def record_send(self, record: SendRecord) -> None:
        with self.lock:
            self.revision += 1  # a save also wrote the posted contact fields onto the person
            self.sends.append(record)

    def send_log(self) -> list[SendRecord]:
        with self.lock:
            return list(self.sends)

    # --- persistence ---------------------------------------------------------------------------
    def touch(self) -> None:
        """Mark the club changed (for edits made straight on its objects, like a DNC status)."""
        with self.lock:
            self.revision += 1

    def snapshot(self) -> dict[str, object]:
        """The club as JSON-ready data: people, inbox lists, follow-up logs, sends and the id counters."""
        with self.lock:
            return {
                "format": SNAPSHOT_FORMAT,
                "next_message_id": self.next_message_id,
                "seq": self._seq,
                "people": [asdict(person) for person in self.people.values()],
                "lists": {
                    str(owner): [{**asdict(m), "created_at": m.created_at.isoformat()} for m in messages]
                    for owner, messages in self.lists.items()
                },
                "logs": [
                    {**asdict(entry), "occurred_at": entry.occurred_at.isoformat()}
                    for entries in self.logs.values()
                    for entry in entries
                ],
                "sends": [asdict(record) for record in self.sends],
            }

    def restore(self, data: dict[str, object]) -> None:
        """Replace the club with a `snapshot()`; raises ValueError (state unchanged) if it is not one."""
        try:
            if data.get("format") != SNAPSHOT_FORMAT:
                raise ValueError(f"unknown sandbox state format {data.get('format')!r}")
            people = {int(p["id"]): Person(**p) for p in data["people"]}  # type: ignore[attr-defined]
            lists = {
                int(owner): [Message(**{**m, "created_at": datetime.fromisoformat(m["created_at"])}) for m in messages]
                for owner, messages in data["lists"].items()  # type: ignore[attr-defined]
            }
            logs: dict[int, list[LogEntry]] = {person_id: [] for person_id in people}
            for raw in data["logs"]:  # type: ignore[attr-defined]
                entry = LogEntry(**{**raw, "occurred_at": datetime.fromisoformat(raw["occurred_at"])})
                logs.setdefault(entry.member_id, []).append(entry)
            sends = [
                SendRecord(**{**raw, "form": [tuple(pair) for pair in raw["form"]]})
                for raw in data["sends"]  # type: ignore[attr-defined]
            ]
            next_message_id, seq = int(data["next_message_id"]), int(data["seq"])  # type: ignore[call-overload]
        except (KeyError, TypeError, AttributeError) as exc:
            raise ValueError(f"not a sandbox state: {type(exc).__name__}: {exc}") from exc
        with self.lock:
            self.people, self.lists, self.logs, self.sends = people, lists, logs, sends
            for owner in self.owner_ids():
                self.lists.setdefault(owner, [])
            self.next_message_id, self._seq = next_message_id, seq
            self.sessions.clear()
            self._list_cache.clear()
            self._versions = {owner: self._versions.get(owner, 0) + 1 for owner in self.lists}
            self.revision += 1
