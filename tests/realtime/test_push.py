"""Hints from sync code (a request, a task) to the Redis layer: one event loop per process keeps its connections."""

from __future__ import annotations

import pytest
from django.conf import settings as django_settings
from django.db import transaction
from redis.asyncio.connection import Connection

from realtime import push

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(not django_settings.REDIS_URL, reason="needs Redis (the PostgreSQL + Redis run)"),
]


def test_hints_reuse_the_processes_redis_connections_instead_of_connecting_per_hint(monkeypatch):
    connects = []
    original = Connection._connect

    async def counted(self):
        connects.append(self)
        return await original(self)

    monkeypatch.setattr(Connection, "_connect", counted)
    with transaction.atomic():
        push.badges_refresh(user_ids=[1])
    warm = len(connects)  # the loop's pool opens what it needs once

    for _ in range(10):
        with transaction.atomic():
            push.badges_refresh(user_ids=[1, 2, 3])  # three groups, sent side by side
    # async_to_sync made a new loop per hint and channels_redis a pool per loop: 30 connects here.
    assert len(connects) - warm <= 3
