"""`/ws/notifications/`: the site-wide socket. It authenticates, joins groups, reads through selectors and pushes.

Frames: `{"type": "unread", <badge>: int | null, ...}` on connect and on every refresh hint (one key per
registered badge: `messages`, `inbox`); `{"type": <flag>, "enabled": bool}` when a registered flag
changed since the socket's last snapshot; `{"type": <topic>, ...}` for per-object events;
`{"type": "heartbeat", "interval": seconds}` every REALTIME_HEARTBEAT_SECONDS.

Sockets heal: the channel layer (Redis) can restart empty, fail over or be flushed, and then every
group membership is gone. Each socket's heartbeat re-joins its groups when the layer may have lost
them (realtime/layer_watch.py) and re-reads its badges from the database (sending a snapshot when they
differ from the last one sent), so within an interval or two it is back in its groups and its badges
are right, with no reload. A layer that cannot be reached
never fails a handshake (the snapshot comes from the database) nor kills an open socket: receiving
from it retries with backoff, and the heartbeat joins the groups once it is back. Browsers
(static/js/notifications.js) reconnect with backoff and jitter when heartbeats stop.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import random
from typing import Any

from channels.exceptions import StopConsumer
from channels.generic.websocket import AsyncJsonWebsocketConsumer
from channels.layers import get_channel_layer
from channels.utils import await_many_dispatch
from django.db import DatabaseError

from core.outages import SOCKET_CLOSE_TRY_AGAIN

from . import app_settings, selectors
from .db import database_read
from .layer_watch import watch as layer_watch

logger = logging.getLogger(__name__)

# Closed with this when the database cannot be read: the client retries with backoff and jitter.
CLOSE_TRY_AGAIN = SOCKET_CLOSE_TRY_AGAIN

try:  # daphne's websocket library; other ASGI servers drop late sends silently
    from autobahn.exception import Disconnected as ClientGone
except ImportError:  # pragma: no cover
    ClientGone = ConnectionError  # type: ignore[assignment,misc]


def signed_in(scope: dict[str, Any]) -> Any:
    user = scope.get("user")
    return user if user is not None and user.is_authenticated else None


class PushConsumer(AsyncJsonWebsocketConsumer):
    """Base of every socket of the project: garbage frames are ignored, late pushes are dropped, and a
    channel layer outage neither fails a handshake nor ends the socket."""

    layer_ok = True

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        # channels' AsyncConsumer.__call__, except that receiving from the layer survives its outages:
        # there, one failed receive (Redis restarting) ends the socket with a traceback, for every socket.
        self.scope = scope
        self.channel_layer = get_channel_layer(self.channel_layer_alias)
        self.base_send = send
        try:
            if self.channel_layer is not None:
                self.channel_name = await self.channel_layer.new_channel()
                await await_many_dispatch([receive, self._layer_receive], self.dispatch)
            else:
                await await_many_dispatch([receive], self.dispatch)
        except StopConsumer:
            pass

    async def _layer_receive(self) -> dict[str, Any]:
        delay = 0.5
        while True:
            try:
                message = await self.channel_layer.receive(self.channel_name)
            except asyncio.CancelledError:
                raise
            except Exception as exc:
                self.layer_ok = False
                logger.warning("channel layer unavailable, socket keeps waiting: %s: %s", type(exc).__name__, exc)
                await asyncio.sleep(delay * random.uniform(0.5, 1.0))  # noqa: S311 (jitter, not crypto)
                delay = min(delay * 2, 10.0)
                continue
            self.layer_ok = True
            return message  # type: ignore[no-any-return]

    async def groups_join(self, groups: list[str]) -> bool:
        """Join (or re-join: idempotent) the groups; False while the layer cannot be reached."""
        try:  # side by side: one round trip to Redis, not one per group
            await asyncio.gather(*(self.channel_layer.group_add(group, self.channel_name) for group in groups))
        except Exception as exc:
            logger.warning("channel layer unavailable, socket not in its groups yet: %s: %s", type(exc).__name__, exc)
            return False
        return True

    async def groups_leave(self, groups: list[str]) -> None:
        for group in groups:
            try:
                await self.channel_layer.group_discard(group, self.channel_name)
            except Exception:  # the layer is down: its memberships expire by themselves
                logger.debug("group_discard failed", exc_info=True)
                return

    async def receive(self, text_data: str | None = None, bytes_data: bytes | None = None, **kwargs: Any) -> None:
        """Frames that are not JSON text are dropped: a client's garbage must not end its own socket."""
        if not text_data:
            return
        try:
            content = await self.decode_json(text_data)
        except ValueError:
            return
        await self.receive_json(content, **kwargs)

    async def send_json(self, content: Any, close: bool = False) -> None:
        # The browser may leave while a push is on its way (a page change): nothing to deliver then.
        with contextlib.suppress(ClientGone):
            await super().send_json(content, close)


