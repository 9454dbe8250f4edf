"""The control page `/clubos/`."""

from __future__ import annotations

import pytest
from django.urls import reverse
from django.utils import timezone

from clubos.models import SyncControl, SyncRun, SyncState
from clubos.services import session, sync

pytestmark = pytest.mark.django_db


def test_members_and_anonymous_cannot_see_or_use_it(client, member_client):
    assert client.get(reverse("clubos:status")).status_code == 302
    assert member_client.get(reverse("clubos:status")).status_code == 404
    assert member_client.post(reverse("clubos:action", args=["pause"])).status_code == 404
    assert not SyncControl.objects.filter(paused=True).exists()


def test_page_shows_state_owners_runs_and_last_error(staff_client):
    SyncState.objects.create(owner_id=1512, owner_name="Riverside <shared>", watermark=130826014)
    SyncRun.objects.create(started_at=timezone.now(), status="failed", error="ClubOS rejected the <password>")
    SyncControl.objects.create(pk=1, runs=3, successes=2, failures=1, last_error="ClubOS rejected the <password>")
    content = staff_client.get(reverse("clubos:status")).content.decode()
    assert "Riverside &lt;shared&gt;" in content
    assert "130826014" in content
    assert "ClubOS rejected the &lt;password&gt;" in content
    assert "3 runs, 2 succeeded, 1 failed" in content
    assert "Pause polling" in content


def test_pause_and_resume_buttons(staff_client):
    response = staff_client.post(reverse("clubos:action", args=["pause"]))
    assert response.status_code == 302
    assert SyncControl.objects.get().paused
    assert "Resume polling" in staff_client.get(reverse("clubos:status")).content.decode()
    staff_client.post(reverse("clubos:action", args=["resume"]))
    assert not SyncControl.objects.get().paused


def test_actions_are_post_only(staff_client):
    assert staff_client.get(reverse("clubos:action", args=["pause"])).status_code == 405
    assert staff_client.post("/clubos/explode/").status_code == 404


@pytest.mark.django_db(transaction=True)
def test_sync_now_button_runs_a_sync(staff_client, clubos_sandbox):
    response = staff_client.post(reverse("clubos:action", args=["sync"]), follow=True)
    assert response.status_code == 200
    assert "Sync queued." in response.content.decode()
    assert SyncRun.objects.get().trigger == "manual"
    assert SyncRun.objects.get().new > 0
    session.clubos_session_reset()


def test_sync_records_are_read_only_in_admin(admin_client_logged_in, clubos_sandbox):

    sync.clubos_sync_run()
    assert admin_client_logged_in.get("/admin/clubos/syncrun/").status_code == 200
    assert admin_client_logged_in.get("/admin/clubos/syncstate/").status_code == 200
    assert admin_client_logged_in.get("/admin/clubos/syncrun/add/").status_code == 403
    assert admin_client_logged_in.get("/admin/clubos/synccontrol/add/").status_code == 403
