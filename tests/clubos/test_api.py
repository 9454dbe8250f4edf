"""`/api/v1/clubos/sync/`."""

from __future__ import annotations

import pytest
from django.urls import reverse
from rest_framework.test import APIClient

from clubos.models import SyncControl
from clubos.services import runs, session
from inbox.models import InboxMessage

pytestmark = pytest.mark.django_db

URL = "/api/v1/clubos/sync/"


@pytest.fixture
def staff_api(staff) -> APIClient:
    client = APIClient()
    client.force_authenticate(staff)
    return client


def test_url_is_named():
    assert reverse("api:clubos-sync") == URL


def test_anonymous_gets_401_and_members_403(member):
    assert APIClient().get(URL).status_code == 401
    assert APIClient().post(URL, {"action": "pause"}, format="json").status_code == 401
    client = APIClient()
    client.force_authenticate(member)
    assert client.get(URL).status_code == 403
    assert client.post(URL, {"action": "pause"}, format="json").status_code == 403
    assert not SyncControl.objects.filter(paused=True).exists()


def test_status_for_staff(staff_api):
    body = staff_api.get(URL).json()
    assert body["paused"] is False
    assert body["running"] is False
    assert body["poll_seconds"] == 10
    assert body["totals"]["runs"] == 0
    assert body["owners"] == []
    assert body["recent_runs"] == []


def test_pause_and_resume(staff_api):
    response = staff_api.post(URL, {"action": "pause"}, format="json")
    assert response.status_code == 200
    assert response.json()["status"]["paused"] is True
    assert SyncControl.objects.get().paused
    assert staff_api.post(URL, {"action": "resume"}, format="json").json()["status"]["paused"] is False
    assert not SyncControl.objects.get().paused


@pytest.mark.parametrize("payload", [{"action": "explode"}, {}, {"action": ["sync"]}])
def test_unknown_action_is_400(staff_api, payload):
    response = staff_api.post(URL, payload, format="json")
    assert response.status_code == 400
    assert "action" in response.json()


@pytest.mark.django_db(transaction=True)
def test_sync_now_runs_the_sync_even_when_paused(staff_api, clubos_sandbox, settings):
    runs.sync_pause()
    response = staff_api.post(URL, {"action": "sync"}, format="json")
    assert response.status_code == 202
    body = response.json()
    assert body["queued"] is True
    assert body["status"]["paused"] is True  # Sync now does not resume polling
    assert body["status"]["recent_runs"][0]["trigger"] == "api"
    assert InboxMessage.objects.count() == body["status"]["recent_runs"][0]["new"] > 0
    session.clubos_session_reset()


def test_session_clients_need_csrf(staff):
    client = APIClient(enforce_csrf_checks=True)
    client.force_login(staff)
    assert client.get(URL).status_code == 200
    assert client.post(URL, {"action": "pause"}, format="json").status_code == 403


def test_schema_documents_the_endpoint(staff_api):
    response = staff_api.get("/api/schema/")
    assert response.status_code == 200
    assert b"/api/v1/clubos/sync/" in response.content
