"""The sync status endpoint's query count is pinned and does not grow with runs or inbox owners."""

import pytest
from django.db import connection
from django.utils import timezone
from rest_framework.test import APIClient

from clubos.models import SyncRun, SyncState

pytestmark = pytest.mark.django_db

# Session + user, the control row, the owners, the recent runs (the page's 20 at most); on PostgreSQL
# whether a run holds the lock is the advisory lock's row in pg_locks (one more).
STATUS_QUERIES = 5
ADVISORY_LOCK_READ = 1


@pytest.mark.parametrize("count", [3, 30])
def test_sync_status_api_queries_are_constant(staff, count, django_assert_num_queries):
    now = timezone.now()
    SyncState.objects.bulk_create(SyncState(owner_id=n + 1, owner_name=f"Owner {n}") for n in range(count))
    SyncRun.objects.bulk_create(SyncRun(started_at=now, trigger="test") for _ in range(count))
    client = APIClient()
    client.force_login(staff)
    expected = STATUS_QUERIES + (ADVISORY_LOCK_READ if connection.vendor == "postgresql" else 0)
    with django_assert_num_queries(expected):
        body = client.get("/api/v1/clubos/sync/").json()
    assert (len(body["owners"]), len(body["recent_runs"])) == (count, min(count, 20))
