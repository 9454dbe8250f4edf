"""Hints during a Redis outage: the write stands, the hint is dropped with one warning line, no traceback."""

from __future__ import annotations

import asyncio
import contextlib
import logging

import pytest
from django.db import transaction

from realtime import push

pytestmark = [pytest.mark.django_db(transaction=True)]


def test_a_hint_with_redis_down_is_one_warning_line_and_no_traceback(redis_down, caplog):
    with caplog.at_level(logging.WARNING), transaction.atomic():
        push.badges_refresh(user_ids=[1, 2, 3])
    records = [r for r in caplog.records if r.levelno >= logging.WARNING]
    assert len(records) == 1
    assert records[0].name == "realtime.push"
    assert records[0].getMessage().startswith("channel layer unavailable: unread.refresh hint to 3 group(s) dropped")
    assert records[0].exc_info is None


def test_other_failures_keep_their_traceback(monkeypatch, caplog):
    class Broken:
        async def group_send(self, group, message):
            raise TypeError("a bug")

    monkeypatch.setattr(push, "get_channel_layer", lambda: Broken())
    with caplog.at_level(logging.WARNING), transaction.atomic():
        push.badges_refresh(user_ids=[1])
    [record] = [r for r in caplog.records if r.levelno >= logging.WARNING]
    assert record.levelno == logging.ERROR
    assert record.exc_info is not None


def test_many_groups_each_get_their_own_event_after_commit_and_none_on_rollback(monkeypatch):
    received: list[tuple[str, dict]] = []
    loops: set[int] = set()

    class Recording:
        async def group_send(self, group, message):
            loops.add(id(asyncio.get_running_loop()))
            received.append((group, message))

    monkeypatch.setattr(push, "get_channel_layer", lambda: Recording())
    with contextlib.suppress(RuntimeError), transaction.atomic():
        push.events_send(event="probe.changed", data_by_group={"probe.1": {"probe_id": 1}})
        raise RuntimeError("rolled back")
    assert received == []

    with transaction.atomic():
        push.events_send(event="probe.changed", data_by_group={f"probe.{n}": {"probe_id": n} for n in (3, 1, 2)})
        assert received == []
    assert received == [
        (f"probe.{n}", {"type": push.EVENT, "event": "probe.changed", "data": {"probe_id": n}}) for n in (1, 2, 3)
    ]
    assert len(loops) == 1  # one trip through async_to_sync for all of them
