"""The staff badge's entries: which conversations count in which staff member's badge, kept exact.

A conversation counts for a staff member while it has an inbound message past their read pointer and
is open or assigned to them. Reading that as an anti-join over every open conversation costs tens of
milliseconds on each staff page, so each built badge (`StaffBadge`) keeps one `BadgeEntry` per counted
conversation and the badge is a COUNT of them.

- `badge_reconcile(conversation_ids=…)`: every write that changes a conversation's status, assignee,
  newest inbound message, or a read pointer calls it in its own transaction, holding the conversation's
  row lock; it makes those conversations' entries agree with the truth for every built badge (two
  set-based statements).
- `badge_build(user=…)`: a badge's first read builds its entries from the truth (one INSERT … SELECT).
- `badges_rebuild()`: beat repairs every badge from the truth, so a write path that forgot to reconcile
  delays a correction and never leaves a badge wrong for good.

On PostgreSQL a build or repair must not interleave with a reconcile (a reconcile that began before a
badge existed would skip it; a repair reading an older snapshot would undo a reconcile): reconciles take
a shared advisory lock until their commit, builds and repairs the exclusive one. SQLite runs one write
transaction at a time (IMMEDIATE), which gives the same order.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from django.db import connection, transaction
from django.utils import timezone

from accounts.models import User

from ..models import BadgeEntry, Conversation, ConversationStatus, ReadState, StaffBadge

logger = logging.getLogger(__name__)

# pg_advisory_xact_lock's key for "badge entries are being written" (any fixed 64-bit number).
ADVISORY_LOCK_KEY = 0x1B0B_AD6E
RECONCILE_BATCH = 500
OPEN = str(ConversationStatus.OPEN.value)
RESOLVED = str(ConversationStatus.RESOLVED.value)

ENTRY = BadgeEntry._meta.db_table
BADGE = StaffBadge._meta.db_table
CONVERSATION = Conversation._meta.db_table
READ_STATE = ReadState._meta.db_table

# The rules, over conversation c and staff member {user}; each statement below is built from them.
# Kept: an inbound message past their read pointer, in a conversation not resolved or assigned to them.
_KEPT = f"""
    c.last_inbound_id IS NOT NULL
    AND (c.status <> %s OR c.assignee_id = {{user}})
    AND NOT EXISTS (
        SELECT 1 FROM {READ_STATE} r
        WHERE r.conversation_id = c.id AND r.user_id = {{user}} AND r.last_read_message_id >= c.last_inbound_id
    )
"""  # noqa: S608 (table names from the models; values are parameters)
# Counted in the badge (of the kept ones): open, or assigned to them. (CASE … = 1: a boolean on both backends.)
_COUNTED = "((CASE WHEN c.status = %s OR c.assignee_id = {user} THEN 1 ELSE 0 END) = 1)"


def _kept(user: str) -> str:
    return _KEPT.format(user=user)


def _counted(user: str) -> str:
    return _COUNTED.format(user=user)


# An entry's `counted` as its conversation says now (in UPDATEs of the entry table).
_COUNTED_NOW = f"(SELECT {_counted(f'{ENTRY}.user_id')} FROM {CONVERSATION} c WHERE c.id = {ENTRY}.conversation_id)"  # noqa: S608


def _lock(*, exclusive: bool) -> None:
    if connection.vendor != "postgresql":
        return
    function = "pg_advisory_xact_lock" if exclusive else "pg_advisory_xact_lock_shared"
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT {function}(%s)", [ADVISORY_LOCK_KEY])


def _placeholders(values: list[Any]) -> str:
    return ", ".join(["%s"] * len(values))


def badge_reconcile(*, conversation_ids: Iterable[int]) -> None:
    """Make these conversations' badge entries agree with their state, for every built badge.

    Call it inside the transaction that changed them, after the change, holding their row locks.
    """
    ids = sorted(set(conversation_ids))
    if not ids:
        return
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError("badge_reconcile runs inside the transaction that changed the conversations.")
    _lock(exclusive=False)
    e_user = f"{ENTRY}.user_id"
    with connection.cursor() as cursor:
        for start in range(0, len(ids), RECONCILE_BATCH):
            batch = ids[start : start + RECONCILE_BATCH]
            within = f"conversation_id IN ({_placeholders(batch)})"
            cursor.execute(
                f"""
                DELETE FROM {ENTRY} WHERE {within} AND NOT EXISTS (
                    SELECT 1 FROM {CONVERSATION} c WHERE c.id = {ENTRY}.conversation_id AND {_kept(e_user)}
                )
                """,  # noqa: S608 (table names from the models; values are parameters)
                [*batch, RESOLVED],
            )
            cursor.execute(
                f"UPDATE {ENTRY} SET counted = {_COUNTED_NOW} WHERE {within} AND counted <> {_COUNTED_NOW}",  # noqa: S608
                [OPEN, *batch, OPEN],
            )
            cursor.execute(
                f"""
                INSERT INTO {ENTRY} (user_id, conversation_id, counted)
                SELECT b.user_id, c.id, {_counted("b.user_id")} FROM {CONVERSATION} c, {BADGE} b
                WHERE c.id IN ({_placeholders(batch)}) AND {_kept("b.user_id")}
                AND NOT EXISTS (SELECT 1 FROM {ENTRY} e WHERE e.user_id = b.user_id AND e.conversation_id = c.id)
                """,  # noqa: S608 (table names from the models; values are parameters)
                [OPEN, *batch, RESOLVED],
            )


def _insert_missing(cursor: Any, *, user_id: int) -> int:
    cursor.execute(
        f"""
        INSERT INTO {ENTRY} (user_id, conversation_id, counted)
        SELECT %s, c.id, {_counted("%s")} FROM {CONVERSATION} c WHERE {_kept("%s")}
        AND NOT EXISTS (SELECT 1 FROM {ENTRY} e WHERE e.user_id = %s AND e.conversation_id = c.id)
        """,  # noqa: S608 (table names from the models; values are parameters)
        [user_id, OPEN, user_id, RESOLVED, user_id, user_id, user_id],
    )
    return int(cursor.rowcount)


@transaction.atomic
def badge_build(*, user_id: int) -> bool:
    """Build this staff member's entries from the truth (their first badge read); False if already built."""
    _lock(exclusive=True)
    if StaffBadge.objects.filter(user_id=user_id).exists():  # built by a concurrent request meanwhile
        return False
    with connection.cursor() as cursor:
        cursor.execute(f"DELETE FROM {ENTRY} WHERE user_id = %s", [user_id])  # noqa: S608 (leftovers of a past role)
        _insert_missing(cursor, user_id=user_id)
    StaffBadge.objects.create(user_id=user_id, built_at=timezone.now())
    return True