class NotificationsConsumer(PushConsumer):
    async def connect(self) -> None:
        self.user = signed_in(self.scope)
        self.joined: list[str] = []
        self.flags: dict[str, bool] | None = None
        self.last_snapshot: dict[str, Any] | None = None
        self.heartbeat: asyncio.Task[None] | None = None
        self.joined_generation: int | None = None
        if self.user is None:
            await self.close()
            return
        try:
            self.joined = await database_read(selectors.notification_groups)(user=self.user)
        except DatabaseError:
            await self._try_again_later()
            return
        generation = await layer_watch.generation(self.channel_layer, max_age=app_settings.heartbeat_seconds() / 2)
        if await self.groups_join(self.joined):  # with the layer down: the heartbeat joins later
            self.joined_generation = generation
        await self.accept()
        if not await self._send_snapshot():
            await self.close(code=CLOSE_TRY_AGAIN)
            return
        self.heartbeat = asyncio.ensure_future(self._beat())

    async def _try_again_later(self) -> None:
        logger.warning("database unavailable: notifications socket closed with %s", CLOSE_TRY_AGAIN)
        await self.accept()
        await self.close(code=CLOSE_TRY_AGAIN)

    async def disconnect(self, code: int) -> None:
        if self.heartbeat is not None:
            self.heartbeat.cancel()
        await self.groups_leave(self.joined)

    async def _beat(self) -> None:
        interval = app_settings.heartbeat_seconds()
        while True:
            await asyncio.sleep(interval * random.uniform(0.8, 1.0))  # noqa: S311 (spread, not crypto)
            # Re-join only when the layer may have lost the groups (realtime/layer_watch.py).
            generation = await layer_watch.generation(self.channel_layer, max_age=interval / 2)
            if generation != self.joined_generation and await self.groups_join(self.joined):
                self.joined_generation = generation
            await self._send_snapshot(only_if_changed=True, fresh_flags=False)
            await self.send_json({"type": "heartbeat", "interval": interval})

    async def receive_json(self, content: Any, **kwargs: Any) -> None:
        """Clients only listen; anything they send is ignored."""

    async def unread_refresh(self, event: dict[str, Any]) -> None:
        await self._send_snapshot(fresh_flags=bool(event.get("flags")))

    async def realtime_event(self, event: dict[str, Any]) -> None:
        await self.send_json({**event["data"], "type": event["event"]})

    async def _send_snapshot(self, *, only_if_changed: bool = False, fresh_flags: bool = True) -> bool:
        """Send the badges (and changed flags) read from the database; False when it cannot be read."""
        try:
            snapshot, flags = await database_read(selectors.notifications_state)(
                user=self.user, fresh_flags=fresh_flags
            )
        except DatabaseError as exc:
            logger.warning("database unavailable, badges not refreshed: %s", str(exc).strip()[:200])
            return False
        if only_if_changed and snapshot == self.last_snapshot and flags == self.flags:
            return True
        self.last_snapshot = snapshot
        await self.send_json(snapshot)
        if self.flags is not None:
            for name, enabled in flags.items():
                if self.flags.get(name) != enabled:
                    # Lets open pages show or hide a feature's links without a reload.
                    await self.send_json({"type": name, "enabled": enabled})
        self.flags = flags
        return True
