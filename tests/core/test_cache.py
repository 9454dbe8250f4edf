"""The Redis cache keeps one pool per process: a request on a new thread (as daphne runs each) reuses it."""

from __future__ import annotations

import threading

import pytest
from django.conf import settings as django_settings
from django.core.cache import caches
from redis.connection import Connection

pytestmark = pytest.mark.skipif(not django_settings.REDIS_URL, reason="needs Redis (the PostgreSQL + Redis run)")


def test_requests_on_new_threads_share_the_processes_redis_connections(monkeypatch):
    connects = []
    original = Connection.connect

    def counted(self):
        if self._sock is None:
            connects.append(self)
        return original(self)

    monkeypatch.setattr(Connection, "connect", counted)

    def request() -> None:
        # What the rate limit does per send; each thread gets its own cache object, as each request does.
        cache = caches["default"]
        cache.add("probe:rate", 0, 60)
        cache.incr("probe:rate")

    request()
    warm = len(connects)
    for _ in range(10):
        thread = threading.Thread(target=request)
        thread.start()
        thread.join()
    # Django's client built a pool per cache object: ten requests, ten new connections.
    assert len(connects) - warm <= 1
    assert caches["default"].get("probe:rate") == 11
