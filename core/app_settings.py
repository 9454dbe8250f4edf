"""Core's settings, read lazily from django.conf.settings (tests may override them), with their defaults.

Environment variables are read only in config/settings.py.
"""

from __future__ import annotations

from django.conf import settings


class AppSettings:
    prefix = "CLUBROOM_"

    def _get(self, name: str, default: object) -> object:
        return getattr(settings, self.prefix + name, default)

    @property
    def API_MAX_JSON_BYTES(self) -> int:
        """Largest JSON request body the API reads; larger bodies are 413 before any parsing."""
        return int(self._get("API_MAX_JSON_BYTES", 64 * 1024))  # type: ignore[call-overload]

    @property
    def API_MAX_JSON_DEPTH(self) -> int:
        """Deepest nesting of arrays/objects in a JSON body; deeper bodies are 400 before parsing."""
        return int(self._get("API_MAX_JSON_DEPTH", 16))  # type: ignore[call-overload]

    @property
    def API_DOCS_PUBLIC(self) -> bool:
        """Serve /api/schema/ and /api/docs/ to anonymous visitors (off: signed-in users only)."""
        return bool(self._get("API_DOCS_PUBLIC", False))

    @property
    def OUTAGE_RETRY_AFTER(self) -> int:
        """Seconds a 503 asks clients to wait (`Retry-After`, default 15)."""
        return max(1, int(self._get("OUTAGE_RETRY_AFTER", 15)))  # type: ignore[call-overload]

    @property
    def API_PATH_PREFIX(self) -> str:
        """Requests under it always get JSON errors, never HTML (default /api/)."""
        return str(self._get("API_PATH_PREFIX", "/api/"))

    @property
    def PROBE_TIMEOUT(self) -> float:
        """Seconds one /readyz probe may take (default 2)."""
        return float(self._get("PROBE_TIMEOUT", 2.0))  # type: ignore[arg-type]

    @property
    def REDIS_URL(self) -> str:
        """REDIS_URL (config): the Redis /readyz pings; empty in embedded mode (then not checked)."""
        return str(getattr(settings, "REDIS_URL", "") or "")


app_settings = AppSettings()
