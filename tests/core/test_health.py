"""/healthz and /readyz through the test client, with the real probes."""

from __future__ import annotations

import logging
from datetime import timedelta

import pytest
from django.test import Client
from django.utils import timezone

from clubos.models import SyncControl
from tests.fixtures.outages import database_down


@pytest.fixture
def fresh_sync(db):
    SyncControl.objects.create(pk=1, last_success_at=timezone.now() - timedelta(seconds=12))


def test_healthz_answers_without_touching_the_database(django_assert_num_queries, db):
    with database_down(), django_assert_num_queries(0):
        response = Client().get("/healthz")
    assert response.status_code == 200
    assert response.json() == {"status": "ok"}
    assert "no-cache" in response["Cache-Control"]


def test_readyz_is_ok_with_database_and_a_recent_sync(fresh_sync, settings):
    settings.REDIS_URL = ""  # embedded: no Redis to check
    response = Client().get("/readyz")
    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "ok"
    assert list(body["checks"]) == ["database", "clubos_sync"]
    assert body["checks"]["database"]["ok"] is True
    assert body["checks"]["clubos_sync"]["ok"] is True
    assert 11 <= body["checks"]["clubos_sync"]["age_seconds"] < 60


@pytest.mark.django_db(transaction=True)
def test_readyz_is_503_while_the_database_is_down(settings, caplog):
    settings.REDIS_URL = ""
    with caplog.at_level(logging.WARNING), database_down():
        response = Client().get("/readyz")
    assert response.status_code == 503
    body = response.json()
    assert body["status"] == "unavailable"
    assert body["checks"]["database"]["ok"] is False
    assert body["checks"]["database"]["detail"].startswith("OperationalError")
    # The sync-age probe reads the database too: an outage is a line, not a traceback per poll.
    assert [r.exc_info for r in caplog.records if r.levelno >= logging.WARNING and r.exc_info] == []


def test_readyz_is_503_while_redis_is_down(fresh_sync, redis_down):
    response = Client().get("/readyz")
    assert response.status_code == 503
    checks = response.json()["checks"]
    assert list(checks) == ["database", "redis", "clubos_sync"]
    assert checks["database"]["ok"] is True
    assert checks["redis"]["ok"] is False
    assert "ConnectionError" in checks["redis"]["detail"]


def test_readyz_pings_the_real_redis_when_one_is_configured(fresh_sync, settings):
    if not settings.REDIS_URL:
        pytest.skip("embedded run: no Redis")
    response = Client().get("/readyz")
    assert response.status_code == 200
    assert response.json()["checks"]["redis"] == {
        "ok": True,
        "critical": True,
        "detail": "ping",
        "ms": pytest.approx(response.json()["checks"]["redis"]["ms"]),
    }


def test_a_stale_sync_is_degraded_not_unready(db, settings):
    settings.REDIS_URL = ""
    settings.CLUBOS_READY_MAX_SYNC_AGE = 300
    SyncControl.objects.create(
        pk=1, last_success_at=timezone.now() - timedelta(minutes=20), last_error="ClubOS could not be reached"
    )
    response = Client().get("/readyz")
    assert response.status_code == 200  # unrouting web processes would not bring ClubOS back
    body = response.json()
    assert body["status"] == "degraded"
    sync = body["checks"]["clubos_sync"]
    assert sync["ok"] is False
    assert sync["critical"] is False
    assert sync["detail"].startswith("last success 1200 s ago (limit 300 s): ClubOS could not be reached")


def test_never_synced_is_reported(db, settings):
    settings.REDIS_URL = ""
    body = Client().get("/readyz").json()
    assert body["status"] == "degraded"
    assert body["checks"]["clubos_sync"]["detail"] == "no successful sync yet"


def test_head_works_for_load_balancers(db, settings):
    settings.REDIS_URL = ""
    assert Client().head("/healthz").status_code == 200
    assert Client().head("/readyz").status_code == 200
