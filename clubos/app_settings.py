"""The clubos app's settings, read lazily from django.conf.settings (never at import time).

Every setting is prefixed `CLUBOS_` and its default lives here, and only here: config/settings.py
passes on what the environment sets and nothing else. Each property documents its default.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.conf import settings


class AppSettings:
    prefix = "CLUBOS_"

    def _setting(self, name: str, default: Any) -> Any:
        return getattr(settings, self.prefix + name, default)

    @property
    def BASE_URL(self) -> str:
        """CLUBOS_BASE_URL: the brand's ClubOS host, e.g. https://anytime.club-os.com (default: the local sandbox)."""
        return str(self._setting("BASE_URL", "http://127.0.0.1:8765")).rstrip("/")

    @property
    def SANDBOX_DIR(self) -> Path:
        """CLUBOS_SANDBOX_DIR: where the sandbox saves its club and its URL (default the project's var/)."""
        return Path(self._setting("SANDBOX_DIR", "") or Path(settings.BASE_DIR) / "var")

    @property
    def SANDBOX_STATE_FILE(self) -> Path:
        """The sandbox's saved club (JSON), kept across restarts: SANDBOX_DIR/clubos-sandbox.json."""
        return self.SANDBOX_DIR / "clubos-sandbox.json"

    @property
    def SANDBOX_URL_FILE(self) -> Path:
        """Written by a serving sandbox: its URL, so `clubos_sandbox inject` finds it without `--url`."""
        return self.SANDBOX_DIR / "clubos-sandbox.url"

    @property
    def USERNAME(self) -> str:
        """CLUBOS_USERNAME: the staff account the sync logs in with (default clubroom.sync)."""
        return str(self._setting("USERNAME", "clubroom.sync"))

    @property
    def PASSWORD(self) -> str:
        """CLUBOS_PASSWORD: that account's password, never logged (default: the local sandbox's)."""
        return str(self._setting("PASSWORD", "sandbox-password"))

    @property
    def POLL_SECONDS(self) -> int:
        """CLUBOS_POLL_SECONDS: how often the inbox is polled (default 10)."""
        return int(self._setting("POLL_SECONDS", 10))

    @property
    def INBOX_OWNERS(self) -> list[int]:
        """CLUBOS_INBOX_OWNERS: owner ids to sync; empty (the default) means every owner of the owner selector."""
        owners = self._setting("INBOX_OWNERS", [])
        if isinstance(owners, str):
            owners = owners.split(",")
        return [int(owner) for owner in owners if str(owner).strip()]

    @property
    def CONNECT_TIMEOUT(self) -> float:
        """CLUBOS_CONNECT_TIMEOUT: seconds to open a connection (default 5)."""
        return float(self._setting("CONNECT_TIMEOUT", 5.0))

    @property
    def READ_TIMEOUT(self) -> float:
        """CLUBOS_READ_TIMEOUT: seconds to wait for a response (default 30; inbox lists run up to 4 MB)."""
        return float(self._setting("READ_TIMEOUT", 30.0))

    @property
    def TIME_ZONE(self) -> str:
        """CLUBOS_TIME_ZONE: the club's time zone when the dashboard does not say (default settings.TIME_ZONE)."""
        return str(self._setting("TIME_ZONE", "") or settings.TIME_ZONE or "America/Chicago")

    # --- Sync and send ------------------------------------------------------------------------------

    @property
    def MESSAGE_SINK(self) -> str:
        """CLUBOS_MESSAGE_SINK: dotted path of the object the sync hands messages to (the inbox's, by default)."""
        return str(self._setting("MESSAGE_SINK", "inbox.services.ingest.clubos_message_sink"))

    @property
    def SYNC_BATCH_SIZE(self) -> int:
        """CLUBOS_SYNC_BATCH_SIZE: list items committed per transaction, watermark included (default 250)."""
        return max(1, int(self._setting("SYNC_BATCH_SIZE", 250)))

    @property
    def SYNC_CONCURRENCY(self) -> int:
        """CLUBOS_SYNC_CONCURRENCY: ClubOS reads (member histories, name searches) a run keeps in flight
        at once; ClubOS is someone else's server, so keep it small (default 4; 1 = one at a time)."""
        return max(1, int(self._setting("SYNC_CONCURRENCY", 4)))

    @property
    def SYNC_LOCK_SECONDS(self) -> float:
        """CLUBOS_SYNC_LOCK_SECONDS: lease of the run lock, renewed by a heartbeat every third of it; a killed
        run's lock frees itself within it (default 30; on PostgreSQL an advisory lock frees it at once)."""
        return float(self._setting("SYNC_LOCK_SECONDS", 30.0))

    @property
    def SYNC_RETRIES(self) -> int:
        """CLUBOS_SYNC_RETRIES: retries of one request on timeouts / OOPS / expired sessions (default 2)."""
        return int(self._setting("SYNC_RETRIES", 2))

    @property
    def SYNC_RETRY_BACKOFF(self) -> float:
        """CLUBOS_SYNC_RETRY_BACKOFF: first retry delay in seconds, doubled each time (default 0.5)."""
        return float(self._setting("SYNC_RETRY_BACKOFF", 0.5))

    @property
    def OWNERS_CACHE_SECONDS(self) -> int:
        """CLUBOS_OWNERS_CACHE_SECONDS: how long the dashboard's owner list is reused (default 600)."""
        return int(self._setting("OWNERS_CACHE_SECONDS", 600))

    @property
    def MATCH_TOLERANCE_SECONDS(self) -> float:
        """CLUBOS_MATCH_TOLERANCE_SECONDS: list time vs history time (minute precision) when matching (default 150)."""
        return float(self._setting("MATCH_TOLERANCE_SECONDS", 150.0))

    @property
    def UNKNOWN_NAME_RETRY_SECONDS(self) -> int:
        """CLUBOS_UNKNOWN_NAME_RETRY_SECONDS: when to search again for a sender ClubOS did not find (default 3600)."""
        return int(self._setting("UNKNOWN_NAME_RETRY_SECONDS", 3600))

    @property
    def SYNC_RUNS_KEPT(self) -> int:
        """CLUBOS_SYNC_RUNS_KEPT: run log rows kept (a poll every 10 s writes 8,640 a day; default 500)."""
        return int(self._setting("SYNC_RUNS_KEPT", 500))

    @property
    def SEND_MAX_ATTEMPTS(self) -> int:
        """CLUBOS_SEND_MAX_ATTEMPTS: attempts per outbound message on temporary errors (default 3)."""
        return max(1, int(self._setting("SEND_MAX_ATTEMPTS", 3)))

    @property
    def SEND_RETRY_BACKOFF(self) -> float:
        """CLUBOS_SEND_RETRY_BACKOFF: seconds before the 2nd attempt, doubled for each next one (default 10)."""
        return float(self._setting("SEND_RETRY_BACKOFF", 10.0))

    @property
    def SEND_LEASE_SECONDS(self) -> float:
        """CLUBOS_SEND_LEASE_SECONDS: a `sending` message older than this was interrupted (default: timeouts + 60)."""
        default = self.CONNECT_TIMEOUT + self.READ_TIMEOUT + 60.0
        return float(self._setting("SEND_LEASE_SECONDS", default))

    @property
    def SEND_UNCERTAIN_MARGIN(self) -> float:
        """CLUBOS_SEND_UNCERTAIN_MARGIN: seconds added to the read timeout before an attempt whose outcome is
        unknown is followed up (history checked, then sent again if absent), so a slow ClubOS save lands
        first (default 15)."""
        return float(self._setting("SEND_UNCERTAIN_MARGIN", 15.0))

    # --- Health (issue 10) ----------------------------------------------------------------------------

    @property
    def READY_MAX_SYNC_AGE(self) -> float:
        """CLUBOS_READY_MAX_SYNC_AGE: seconds since the last successful sync before /readyz says degraded
        (default 10 polls, at least 300)."""
        return float(self._setting("READY_MAX_SYNC_AGE", max(300.0, 10.0 * self.POLL_SECONDS)))

    @property
    def FAILURE_BANNER_AFTER(self) -> int:
        """CLUBOS_FAILURE_BANNER_AFTER: failed runs in a row before staff see a warning banner (default 3)."""
        return max(1, int(self._setting("FAILURE_BANNER_AFTER", 3)))


app_settings = AppSettings()
