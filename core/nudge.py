"""Queue a Celery task whose loss is tolerable, without ever making the caller wait or fail.

For the outbox pattern: the database row is the truth and the task only a nudge, so when the
broker (Redis) is down the nudge is dropped with one log line, and a periodic sweep finds the row.
Publishing runs on a small background pool, so a request never waits for a broker that does not
answer (Celery's own reconnects take ~6 s, the result store's ~19 s). After a failure, nudges are
skipped for CLUBROOM_NUDGE_BACKOFF seconds rather than piling up behind a dead broker.
In eager mode (embedded, tests) the task runs inline, as `.delay()` would.
"""

from __future__ import annotations

import logging
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from celery import current_app
from django.conf import settings

logger = logging.getLogger(__name__)

_executor: ThreadPoolExecutor | None = None
_executor_lock = threading.Lock()
_broker_down_until = 0.0


def _pool() -> ThreadPoolExecutor:
    global _executor
    with _executor_lock:
        if _executor is None:
            _executor = ThreadPoolExecutor(max_workers=2, thread_name_prefix="clubroom-nudge")
        return _executor


def _publish(task_name: str, args: tuple[Any, ...], kwargs: dict[str, Any]) -> None:
    global _broker_down_until
    try:
        current_app.signature(task_name, args=args, kwargs=kwargs).apply_async(retry=False, ignore_result=True)
    except Exception as exc:
        _broker_down_until = time.monotonic() + float(getattr(settings, "CLUBROOM_NUDGE_BACKOFF", 10.0))
        logger.warning(
            "could not queue %s (%s: %s); the sweep will pick it up", task_name, type(exc).__name__, str(exc)[:200]
        )
    else:
        _broker_down_until = 0.0


def task_nudge(task_name: str, *args: Any, **kwargs: Any) -> None:
    """Queue `task_name` if the broker takes it soon; never raises, never blocks the caller."""
    if current_app.conf.task_always_eager:
        current_app.signature(task_name, args=args, kwargs=kwargs).apply()
        return
    if time.monotonic() < _broker_down_until:
        return  # a recent publish failed: the sweep covers this one too
    _pool().submit(_publish, task_name, args, kwargs)


def nudges_drain(timeout: float = 10.0) -> None:
    """Wait for queued publishes (tests, and a clean shutdown)."""
    global _executor
    with _executor_lock:
        pool, _executor = _executor, None
    if pool is not None:
        pool.shutdown(wait=True)
