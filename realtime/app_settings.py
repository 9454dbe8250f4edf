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