@dataclass
class RebuildResult:
    badges: int = 0  # badges checked
    added: int = 0  # entries that were missing
    removed: int = 0  # entries that should not have been there
    flipped: int = 0  # entries counted in the badge when they should not have been, or the reverse
    dropped: int = 0  # badges of people who no longer work the inbox


@transaction.atomic
def _badge_repair(*, user_id: int) -> tuple[int, int, int]:
    _lock(exclusive=True)
    e_user = f"{ENTRY}.user_id"
    with connection.cursor() as cursor:
        cursor.execute(
            f"""
            DELETE FROM {ENTRY} WHERE user_id = %s AND NOT EXISTS (
                SELECT 1 FROM {CONVERSATION} c WHERE c.id = {ENTRY}.conversation_id AND {_kept(e_user)}
            )
            """,  # noqa: S608 (table names from the models; values are parameters)
            [user_id, RESOLVED],
        )
        removed = int(cursor.rowcount)
        cursor.execute(
            f"UPDATE {ENTRY} SET counted = {_COUNTED_NOW} WHERE user_id = %s AND counted <> {_COUNTED_NOW}",  # noqa: S608
            [OPEN, user_id, OPEN],
        )
        flipped = int(cursor.rowcount)
        added = _insert_missing(cursor, user_id=user_id)
    StaffBadge.objects.filter(user_id=user_id).update(built_at=timezone.now())
    return added, removed, flipped


@transaction.atomic
def _badges_drop(*, user_ids: list[int]) -> None:
    _lock(exclusive=True)
    BadgeEntry.objects.filter(user_id__in=user_ids).delete()
    StaffBadge.objects.filter(user_id__in=user_ids).delete()


def badges_rebuild() -> RebuildResult:
    """Beat: repair every built badge from the truth (one short transaction per staff member), and drop
    the badges of people who no longer work the inbox (built again if they come back)."""
    result = RebuildResult()
    gone = list(StaffBadge.objects.exclude(user__in=User.objects.inbox_staff()).values_list("user_id", flat=True))
    if gone:
        _badges_drop(user_ids=gone)
        result.dropped = len(gone)
    for user_id in StaffBadge.objects.order_by("user_id").values_list("user_id", flat=True):
        added, removed, flipped = _badge_repair(user_id=user_id)
        result.badges += 1
        result.added += added
        result.removed += removed
        result.flipped += flipped
        if added or removed or flipped:  # every write path reconciles: a repair means one of them did not
            logger.warning(
                "inbox badge of user %s repaired: %s added, %s removed, %s flipped", user_id, added, removed, flipped
            )
    return result
