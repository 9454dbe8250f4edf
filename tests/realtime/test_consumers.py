"""`/ws/notifications/` through the real ASGI stack: who may connect, what each socket joins, what it sends."""

from __future__ import annotations

import pytest
from channels.db import database_sync_to_async
from channels.layers import get_channel_layer
from channels.testing import WebsocketCommunicator
from django.conf import settings as django_settings
from django.db import transaction
from django.test import Client

from config.asgi import application
from realtime import push, registry
from tests.accounts.factories import MemberFactory, StaffFactory

pytestmark = [pytest.mark.django_db(transaction=True)]

TIMEOUT = 3
db = database_sync_to_async

PROBE_GROUP = "probe.watchers"
probe_state: dict[str, int] = {"count": 5, "on": 1}


def _probe_count(*, user):
    return probe_state["count"] if user.is_inbox_staff else None


def _probe_groups(*, user):
    return [PROBE_GROUP] if user.is_inbox_staff else []


@pytest.fixture(autouse=True)
async def _clean_layer():
    layer = get_channel_layer()
    if hasattr(layer, "flush"):
        await layer.flush()


@pytest.fixture
def probe():
    """A badge, a flag and a topic registered the way apps do it (and forgotten afterwards)."""
    probe_state.update(count=5, on=1)
    registry.badge_register(name="probe", count=_probe_count, groups=_probe_groups)
    registry.flag_register(name="probe-switch", read=lambda: bool(probe_state["on"]))
    registry.topic_register(name="probe.changed", groups=_probe_groups)
    yield probe_state
    for name in ("probe", "probe-switch", "probe.changed"):
        registry.unregister(name)


@db
def _cookie(user) -> bytes:
    client = Client()
    client.force_login(user)
    return f"{django_settings.SESSION_COOKIE_NAME}={client.cookies[django_settings.SESSION_COOKIE_NAME].value}".encode()


async def _open(user=None, origin: bytes = b"http://testserver") -> tuple[WebsocketCommunicator, bool]:
    headers = [(b"origin", origin), (b"host", b"testserver")]
    if user is not None:
        headers.append((b"cookie", await _cookie(user)))
    communicator = WebsocketCommunicator(application, "/ws/notifications/", headers=headers)
    connected, _ = await communicator.connect(timeout=TIMEOUT)
    return communicator, connected


@db
def _committed(action) -> None:
    with transaction.atomic():
        action()


async def test_anonymous_sockets_are_refused():
    communicator, connected = await _open()
    assert not connected
    await communicator.disconnect()


async def test_a_foreign_origin_is_refused_even_when_signed_in():
    member = await db(MemberFactory)()
    communicator, connected = await _open(member, origin=b"https://evil.example")
    assert not connected
    await communicator.disconnect()


async def test_the_snapshot_has_one_key_per_registered_badge_in_the_frame_contract():
    member = await db(MemberFactory)()
    communicator, _ = await _open(member)
    assert await communicator.receive_json_from(TIMEOUT) == {"type": "unread", "messages": 0, "inbox": None}
    await communicator.disconnect()


async def test_a_badge_group_hint_refreshes_only_the_sockets_in_that_group(probe):
    staff, member = await db(StaffFactory)(), await db(MemberFactory)()
    staff_socket, _ = await _open(staff)
    member_socket, _ = await _open(member)
    assert (await staff_socket.receive_json_from(TIMEOUT))["probe"] == 5
    assert (await member_socket.receive_json_from(TIMEOUT))["probe"] is None

    probe["count"] = 6
    await _committed(lambda: push.badges_refresh(groups=[PROBE_GROUP]))

    assert (await staff_socket.receive_json_from(TIMEOUT))["probe"] == 6
    assert await member_socket.receive_nothing(0.3)
    await staff_socket.disconnect()
    await member_socket.disconnect()


