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


def sources_allow_local_http() -> bool:
    """INBOX_SOURCES_ALLOW_LOCAL_HTTP: accept http://localhost callback URLs (default: DEBUG)."""
    return bool(_get("INBOX_SOURCES_ALLOW_LOCAL_HTTP", settings.DEBUG))


def source_timestamp_tolerance() -> float:
    """INBOX_SOURCE_TIMESTAMP_TOLERANCE_SECONDS: how far a signed request's timestamp may be from now (300)."""
    return float(_get("INBOX_SOURCE_TIMESTAMP_TOLERANCE_SECONDS", 300.0))


def source_connect_timeout() -> float:
    """INBOX_SOURCE_CONNECT_TIMEOUT: seconds to connect to a source's callback URL (default 5)."""
    return float(_get("INBOX_SOURCE_CONNECT_TIMEOUT", 5.0))


def source_read_timeout() -> float:
    """INBOX_SOURCE_READ_TIMEOUT: seconds to wait for a source's callback to answer (default 10)."""
    return float(_get("INBOX_SOURCE_READ_TIMEOUT", 10.0))


def source_retry_backoff() -> float:
    """INBOX_SOURCE_RETRY_BACKOFF: seconds before the 2nd attempt of a reply to a source; doubled after (10)."""
    return float(_get("INBOX_SOURCE_RETRY_BACKOFF", 10.0))


def snooze_wake_seconds() -> float:
    """INBOX_SNOOZE_WAKE_SECONDS: how often beat reopens conversations whose snooze ran out (default 30)."""
    return max(1.0, float(_get("INBOX_SNOOZE_WAKE_SECONDS", 30.0)))


def badges_rebuild_seconds() -> float:
    """INBOX_BADGES_REBUILD_SECONDS: how often beat repairs the staff badges' entries from the truth (600)."""
    return max(60.0, float(_get("INBOX_BADGES_REBUILD_SECONDS", 600.0)))
