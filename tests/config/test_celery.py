import importlib
import threading

from config.celery import app, beat_schedule
from config.scheduler import run_schedule

calls: list[int] = []


@app.task(name="tests.config.record_call")
def record_call() -> None:
    calls.append(1)


def test_beat_schedule_polls_clubos_every_poll_interval(settings):
    settings.CLUBOS_POLL_SECONDS = 7
    entry = beat_schedule()["clubos-sync"]
    assert entry["schedule"] == 7.0


def test_every_beat_entry_names_a_registered_task():
    for entry in beat_schedule().values():
        importlib.import_module(str(entry["task"]).rsplit(".", 1)[0])
        assert entry["task"] in app.tasks, entry["task"]


def test_embedded_scheduler_runs_due_tasks_repeatedly_until_stopped():
    calls.clear()
    stop = threading.Event()
    schedule = {"record": {"task": "tests.config.record_call", "schedule": 0.1}}
    thread = threading.Thread(target=run_schedule, args=(schedule, stop), daemon=True)
    thread.start()
    deadline = threading.Event()
    for _ in range(100):
        if len(calls) >= 2:
            break
        deadline.wait(0.1)
    stop.set()
    thread.join(timeout=5)
    assert len(calls) >= 2
    assert not thread.is_alive()
