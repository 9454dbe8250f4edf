"""Has the channel layer lost its groups since this process's sockets joined them?

Every notifications socket re-joined all its groups on every heartbeat, in case Redis had restarted
empty, been flushed or failed over: with 1,000 sockets and a 20 s heartbeat that is ~150 `group_add`s
a second in daphne's event loop, for a loss that almost never happens (measured: a DM's POST p95 went
from 43 to 70 ms with heartbeats on). Instead each process keeps a key in Redis under the layer's
prefix (SET NX with a TTL of half the layer's group expiry) and checks it at most every half
heartbeat: while the key is there, nothing was lost and memberships are younger than the expiry; when
it is gone (restart, flush, failover, or the TTL ran out) the generation moves on and every socket
re-joins at its next heartbeat.

Other layers (the in-memory one of embedded mode, which tests flush) keep re-joining every time: it
costs nothing there.
"""

from __future__ import annotations

import itertools
import logging
import time
import uuid
from typing import Any

logger = logging.getLogger(__name__)


def _keeps_state_in_redis(layer: Any) -> bool:
    return type(layer).__module__.startswith("channels_redis.") and hasattr(layer, "connection")


class LayerWatch:
    def __init__(self) -> None:
        self._name = uuid.uuid4().hex
        self._generation = 0
        self._checked_at = float("-inf")
        self._always_new = itertools.count(1)

    async def generation(self, layer: Any, *, max_age: float) -> int:
        """A number that changes when the layer may have lost this process's groups (compare it with the
        one seen when the socket last joined). Checked in Redis at most every `max_age` seconds."""
        if not _keeps_state_in_redis(layer):
            return -next(self._always_new)
        now = time.monotonic()
        if now - self._checked_at < max_age:
            return self._generation
        self._checked_at = now  # the sockets of this process share one check
        ttl = max(60, int(getattr(layer, "group_expiry", 86400)) // 2)
        try:
            for index in range(getattr(layer, "ring_size", 1)):
                # Under the layer's own prefix: whatever empties the layer (flush() included) empties it too.
                key = f"{getattr(layer, 'prefix', 'asgi')}:realtime-alive:{self._name}"
                if await layer.connection(index).set(key, "1", ex=ttl, nx=True):
                    self._generation += 1  # created: it was not there, so neither are the groups
                    break
        except Exception as exc:  # unreachable: assume the worst, sockets try to re-join (and say so)
            logger.debug("channel layer check failed: %s: %s", type(exc).__name__, exc)
            self._checked_at = float("-inf")
            return -next(self._always_new)
        return self._generation


watch = LayerWatch()
