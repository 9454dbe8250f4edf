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

ENTRY = BadgeEntry._meta.db_table
BADGE = StaffBadge._meta.db_table
CONVERSATION = Conversation._meta.db_table
READ_STATE = ReadState._meta.db_table

# Conversation c counts in the badge of user {user}: the one rule, shared by every statement below.
_COUNTS = f"""
    c.last_inbound_id IS NOT NULL
    AND (c.status = %s OR c.assignee_id = {{user}})
    AND NOT EXISTS (
        SELECT 1 FROM {READ_STATE} r
        WHERE r.conversation_id = c.id AND r.user_id = {{user}} AND r.last_read_message_id >= c.last_inbound_id
    )
"""  # noqa: S608 (table names from the models; values are parameters)


def _counts(user: str) -> str:
    return _COUNTS.format(user=user)


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
    with connection.cursor() as cursor:
        for start in range(0, len(ids), RECONCILE_BATCH):
            batch = ids[start : start + RECONCILE_BATCH]
            cursor.execute(
                f"""
                DELETE FROM {ENTRY} WHERE conversation_id IN ({_placeholders(batch)}) AND NOT EXISTS (
                    SELECT 1 FROM {CONVERSATION} c, {BADGE} b
                    WHERE c.id = {ENTRY}.conversation_id AND b.user_id = {ENTRY}.user_id
                    AND {_counts(f"{ENTRY}.user_id")}
                )
                """,  # noqa: S608 (table names from the models; values are parameters)
                [*batch, OPEN],
            )
            cursor.execute(
                f"""
                INSERT INTO {ENTRY} (user_id, conversation_id)
                SELECT b.user_id, c.id FROM {CONVERSATION} c, {BADGE} b
                WHERE c.id IN ({_placeholders(batch)}) AND {_counts("b.user_id")}
                AND NOT EXISTS (SELECT 1 FROM {ENTRY} e WHERE e.user_id = b.user_id AND e.conversation_id = c.id)
                """,  # noqa: S608 (table names from the models; values are parameters)
                [*batch, OPEN],
            )


@transaction.atomic
def badge_build(*, user_id: int) -> bool:
    """Build this staff member's entries from the truth (their first badge read); False if already built."""
    _lock(exclusive=True)
    if StaffBadge.objects.filter(user_id=user_id).exists():  # built by a concurrent request meanwhile
        return False
    with connection.cursor() as cursor:
        cursor.execute(f"DELETE FROM {ENTRY} WHERE user_id = %s", [user_id])  # noqa: S608 (leftovers of a past role)
        cursor.execute(
            f"""
            INSERT INTO {ENTRY} (user_id, conversation_id)
            SELECT %s, c.id FROM {CONVERSATION} c WHERE {_counts("%s")}
            """,  # noqa: S608 (table names from the models; values are parameters)
            [user_id, OPEN, user_id, user_id],
        )
    StaffBadge.objects.create(user_id=user_id, built_at=timezone.now())
    return True


@dataclass
class RebuildResult:
    badges: int = 0  # badges checked
    added: int = 0  # entries that were missing
    removed: int = 0  # entries that should not have been there
    dropped: int = 0  # badges of people who no longer work the inbox


@transaction.atomic
def _badge_repair(*, user_id: int) -> tuple[int, int]:
    _lock(exclusive=True)
    with connection.cursor() as cursor:
        cursor.execute(
            f"""
            DELETE FROM {ENTRY} WHERE user_id = %s AND NOT EXISTS (
                SELECT 1 FROM {CONVERSATION} c WHERE c.id = {ENTRY}.conversation_id AND {_counts("%s")}
            )
            """,  # noqa: S608 (table names from the models; values are parameters)
            [user_id, OPEN, user_id, user_id],
        )
        removed = cursor.rowcount
        cursor.execute(
            f"""
            INSERT INTO {ENTRY} (user_id, conversation_id)
            SELECT %s, c.id FROM {CONVERSATION} c WHERE {_counts("%s")}
            AND NOT EXISTS (SELECT 1 FROM {ENTRY} e WHERE e.user_id = %s AND e.conversation_id = c.id)
            """,  # noqa: S608 (table names from the models; values are parameters)
            [user_id, OPEN, user_id, user_id, user_id],
        )
        added = cursor.rowcount
    StaffBadge.objects.filter(user_id=user_id).update(built_at=timezone.now())
    return added, removed


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
        added, removed = _badge_repair(user_id=user_id)
        result.badges += 1
        result.added += added
        result.removed += removed
        if added or removed:  # every write path reconciles: a repair means one of them did not
            logger.warning("inbox badge of user %s repaired: %s added, %s removed", user_id, added, removed)
    return result
