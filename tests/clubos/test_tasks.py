"""The beat task `clubos.tasks.sync_inbox`."""

from __future__ import annotations

import pytest

from clubos.models import SyncControl, SyncRun
from clubos.services import runs
from clubos.tasks import sync_inbox
from config.celery import app, beat_schedule
from inbox.models import InboxMessage

pytestmark = pytest.mark.django_db(transaction=True)


def test_beat_runs_exactly_this_task():
    assert beat_schedule()["clubos-sync"]["task"] == sync_inbox.name == "clubos.tasks.sync_inbox"
    assert app.tasks["clubos.tasks.sync_inbox"].name == sync_inbox.name


def test_scheduled_run_brings_a_new_member_text_into_the_database(clubos_sandbox):
    assert sync_inbox.apply().get().startswith("sync: ")
    message_id = clubos_sandbox.inject(member_id=61_000_100, text="Is the pool open?")
    listed = clubos_sandbox.listed()
    assert sync_inbox.apply().get() == f"sync: fetched={listed} new=1 duplicates={listed - 1} skipped=0 errors=0"
    assert InboxMessage.objects.get(clubos_message_id=message_id).body == "Is the pool open?"


def test_paused_polling_does_nothing_but_sync_now_still_runs(clubos_sandbox):
    runs.sync_pause()
    assert sync_inbox.apply().get() == "paused"
    assert not clubos_sandbox.requests()
    assert sync_inbox.apply(kwargs={"force": True, "trigger": "manual"}).get().startswith("sync: ")
    runs.sync_resume()
    listed = clubos_sandbox.listed()
    assert sync_inbox.apply().get() == f"sync: fetched={listed} new=0 duplicates={listed} skipped=0 errors=0"


def test_a_busy_lock_is_not_an_error(clubos_sandbox, lock_held_elsewhere):
    result = sync_inbox.apply()
    assert result.successful()
    assert result.get() == "busy"
    assert not SyncRun.objects.exists()


def test_a_failing_run_is_recorded_and_the_task_does_not_crash(clubos_sandbox, settings):
    settings.CLUBOS_PASSWORD = "wrong"
    result = sync_inbox.apply()
    assert result.successful()
    assert result.get() == "failed"
    control = SyncControl.objects.get()
    assert (control.failures, control.last_error) == (1, "ClubOS rejected the username or password")
