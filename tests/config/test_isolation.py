"""The suite's own guarantees: what one test leaves behind is gone before the next, and the clock option."""

from __future__ import annotations

import functools
import sys
import types
from datetime import UTC, datetime

import pytest
from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer
from django.core.cache import cache

from clubos.services import session as clubos_services
from messaging import selectors
from tests.conftest import reset_process_state
from tests.fixtures import clock


@pytest.mark.django_db
def test_reset_clears_caches_memos_the_clubos_session_and_channel_groups(settings, clubos_sandbox):
    settings.CHANNEL_LAYERS = {"default": {"BACKEND": "channels.layers.InMemoryChannelLayer"}}
    cache.set("messaging:rate:1:1", 30)
    selectors.messaging_enabled()
    with clubos_services.clubos_session() as session:
        session.login()
    layer = get_channel_layer()
    async_to_sync(layer.group_add)("user-1", "specific.channel!abc")
    calls = []

    @functools.lru_cache
    def memoised_setting() -> int:
        calls.append(1)
        return len(calls)

    module = types.ModuleType("clubos._isolation_probe")
    module.memoised_setting = memoised_setting  # type: ignore[attr-defined]
    sys.modules[module.__name__] = module
    try:
        assert memoised_setting() == memoised_setting() == 1
        reset_process_state()
        assert memoised_setting() == 2
    finally:
        del sys.modules[module.__name__]

    assert cache.get("messaging:rate:1:1") is None
    assert selectors._toggle_memo is None
    assert clubos_services._session is None
    assert not layer.groups


def test_clubroom_now_is_club_time_unless_it_carries_an_offset(pytestconfig, monkeypatch):
    monkeypatch.setattr(pytestconfig.option, "clubroom_now", "2026-03-08T00:00:30")
    assert clock.requested_instant(pytestconfig) == datetime(2026, 3, 8, 6, 0, 30, tzinfo=UTC)  # CST, UTC-6
    monkeypatch.setattr(pytestconfig.option, "clubroom_now", "2026-03-08T23:59:30")
    assert clock.requested_instant(pytestconfig) == datetime(2026, 3, 9, 4, 59, 30, tzinfo=UTC)  # CDT, UTC-5
    monkeypatch.setattr(pytestconfig.option, "clubroom_now", "2026-03-08T00:00:30Z")
    assert clock.requested_instant(pytestconfig) == datetime(2026, 3, 8, 0, 0, 30, tzinfo=UTC)
    monkeypatch.setattr(pytestconfig.option, "clubroom_now", None)
    assert clock.requested_instant(pytestconfig) is None


def test_every_test_starts_at_the_requested_instant_and_the_clock_ticks(pytestconfig, clubroom_now):
    requested = clock.requested_instant(pytestconfig)
    now = datetime.now(UTC)
    if requested is not None:
        assert clubroom_now == requested
    assert 0 <= (now - clubroom_now).total_seconds() < 60
