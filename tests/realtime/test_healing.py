"""Sockets heal: after the channel layer loses its state (Redis restarted empty, or down at the
handshake) every open notifications socket is back in its groups within a heartbeat, its badge
re-read from the database, with no reconnect and no reload."""

from __future__ import annotations

import time
from typing import Any

import pytest
from channels.layers import get_channel_layer
from channels.testing import WebsocketCommunicator

from realtime import push
from tests.accounts.factories import StaffFactory
from tests.fixtures.outages import OwnRedis, dead_port
from tests.realtime.test_consumers import PROBE_GROUP, TIMEOUT, _committed, _open, db, probe  # noqa: F401

pytestmark = [pytest.mark.django_db(transaction=True)]

HEARTBEAT = 0.4


@pytest.fixture(autouse=True)
def _fast_heartbeat(settings):
    settings.REALTIME_HEARTBEAT_SECONDS = HEARTBEAT


def _redis_layer(settings, url: str) -> None:
    settings.CHANNEL_LAYERS = {
        "default": {"BACKEND": "channels_redis.core.RedisChannelLayer", "CONFIG": {"hosts": [{"address": url}]}}
    }


async def _frame_where(socket: WebsocketCommunicator, wanted, timeout: float) -> dict[str, Any]:
    """Read frames (heartbeats, snapshots) until one matches, or fail after `timeout` seconds."""
    deadline = time.monotonic() + timeout
    seen = []
    while time.monotonic() < deadline:
        # receive_nothing waits without cancelling the consumer (a timed-out receive_json_from would).
        if await socket.receive_nothing(0.05):
            continue
        frame = await socket.receive_json_from(TIMEOUT)
        seen.append(frame)
        if wanted(frame):
            return frame
    raise AssertionError(f"no matching frame within {timeout} s; got {seen}")


async def _event_gets_through(socket: WebsocketCommunicator, within: float) -> None:
    """Send a group event every half heartbeat until the socket receives one: it is back in its groups.
    (Events sent while it is not are lost: they are hints; the heartbeat's snapshot is the truth.)"""
    deadline = time.monotonic() + within
    probe_id = 0
    while time.monotonic() < deadline:
        probe_id += 1
        await _committed(
            lambda n=probe_id: push.event_send(groups=[PROBE_GROUP], event="probe.changed", data={"probe_id": n})
        )
        try:
            await _frame_where(socket, lambda f: f["type"] == "probe.changed", HEARTBEAT / 2)
            return
        except AssertionError:
            continue
    raise AssertionError(f"the socket was not back in its groups within {within} s")


async def test_the_heartbeat_says_so_and_resends_nothing_unchanged(probe):  # noqa: F811
    staff = await db(StaffFactory)()
    socket, _ = await _open(staff)
    assert (await socket.receive_json_from(TIMEOUT))["probe"] == 5
    frames = [await socket.receive_json_from(TIMEOUT) for _ in range(2)]
    assert frames == [{"type": "heartbeat", "interval": HEARTBEAT}] * 2  # badges unchanged: no snapshot
    await socket.disconnect()


async def test_a_socket_whose_groups_were_lost_rejoins_and_its_badge_is_resynced(probe):  # noqa: F811
    staff = await db(StaffFactory)()
    socket, _ = await _open(staff)
    assert (await socket.receive_json_from(TIMEOUT))["probe"] == 5

    layer = get_channel_layer()
    if hasattr(layer, "groups"):  # in-memory: what a Redis restart does to groups
        layer.groups.clear()
    else:
        await layer.flush()
    probe["count"] = 6
    await _committed(lambda: push.badges_refresh(groups=[PROBE_GROUP]))  # lost: nobody in the group
    # Within one heartbeat the badge is right again, read from the database...
    assert (await _frame_where(socket, lambda f: f["type"] == "unread", HEARTBEAT * 3))["probe"] == 6
    # ...and the socket is back in its groups: events (which only travel through groups) reach it again.
    await _committed(lambda: push.event_send(groups=[PROBE_GROUP], event="probe.changed", data={"probe_id": 7}))
    assert await _frame_where(socket, lambda f: f["type"] == "probe.changed", TIMEOUT) == {
        "type": "probe.changed",
        "probe_id": 7,
    }
    await socket.disconnect()


async def test_a_real_redis_restart_heals_open_sockets(probe, settings, own_redis):  # noqa: F811
    own_redis.start()
    _redis_layer(settings, own_redis.url)
    staff = await db(StaffFactory)()
    socket, _ = await _open(staff)
    assert (await socket.receive_json_from(TIMEOUT))["probe"] == 5

    own_redis.restart()  # back empty: no groups, no queues
    probe["count"] = 9
    assert (await _frame_where(socket, lambda f: f.get("probe") == 9, 15))["type"] == "unread"
    await _event_gets_through(socket, within=10)
    await socket.disconnect()


async def test_a_handshake_with_redis_down_is_accepted_and_frames_resume_when_it_returns(
    probe,  # noqa: F811
    settings,
):
    redis = OwnRedis(port=dead_port())
    _redis_layer(settings, redis.url)
    staff = await db(StaffFactory)()
    socket, connected = await _open(staff)
    assert connected  # not a 500: the badge comes from the database
    assert (await socket.receive_json_from(TIMEOUT))["probe"] == 5
    assert (await _frame_where(socket, lambda f: f["type"] == "heartbeat", HEARTBEAT * 3))["interval"] == HEARTBEAT

    redis.start()
    try:
        probe["count"] = 11
        assert (await _frame_where(socket, lambda f: f.get("probe") == 11, 10))["type"] == "unread"
        await _event_gets_through(socket, within=10)
    finally:
        try:
            await socket.disconnect()
        finally:
            redis.stop()


async def test_heartbeats_do_not_rejoin_groups_the_layer_still_holds(probe, monkeypatch):  # noqa: F811
    """Re-joining on every heartbeat was ~150 group_adds a second at 1,000 sockets; with Redis it only
    happens once the layer lost its state (the flush above, a restart below)."""
    layer = get_channel_layer()
    if not type(layer).__module__.startswith("channels_redis."):
        pytest.skip("the in-memory layer re-joins every heartbeat (free there); the check is Redis's")
    staff = await db(StaffFactory)()
    socket, _ = await _open(staff)
    await socket.receive_json_from(TIMEOUT)
    joins: list[str] = []
    original = layer.group_add

    async def counted(group, channel):
        joins.append(group)
        await original(group, channel)

    monkeypatch.setattr(layer, "group_add", counted)
    beats = [await _frame_where(socket, lambda f: f["type"] == "heartbeat", HEARTBEAT * 3) for _ in range(4)]
    assert len(beats) == 4
    assert joins == []

    await layer.flush()
    await _event_gets_through(socket, within=HEARTBEAT * 6)
    assert PROBE_GROUP in joins
    await socket.disconnect()
