"""The messaging app's settings, read lazily from django.conf.settings (prefix MESSAGING_)."""

from __future__ import annotations

from typing import Any

from django.conf import settings


class AppSettings:
    prefix = "MESSAGING_"

    def _setting(self, name: str, default: Any) -> Any:
        return getattr(settings, self.prefix + name, default)

    @property
    def RATE_LIMIT_PER_MINUTE(self) -> int:
        """Messages one sender may send in any 60 seconds (held in the shared cache)."""
        return int(self._setting("RATE_LIMIT_PER_MINUTE", 30))

    @property
    def BODY_MAX_LENGTH(self) -> int:
        return int(self._setting("BODY_MAX_LENGTH", 5000))

    @property
    def TOGGLE_CACHE_SECONDS(self) -> float:
        """How long one process trusts its copy of the on/off switch (propagation delay)."""
        return float(self._setting("TOGGLE_CACHE_SECONDS", 1.0))

    @property
    def THREADS_PER_PAGE(self) -> int:
        return int(self._setting("THREADS_PER_PAGE", 25))

    @property
    def MESSAGES_PER_PAGE(self) -> int:
        return int(self._setting("MESSAGES_PER_PAGE", 50))


app_settings = AppSettings()