async def test_a_hint_rolled_back_with_its_transaction_is_never_sent(probe):
    staff = await db(StaffFactory)()
    socket, _ = await _open(staff)
    await socket.receive_json_from(TIMEOUT)

    @db
    def rolled_back():
        with transaction.atomic():
            push.badges_refresh(user_ids=[staff.pk])
            transaction.set_rollback(True)

    await rolled_back()
    assert await socket.receive_nothing(0.3)
    await socket.disconnect()


async def test_a_flag_frame_follows_the_snapshot_only_when_the_flag_changed(probe):
    member = await db(MemberFactory)()
    socket, _ = await _open(member)
    await socket.receive_json_from(TIMEOUT)

    await _committed(push.everyone_refresh)
    assert (await socket.receive_json_from(TIMEOUT))["type"] == "unread"
    assert await socket.receive_nothing(0.3)  # nothing changed: no flag frame

    probe["on"] = 0
    await _committed(push.everyone_refresh)
    assert (await socket.receive_json_from(TIMEOUT))["type"] == "unread"
    assert await socket.receive_json_from(TIMEOUT) == {"type": "probe-switch", "enabled": False}
    await socket.disconnect()


async def test_a_users_refresh_takes_the_flags_memo_and_a_switch_refresh_reads_them_fresh(probe):
    """Every send refreshes two sockets and every heartbeat one: they read the process's memo of the
    switch; a flip also refreshes everyone with `flags`, which reads fresh."""
    reads = {"fresh": 0, "cached": 0}
    memo = {"on": 1}

    def fresh() -> bool:
        reads["fresh"] += 1
        return bool(probe["on"])

    def cached() -> bool:
        reads["cached"] += 1
        return bool(memo["on"])

    registry.flag_register(name="probe-switch", read=fresh, cached=cached)
    member = await db(MemberFactory)()
    socket, _ = await _open(member)
    await socket.receive_json_from(TIMEOUT)
    assert reads == {"fresh": 1, "cached": 0}  # connecting reads fresh

    probe["on"] = 0  # flipped, but this process's memo has not seen it yet
    await _committed(lambda: push.badges_refresh(user_ids=[member.pk]))
    assert (await socket.receive_json_from(TIMEOUT))["type"] == "unread"
    assert await socket.receive_nothing(0.3)  # the memo still says on
    assert reads == {"fresh": 1, "cached": 1}

    await _committed(push.everyone_refresh)
    assert (await socket.receive_json_from(TIMEOUT))["type"] == "unread"
    assert await socket.receive_json_from(TIMEOUT) == {"type": "probe-switch", "enabled": False}
    assert reads == {"fresh": 2, "cached": 1}
    await socket.disconnect()


async def test_a_topic_event_reaches_the_sockets_of_its_groups_as_one_frame(probe):
    staff, member = await db(StaffFactory)(), await db(MemberFactory)()
    staff_socket, _ = await _open(staff)
    member_socket, _ = await _open(member)
    await staff_socket.receive_json_from(TIMEOUT)
    await member_socket.receive_json_from(TIMEOUT)

    await _committed(lambda: push.event_send(groups=[PROBE_GROUP], event="probe.changed", data={"probe_id": 12}))

    assert await staff_socket.receive_json_from(TIMEOUT) == {"type": "probe.changed", "probe_id": 12}
    assert await member_socket.receive_nothing(0.3)
    await staff_socket.disconnect()
    await member_socket.disconnect()


async def test_clients_only_listen_and_garbage_does_not_close_the_socket():
    member = await db(MemberFactory)()
    socket, _ = await _open(member)
    await socket.receive_json_from(TIMEOUT)
    await socket.send_to(text_data="not json")
    await socket.send_json_to({"type": "unread", "messages": 99})
    assert await socket.receive_nothing(0.3)
    await _committed(lambda: push.badges_refresh(user_ids=[member.pk]))
    assert (await socket.receive_json_from(TIMEOUT))["messages"] == 0
    await socket.disconnect()
