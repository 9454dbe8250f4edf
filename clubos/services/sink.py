"""The contract between the sync and whoever stores its messages (`CLUBOS_MESSAGE_SINK`, the inbox).

clubos never writes the inbox's tables: the sync hands `SyncedMessage`s to the sink, inside the
transaction that also moves the owner's watermark."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from django.utils.module_loading import import_string

from core.validators import has_control_characters, strip_control_characters

from ..app_settings import app_settings
from ..types import Channel, Direction


@dataclass(frozen=True)
class SyncedContact:
    clubos_id: int | None  # None: ClubOS search did not resolve the sender's name
    name: str
    email: str = ""
    phone: str = ""
    can_text: bool = True

    def __post_init__(self) -> None:
        _strip_control_characters(self, "name", "email", "phone")


@dataclass(frozen=True)
class SyncedMessage:
    clubos_message_id: int
    owner_id: int
    contact: SyncedContact
    direction: Direction  # INBOUND or OUTBOUND
    channel: Channel  # SMS or EMAIL
    body: str
    sent_at: datetime
    body_is_snippet: bool = False  # no history entry matched: the list's snippet is all we have

    def __post_init__(self) -> None:
        _strip_control_characters(self, "body")


def _strip_control_characters(synced: object, *fields: str) -> None:
    """ClubOS text may hold NUL and other controls (PostgreSQL refuses NUL): dropped as it enters Clubroom."""
    for name in fields:
        value = getattr(synced, name)
        if isinstance(value, str) and has_control_characters(value):
            object.__setattr__(synced, name, strip_control_characters(value))


@dataclass
class IngestResult:
    new: int = 0
    duplicates: int = 0  # already stored, including our own replies coming back from ClubOS


class MessageSink(Protocol):
    """What `CLUBOS_MESSAGE_SINK` points at. Both calls run inside the sync's transaction."""

    def known_message_ids(self, *, ids: Sequence[int]) -> set[int]: ...

    def ingest(self, *, messages: Sequence[SyncedMessage]) -> IngestResult: ...


def message_sink() -> MessageSink:
    return import_string(app_settings.MESSAGE_SINK)  # type: ignore[no-any-return]
