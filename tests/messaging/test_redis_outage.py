"""Redis down (cache + channel layer at a port where nothing listens): direct messages still work."""

from __future__ import annotations

import logging
import time

import pytest
from rest_framework.test import APIClient

from messaging import services
from messaging.models import Message, Participant

pytestmark = pytest.mark.django_db

BASE = "/api/v1/messaging"


@pytest.fixture(autouse=True)
def _fresh_fallback(monkeypatch):
    monkeypatch.setattr(services, "_local_rate_window", services._LocalRateWindow())
    services._shared_cache_down.clear()
    yield
    services._shared_cache_down.clear()


def test_a_send_with_redis_down_is_stored_at_once_and_logged_once(
    member, other_member, thread, redis_down, caplog, django_capture_on_commit_callbacks
):
    client = APIClient()
    client.force_authenticate(member)
    started = time.monotonic()
    with caplog.at_level(logging.WARNING), django_capture_on_commit_callbacks(execute=True):
        responses = [
            client.post(f"{BASE}/threads/{thread.pk}/messages/", {"body": f"hello {i}"}, format="json")
            for i in range(3)
        ]
    elapsed = time.monotonic() - started
    assert [r.status_code for r in responses] == [201, 201, 201]
    assert all(r["Content-Type"] == "application/json" for r in responses)
    assert Message.objects.count() == 3
    assert Participant.objects.get(user=other_member).unread_count == 3
    assert elapsed < 10  # a refused connection fails fast: no hang per send
    fallback = [r for r in caplog.records if "rate limits fall back" in r.getMessage()]
    assert len(fallback) == 1  # once per outage, not once per send


def test_the_fallback_still_limits_a_runaway_sender(member, thread, redis_down, settings):
    settings.MESSAGING_RATE_LIMIT_PER_MINUTE = 3
    client = APIClient()
    client.force_authenticate(member)
    codes = [
        client.post(f"{BASE}/threads/{thread.pk}/messages/", {"body": f"spam {i}"}, format="json").status_code
        for i in range(5)
    ]
    assert codes == [201, 201, 201, 429, 429]
    assert Message.objects.count() == 3


def test_when_redis_returns_the_shared_count_is_used_again(member, thread, redis_down, settings, caplog):
    client = APIClient()
    client.force_authenticate(member)
    assert client.post(f"{BASE}/threads/{thread.pk}/messages/", {"body": "down"}, format="json").status_code == 201
    assert services._shared_cache_down.is_set()
    settings.CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
    with caplog.at_level(logging.WARNING):
        assert client.post(f"{BASE}/threads/{thread.pk}/messages/", {"body": "up"}, format="json").status_code == 201
    assert not services._shared_cache_down.is_set()
    assert any("rate limits are shared again" in r.getMessage() for r in caplog.records)
