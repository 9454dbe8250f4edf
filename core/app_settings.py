"""The core app's settings, read lazily from django.conf.settings (prefix CLUBROOM_).

Environment variables are read only in config/settings.py.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings


def _get(name: str, default: Any) -> Any:
    return getattr(settings, name, default)


def outage_retry_after() -> int:
    """CLUBROOM_OUTAGE_RETRY_AFTER: seconds a 503 asks clients to wait (`Retry-After`, default 15)."""
    return max(1, int(_get("CLUBROOM_OUTAGE_RETRY_AFTER", 15)))


def api_path_prefix() -> str:
    """CLUBROOM_API_PATH_PREFIX: requests under it always get JSON errors, never HTML (default /api/)."""
    return str(_get("CLUBROOM_API_PATH_PREFIX", "/api/"))


def redis_url() -> str:
    """REDIS_URL (config): the Redis /readyz pings; empty in embedded mode (then not checked)."""
    return str(_get("REDIS_URL", "") or "")


def probe_timeout() -> float:
    """CLUBROOM_PROBE_TIMEOUT: seconds one /readyz probe may take (default 2)."""
    return float(_get("CLUBROOM_PROBE_TIMEOUT", 2.0))
