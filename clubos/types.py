"""What the ClubOS client returns: plain dataclasses, no HTML, no HTTP.

The contract between the protocol side (client.py, parsers.py, sandbox/) and the sync (services/).
"""

from __future__ import annotations

import enum
from dataclasses import dataclass, field
from datetime import datetime


class Channel(enum.StrEnum):
    SMS = "sms"
    EMAIL = "email"
    CALL = "call"
    NOTE = "note"


class Direction(enum.StrEnum):
    INBOUND = "inbound"  # written by the member
    OUTBOUND = "outbound"  # sent by staff to the member
    SYSTEM = "system"  # "by System I.", staff notes and other non-conversation entries


@dataclass(frozen=True)
class InboxOwner:
    """An entry of the dashboard's `select#messages-owner-select`: a staff user or a club location."""

    id: int
    name: str


@dataclass(frozen=True)
class InboxItem:
    """One `<li>` of the inbox list (newest first in the page)."""

    message_id: int  # a.delete-message[data-id]: the dedupe key and the watermark
    sender_name: str
    snippet: str  # entity-decoded text as shown in the list
    sent_at: datetime | None  # aware UTC; from data-created-date when present, else inferred from the date cell
    from_owner: bool  # True when there is no reply anchor: the owner (staff side) sent it


@dataclass(frozen=True)
class InboxList:
    owner_id: int
    items: list[InboxItem]  # newest first, as served
    skipped: int = 0  # malformed items that were skipped and counted
    older: int = 0  # items at or below the caller's watermark: counted, not parsed


@dataclass(frozen=True)
class HistoryEntry:
    """One entry of a member's follow-up log (newest first in the page)."""

    occurred_at: datetime  # aware, converted from club local time to UTC
    author: str  # "Dana R."
    channel: Channel
    direction: Direction
    body: str  # decoded plain text; the staff "Text - Left Message - " prefix removed


@dataclass(frozen=True)
class MemberContact:
    """The contact fields of the Direct contact popup (`followUpUser.*`)."""

    member_id: int
    first_name: str
    last_name: str
    email: str = ""
    mobile_phone: str = ""
    home_phone: str = ""
    work_phone: str = ""
    can_text: bool = True  # False when the mobile is invalid or dncStatus is not OK


@dataclass(frozen=True)
class MemberHistory:
    contact: MemberContact
    entries: list[HistoryEntry] = field(default_factory=list)  # newest first, as served
    skipped: int = 0


@dataclass(frozen=True)
class MemberSearchResult:
    id: int
    full_name: str
    role_id: int
    location_id: int | None
    email: str = ""
    phone: str = ""


@dataclass(frozen=True)
class SendReceipt:
    member_id: int
    channel: Channel
    confirmation: str  # "Dana Reyes has been texted."
