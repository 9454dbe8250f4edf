"""The clubos app's settings, read lazily from django.conf.settings (never at import time).

Every setting is prefixed `CLUBOS_`; each getter documents its default. Environment variables are read
only in config/settings.py.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings


def _get(name: str, default: Any) -> Any:
    return getattr(settings, name, default)


def base_url() -> str:
    """CLUBOS_BASE_URL: the brand's ClubOS host, e.g. https://anytime.club-os.com (default: the local sandbox)."""
    return str(_get("CLUBOS_BASE_URL", "http://127.0.0.1:8765")).rstrip("/")


def username() -> str:
    """CLUBOS_USERNAME: the staff account the sync logs in with."""
    return str(_get("CLUBOS_USERNAME", "clubroom.sync"))


def password() -> str:
    """CLUBOS_PASSWORD: that account's password (never logged)."""
    return str(_get("CLUBOS_PASSWORD", ""))


def poll_seconds() -> int:
    """CLUBOS_POLL_SECONDS: how often the inbox is polled (default 10)."""
    return int(_get("CLUBOS_POLL_SECONDS", 10))


def inbox_owners() -> list[int]:
    """CLUBOS_INBOX_OWNERS: owner ids to sync; empty means every owner of the dashboard's owner selector."""
    return [int(owner) for owner in _get("CLUBOS_INBOX_OWNERS", []) if str(owner).strip()]


def connect_timeout() -> float:
    """CLUBOS_CONNECT_TIMEOUT: seconds to open a connection (default 5)."""
    return float(_get("CLUBOS_CONNECT_TIMEOUT", 5.0))


def read_timeout() -> float:
    """CLUBOS_READ_TIMEOUT: seconds to wait for a response (default 30; inbox lists run up to 4 MB)."""
    return float(_get("CLUBOS_READ_TIMEOUT", 30.0))


def time_zone() -> str:
    """CLUBOS_TIME_ZONE: the club's time zone when the dashboard does not say (default settings.TIME_ZONE)."""
    return str(_get("CLUBOS_TIME_ZONE", "") or settings.TIME_ZONE or "America/Chicago")


# --- Sync and send (helper C) ------------------------------------------------------------------


def message_sink() -> str:
    """CLUBOS_MESSAGE_SINK: dotted path of the object the sync hands messages to (the inbox registers it)."""
    return str(_get("CLUBOS_MESSAGE_SINK", "inbox.services.ingest.clubos_message_sink"))


def sync_batch_size() -> int:
    """CLUBOS_SYNC_BATCH_SIZE: list items committed per transaction, watermark included (default 250)."""
    return max(1, int(_get("CLUBOS_SYNC_BATCH_SIZE", 250)))


def sync_lock_seconds() -> float:
    """CLUBOS_SYNC_LOCK_SECONDS: lease of the run lock, renewed as a run progresses (default 120)."""
    return float(_get("CLUBOS_SYNC_LOCK_SECONDS", 120.0))


def sync_retries() -> int:
    """CLUBOS_SYNC_RETRIES: retries of one request on timeouts / OOPS / expired sessions (default 2)."""
    return int(_get("CLUBOS_SYNC_RETRIES", 2))


def sync_retry_backoff() -> float:
    """CLUBOS_SYNC_RETRY_BACKOFF: first retry delay in seconds, doubled each time (default 0.5)."""
    return float(_get("CLUBOS_SYNC_RETRY_BACKOFF", 0.5))


def owners_cache_seconds() -> int:
    """CLUBOS_OWNERS_CACHE_SECONDS: how long the dashboard's owner list is reused (default 600)."""
    return int(_get("CLUBOS_OWNERS_CACHE_SECONDS", 600))


def match_tolerance_seconds() -> float:
    """CLUBOS_MATCH_TOLERANCE_SECONDS: list time vs history time (minute precision) when matching (default 150)."""
    return float(_get("CLUBOS_MATCH_TOLERANCE_SECONDS", 150.0))


def unknown_name_retry_seconds() -> int:
    """CLUBOS_UNKNOWN_NAME_RETRY_SECONDS: when to search again for a sender ClubOS did not find (default 3600)."""
    return int(_get("CLUBOS_UNKNOWN_NAME_RETRY_SECONDS", 3600))


def sync_runs_kept() -> int:
    """CLUBOS_SYNC_RUNS_KEPT: run log rows kept (a poll every 10 s writes 8,640 a day; default 500)."""
    return int(_get("CLUBOS_SYNC_RUNS_KEPT", 500))


def send_max_attempts() -> int:
    """CLUBOS_SEND_MAX_ATTEMPTS: attempts per outbound message on temporary errors (default 3)."""
    return max(1, int(_get("CLUBOS_SEND_MAX_ATTEMPTS", 3)))


def send_retry_backoff() -> float:
    """CLUBOS_SEND_RETRY_BACKOFF: seconds before the 2nd attempt, doubled for each next one (default 10)."""
    return float(_get("CLUBOS_SEND_RETRY_BACKOFF", 10.0))


def send_lease_seconds() -> float:
    """CLUBOS_SEND_LEASE_SECONDS: a `sending` message older than this was interrupted (default: timeouts + 60)."""
    default = connect_timeout() + read_timeout() + 60.0
    return float(_get("CLUBOS_SEND_LEASE_SECONDS", default))
