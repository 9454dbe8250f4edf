"""Hints to connected sockets, sent after the current transaction commits. Any app may call these.

Counts are state, not deltas: a refresh hint only tells sockets to re-read their counts from the
database and send a fresh snapshot, so a socket never sees a count the database does not hold yet.
Hints are best effort: a channel layer outage is one warning line (folded by the repeat filter), never
an error for a write that already committed nor a traceback per send; sockets re-read the truth on
their heartbeat. Other failures reach robust on_commit, which logs them with their traceback.
"""

from __future__ import annotations

import asyncio
import logging
import os
import threading
from collections.abc import Coroutine, Iterable, Mapping, Sequence
from typing import Any

from asgiref.sync import async_to_sync
from channels import DEFAULT_CHANNEL_LAYER
from channels.layers import channel_layers, get_channel_layer
from django.db import transaction

from core.outages import outage_of

from .groups import BROADCAST_GROUP, user_group

REFRESH = "unread.refresh"
EVENT = "realtime.event"

logger = logging.getLogger(__name__)


class _LayerLoop:
    """One event loop per process, on a thread of its own, for hints sent from sync code (a request, a
    task, a command) to a channel layer that crosses processes (Redis).

    `async_to_sync` outside daphne starts a new event loop per call, and channels_redis keeps its
    connections per loop, so every hint connected to Redis anew (3 connects per direct message in a
    worker or a test). Inside daphne it hops onto the server's loop, which 1,000 sockets keep busy.
    Here the layer's connections live as long as the process. Other layers (the in-memory one of
    embedded mode keeps its queues on daphne's loop) still take `async_to_sync`.
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._loop: asyncio.AbstractEventLoop | None = None
        self._pid = 0
        self._layer: Any = None
        self._made_for: Any = None

    def layer(self, shared: Any) -> Any:
        """A layer of the same configuration that only this loop uses: the shared one's pools belong to
        whoever flushes or closes it (a consumer, a test), and must not hold this loop's connections."""
        with self._lock:
            if self._made_for is not shared:
                self._layer, self._made_for = channel_layers.make_backend(DEFAULT_CHANNEL_LAYER), shared
            return self._layer

    def run[T](self, coroutine: Coroutine[Any, Any, T], *, timeout: float) -> T:
        return asyncio.run_coroutine_threadsafe(coroutine, self._running()).result(timeout=timeout)

    def _running(self) -> asyncio.AbstractEventLoop:
        with self._lock:
            if self._loop is None or self._pid != os.getpid():  # a forked worker starts its own
                self._loop, self._pid = asyncio.new_event_loop(), os.getpid()
                threading.Thread(target=self._loop.run_forever, name="channel-layer-loop", daemon=True).start()
            return self._loop


_layer_loop = _LayerLoop()
# A hint that cannot reach Redis in this long is dropped (logged): the sender's request must not hang.
SEND_TIMEOUT_SECONDS = 10.0


# Sends in flight at once from one trip: a sync batch may hint hundreds of conversation pages.
SENDS_IN_FLIGHT = 16


async def _send_all(layer: Any, sends: Sequence[tuple[str, Mapping[str, Any]]]) -> list[BaseException | None]:
    """Every (group, message) side by side, a bounded number at a time (a round of network waits, not
    one per group)."""
    slots = asyncio.Semaphore(SENDS_IN_FLIGHT)

    async def send(group: str, message: Mapping[str, Any]) -> None:
        async with slots:
            try:
                await layer.group_send(group, dict(message))
            except Exception:
                # After a Redis restart the pool's first connection is a dead one: one more try gets a new one.
                await layer.group_send(group, dict(message))

    return await asyncio.gather(*(send(group, message) for group, message in sends), return_exceptions=True)


def _send_now(groups: list[str], message: Mapping[str, Any]) -> None:
    _send_each([(group, message) for group in groups])


def _send_each(sends: Sequence[tuple[str, Mapping[str, Any]]]) -> None:
    """Every (group, message) in one trip to the channel layer."""
    layer = get_channel_layer()
    if layer is None or not sends:
        return
    try:
        if not type(layer).__module__.startswith("channels_redis."):
            outcomes = async_to_sync(_send_all)(layer, sends)
        else:
            own = _layer_loop.layer(layer)
            outcomes = _layer_loop.run(_send_all(own, sends), timeout=SEND_TIMEOUT_SECONDS)
    except TimeoutError as timeout:
        outcomes = [timeout] * len(sends)
    failures = [outcome for outcome in outcomes if outcome is not None]
    for failure in failures:
        if outage_of(failure) is None and not isinstance(failure, OSError):
            raise failure
    if failures:
        first = failures[0]
        logger.warning(
            "channel layer unavailable: %s hint to %d group(s) dropped (%s: %s)",
            sends[0][1].get("type"),
            len(failures),
            type(first).__name__,
            str(first).strip().splitlines()[0] if str(first).strip() else "",
        )


def group_send_on_commit(*, groups: Iterable[str], message: Mapping[str, Any]) -> None:
    """Send a channel-layer message to these groups once the transaction commits (nothing if it rolls back)."""
    targets, payload = sorted(set(groups)), dict(message)
    if targets:
        transaction.on_commit(lambda: _send_now(targets, payload), robust=True)


def badges_refresh(*, user_ids: Iterable[int] = (), groups: Iterable[str] = ()) -> None:
    """These users' (or these groups') badges may have changed: their sockets send fresh snapshots."""
    group_send_on_commit(groups=[*(user_group(user_id) for user_id in user_ids), *groups], message={"type": REFRESH})


def everyone_refresh() -> None:
    """Something global changed (a flag such as the direct-messaging switch): every socket re-reads,
    its flags fresh."""
    group_send_on_commit(groups=[BROADCAST_GROUP], message={"type": REFRESH, "flags": True})


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
