"""Database reads for sockets, on a small thread pool of their own.

`channels.db.database_sync_to_async` is thread-sensitive: in daphne every socket's reads in the process
then queue on asgiref's one shared thread. Under 20 sends a second each send's badge refresh and every
heartbeat's resync waited there, and a new socket's handshake (session, user, groups, snapshot) waited
behind all of them: 1.5–6 s, past daphne's handshake timeout. Socket reads are self-contained (no
transaction spans two of them, nothing is kept in thread-local state but the connection, which is checked
around each call as in a request), so they may run on any thread: a pool of REALTIME_DATABASE_THREADS
runs them side by side.

Each pool thread keeps its database connection between reads (REALTIME_DATABASE_KEEP_CONNECTIONS, on by
default), whatever DJANGO_CONN_MAX_AGE says: with the default 0 every badge refresh, heartbeat resync and
handshake opened a new PostgreSQL connection, which under load cost more than the reads themselves. The
pool bounds them (at most REALTIME_DATABASE_THREADS per process); a connection that broke (PostgreSQL
restarted) fails one read, which the socket treats as an outage, and is replaced on the next.
"""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Awaitable, Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from asgiref.sync import SyncToAsync
from django.db import close_old_connections, connections

from . import app_settings

_executor: ThreadPoolExecutor | None = None
_executor_lock = threading.Lock()


def socket_executor() -> ThreadPoolExecutor:
    global _executor
    with _executor_lock:
        if _executor is None:
            _executor = ThreadPoolExecutor(max_workers=app_settings.database_threads(), thread_name_prefix="socket-db")
        return _executor


def _connections_tidy() -> None:
    """channels' close_old_connections, except that a healthy connection may outlive CONN_MAX_AGE."""
    if app_settings.database_keep_connections():
        for connection in connections.all(initialized_only=True):
            connection.close_at = None  # not obsolete by age; still closed when broken or left mid-transaction
    close_old_connections()


class _SocketRead(SyncToAsync):  # type: ignore[type-arg]
    def thread_handler(self, loop: Any, *args: Any, **kwargs: Any) -> Any:
        _connections_tidy()
        try:
            return super().thread_handler(loop, *args, **kwargs)
        finally:
            _connections_tidy()


def database_read[R](func: Callable[..., R]) -> Callable[..., Awaitable[R]]:
    """`await database_read(selector)(**kwargs)`: the selector on the socket pool, its connection checked
    before and after (closed when broken, kept otherwise)."""
    return _SocketRead(func, thread_sensitive=False, executor=socket_executor())


def socket_executor_reset() -> None:
    """Close every pool thread's connection and stop the pool; the next read starts a new one. For tests,
    which must not inherit a previous test's threads or connections (nor keep the test database busy)."""
    global _executor
    with _executor_lock:
        executor, _executor = _executor, None
    if executor is None:
        return
    size = executor._max_workers  # one task per thread: each waits for the others, so none runs two
    barrier = threading.Barrier(size)

    def close_this_threads_connections() -> None:
        connections.close_all()
        with contextlib.suppress(threading.BrokenBarrierError):
            barrier.wait(timeout=5)

    for _ in range(size):
        executor.submit(close_this_threads_connections)
    executor.shutdown(wait=True)
