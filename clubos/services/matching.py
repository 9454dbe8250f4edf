"""Matching list items (ids, snippets) to history entries (full text, channel): how a sync recognises a message."""

from __future__ import annotations

import unicodedata
from collections.abc import Sequence

from ..app_settings import app_settings
from ..types import Channel, Direction, HistoryEntry, InboxItem

CONVERSATION_CHANNELS = (Channel.SMS, Channel.EMAIL)
DAY_TOLERANCE = 36 * 3600.0


def normalize_text(text: str) -> str:
    """For comparing a list snippet with a history body: NFC, spaces collapsed, case folded."""
    return " ".join(unicodedata.normalize("NFC", text).split()).casefold()


def _snippet_key(snippet: str) -> str:
    key = normalize_text(snippet)
    for ellipsis in ("…", "..."):
        if key.endswith(ellipsis):
            key = key[: -len(ellipsis)].rstrip()
    return key


def name_key(name: str) -> str:
    return normalize_text(name)


# --- Matching list items to history entries ---------------------------------------------------------------


def match_items_to_history(
    items: Sequence[InboxItem], entries: Sequence[HistoryEntry], *, used: set[int] | None = None
) -> dict[int, HistoryEntry]:
    """Pair list items (ids, snippets) with history entries (full text, channel); unpaired items are left out.

    An entry pairs with an item of the same direction whose snippet is a prefix of its body, at
    the nearest time within the tolerance (history times have minute precision). `used` holds
    indexes of entries already paired earlier in the run; it is updated.
    """
    used = set() if used is None else used
    tolerance = app_settings.MATCH_TOLERANCE_SECONDS
    paired: dict[int, HistoryEntry] = {}
    keyed = [
        (index, entry, normalize_text(entry.body))
        for index, entry in enumerate(entries)
        if entry.channel in CONVERSATION_CHANNELS and entry.direction in (Direction.INBOUND, Direction.OUTBOUND)
    ]
    for item in sorted(items, key=lambda i: i.message_id):
        wanted = Direction.OUTBOUND if item.from_owner else Direction.INBOUND
        prefix = _snippet_key(item.snippet)
        best: tuple[float, int, HistoryEntry] | None = None
        for index, entry, body in keyed:
            if index in used or entry.direction != wanted or not body.startswith(prefix):
                continue
            if item.sent_at is not None:
                distance = abs((entry.occurred_at - item.sent_at.replace(second=0, microsecond=0)).total_seconds())
                # Owner-sent items have no created-date: their time comes from the date cell, a day at best.
                if distance > (DAY_TOLERANCE if item.from_owner else tolerance):
                    continue
            else:  # no time at all: take the oldest unpaired candidate
                distance = entry.occurred_at.timestamp()
            if best is None or distance < best[0]:
                best = (distance, index, entry)
        if best is not None:
            used.add(best[1])
            paired[item.message_id] = best[2]
    return paired
