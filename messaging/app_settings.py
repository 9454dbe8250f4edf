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

    @property
    def EDIT_WINDOW_SECONDS(self) -> int:
        """How long after sending a member may still edit their message."""
        return int(self._setting("EDIT_WINDOW_SECONDS", 15 * 60))

    @property
    def UNREAD_EMAIL_DELAY_SECONDS(self) -> int:
        """How long a message sits unread before the recipient is emailed (once per thread per burst)."""
        return int(self._setting("UNREAD_EMAIL_DELAY_SECONDS", 15 * 60))

    @property
    def UNREAD_EMAIL_SWEEP_SECONDS(self) -> float:
        """How often the beat task looks for unread bursts that are due an email."""
        return float(self._setting("UNREAD_EMAIL_SWEEP_SECONDS", 60))

    @property
    def UNREAD_EMAIL_BATCH(self) -> int:
        """At most this many emails per sweep (the next sweep takes the rest)."""
        return int(self._setting("UNREAD_EMAIL_BATCH", 200))

    @property
    def SITE_URL(self) -> str:
        """Absolute base for links in emails, e.g. https://club.example.com (no trailing slash)."""
        return str(self._setting("SITE_URL", "http://127.0.0.1:8000")).rstrip("/")

    @property
    def SEARCH_RESULTS(self) -> int:
        return int(self._setting("SEARCH_RESULTS", 50))


app_settings = AppSettings()
