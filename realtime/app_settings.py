"""The realtime app's settings, read lazily from django.conf.settings (prefix REALTIME_)."""

from __future__ import annotations

from typing import Any

from django.conf import settings


def _get(name: str, default: Any) -> Any:
    return getattr(settings, name, default)


def heartbeat_seconds() -> float:
    """REALTIME_HEARTBEAT_SECONDS: how often each notifications socket re-joins its groups, re-reads its
    badges from the database and sends `{"type": "heartbeat"}` (default 20; clients reconnect after three
    missed). Bounds how long a socket stays deaf after the channel layer lost its state."""
    return max(0.05, float(_get("REALTIME_HEARTBEAT_SECONDS", 20.0)))


def database_threads() -> int:
    """REALTIME_DATABASE_THREADS: the threads every socket's database reads share in one process (default
    4). asgiref would run them all on one thread, so under load a handshake waited behind every badge
    refresh; each thread holds at most one database connection at a time."""
    return max(1, int(_get("REALTIME_DATABASE_THREADS", 4)))


def database_keep_connections() -> bool:
    """REALTIME_DATABASE_KEEP_CONNECTIONS: socket pool threads keep their database connection between reads
    whatever CONN_MAX_AGE says (default True; at most REALTIME_DATABASE_THREADS connections per process)."""
    return bool(_get("REALTIME_DATABASE_KEEP_CONNECTIONS", True))
