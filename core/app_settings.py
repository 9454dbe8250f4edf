"""Core's settings, read lazily (tests may override them), with their defaults."""

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


app_settings = AppSettings()
