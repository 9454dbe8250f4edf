"""Hints to connected sockets, sent after the current transaction commits. Any app may call these.

Counts are state, not deltas: a refresh hint only tells sockets to re-read their counts from the
database and send a fresh snapshot, so a socket never sees a count the database does not hold yet.
Hints are best effort: a channel layer outage is one warning line (folded by the repeat filter), never
an error for a write that already committed nor a traceback per send; sockets re-read the truth on
their heartbeat. Other failures reach robust on_commit, which logs them with their traceback.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer
from django.db import transaction

from core.outages import outage_of

from .groups import BROADCAST_GROUP, user_group

REFRESH = "unread.refresh"
EVENT = "realtime.event"

logger = logging.getLogger(__name__)


def _send_now(groups: list[str], message: Mapping[str, Any]) -> None:
    _send_each([(group, message) for group in groups])


def _send_each(sends: Sequence[tuple[str, Mapping[str, Any]]]) -> None:
    """Every (group, message) in one trip through async_to_sync (a thread and an event loop per trip)."""
    layer = get_channel_layer()
    if layer is None or not sends:
        return

    async def send_all() -> None:
        for sent, (group, message) in enumerate(sends):
            try:
                try:
                    await layer.group_send(group, dict(message))
                except Exception:
                    # After a Redis restart the pool's first connection is a dead one: one more try gets a new one.
                    await layer.group_send(group, dict(message))
            except Exception as exc:
                if outage_of(exc) is None and not isinstance(exc, OSError):
                    raise
                # The outage itself: the other groups would fail the same way, each after its own connect attempt.
                logger.warning(
                    "channel layer unavailable: %s hint to %d group(s) dropped (%s: %s)",
                    message.get("type"),
                    len(sends) - sent,
                    type(exc).__name__,
                    str(exc).strip().splitlines()[0] if str(exc).strip() else "",
                )
                return

    async_to_sync(send_all)()


def group_send_on_commit(*, groups: Iterable[str], message: Mapping[str, Any]) -> None:
    """Send a channel-layer message to these groups once the transaction commits (nothing if it rolls back)."""
    targets, payload = sorted(set(groups)), dict(message)
    if targets:
        transaction.on_commit(lambda: _send_now(targets, payload), robust=True)


def badges_refresh(*, user_ids: Iterable[int] = (), groups: Iterable[str] = ()) -> None:
    """These users' (or these groups') badges may have changed: their sockets send fresh snapshots."""
    group_send_on_commit(groups=[*(user_group(user_id) for user_id in user_ids), *groups], message={"type": REFRESH})


def everyone_refresh() -> None:
    """Something global changed (a flag such as the direct-messaging switch): every socket re-reads."""
    group_send_on_commit(groups=[BROADCAST_GROUP], message={"type": REFRESH})


def event_send(*, groups: Iterable[str], event: str, data: Mapping[str, int | str | None]) -> None:
    """A per-object event of a registered topic, e.g. `conversation.changed` with its id.

    Sockets in the groups receive `{"type": event, **data}`; data holds ids (clients fetch the rest).
    """
    group_send_on_commit(groups=groups, message={"type": EVENT, "event": event, "data": dict(data)})


def events_send(*, event: str, data_by_group: Mapping[str, Mapping[str, int | str | None]]) -> None:
    """`event_send` to many groups, each with its own data (each conversation's page its own id): one
    callback and one trip to the channel layer after commit, however many groups."""
    sends = [
        (group, {"type": EVENT, "event": event, "data": dict(data)}) for group, data in sorted(data_by_group.items())
    ]
    if sends:
        transaction.on_commit(lambda: _send_each(sends), robust=True)
