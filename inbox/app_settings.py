"""The inbox app's settings, read lazily from django.conf.settings (prefix INBOX_)."""

from __future__ import annotations

from typing import Any

from django.conf import settings


def _get(name: str, default: Any) -> Any:
    return getattr(settings, name, default)


def outbox_sweep_seconds() -> float:
    """INBOX_OUTBOX_SWEEP_SECONDS: how often beat sweeps the outbox for lost nudges and stale attempts (15)."""
    return float(_get("INBOX_OUTBOX_SWEEP_SECONDS", 15.0))


def outbox_nudge_grace() -> float:
    """INBOX_OUTBOX_NUDGE_GRACE_SECONDS: how long a queued message's task may take to start before the
    sweep queues another (default 30)."""
    return float(_get("INBOX_OUTBOX_NUDGE_GRACE_SECONDS", 30.0))


def outbox_sweep_batch() -> int:
    """INBOX_OUTBOX_SWEEP_BATCH: messages re-queued per sweep at most (default 500)."""
    return max(1, int(_get("INBOX_OUTBOX_SWEEP_BATCH", 500)))
