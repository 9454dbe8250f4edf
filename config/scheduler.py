"""In-process stand-in for `celery beat`, used only in embedded mode.

With no broker there is no beat process: the serving process runs the same schedule on a daemon
thread and calls the same task functions (eagerly), so socket pushes reach its in-memory channel
layer. With REDIS_URL set, run one `celery -A config beat` instead.
"""

from __future__ import annotations

import logging
import threading
import time

from django.db import close_old_connections

logger = logging.getLogger(__name__)

_started = False
_lock = threading.Lock()


def run_schedule(schedule: dict[str, dict[str, object]], stop: threading.Event) -> None:
    """Call each entry's task (eagerly, through Celery's own `apply`) whenever it is due, until `stop`."""
    from .celery import app

    # Register every app's tasks (autodiscovery): daphne imports no tasks module before its first request.
    app.loader.import_default_modules()
    next_due = dict.fromkeys(schedule, 0.0)
    while not stop.is_set():
        now = time.monotonic()
        for name, entry in schedule.items():
            if now < next_due[name]:
                continue
            next_due[name] = now + float(entry["schedule"])  # type: ignore[arg-type]
            try:
                app.tasks[str(entry["task"])].apply()
            except Exception:
                logger.exception("scheduled task %s failed", name)
            finally:
                close_old_connections()
        stop.wait(0.5)


def start() -> threading.Event | None:
    """Start the scheduler thread once per process; returns its stop event."""
    global _started
    with _lock:
        if _started:
            return None
        _started = True
    stop = threading.Event()
    from .celery import beat_schedule

    thread = threading.Thread(target=run_schedule, args=(beat_schedule(), stop), name="clubroom-scheduler", daemon=True)
    thread.start()
    logger.info("embedded scheduler started")
    return stop
