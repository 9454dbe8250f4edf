"""The accounts app's settings, read lazily from django.conf.settings (prefix ACCOUNTS_)."""

from __future__ import annotations

from typing import Any

from django.conf import settings


class AppSettings:
    prefix = "ACCOUNTS_"

    def _setting(self, name: str, default: Any) -> Any:
        return getattr(settings, self.prefix + name, default)

    @property
    def SIGNIN_SLOW_AFTER(self) -> int:
        """Failures (per username or per address) after which each attempt must wait, doubling: 1 s, 2 s, 4 s…"""
        return int(self._setting("SIGNIN_SLOW_AFTER", 3))

    @property
    def SIGNIN_SLOW_AFTER_ADDRESS(self) -> int:
        """Like SIGNIN_SLOW_AFTER, for one client address (higher: members share the club's wifi)."""
        return int(self._setting("SIGNIN_SLOW_AFTER_ADDRESS", 10))

    @property
    def SIGNIN_LOCK_AFTER_USERNAME(self) -> int:
        """Failures for one username that lock it for SIGNIN_LOCKOUT_SECONDS."""
        return int(self._setting("SIGNIN_LOCK_AFTER_USERNAME", 10))

    @property
    def SIGNIN_LOCK_AFTER_ADDRESS(self) -> int:
        """Failures from one client address (any usernames) that lock the address."""
        return int(self._setting("SIGNIN_LOCK_AFTER_ADDRESS", 30))

    @property
    def SIGNIN_LOCKOUT_SECONDS(self) -> int:
        return int(self._setting("SIGNIN_LOCKOUT_SECONDS", 15 * 60))

    @property
    def SIGNIN_WINDOW_SECONDS(self) -> int:
        """Failures are forgotten this long after the last one (and on a successful sign-in, per username)."""
        return int(self._setting("SIGNIN_WINDOW_SECONDS", 15 * 60))


app_settings = AppSettings()
