"""One logged-in ClubOS client per process (repeated logins upset ClubOS), one caller at a time."""

from __future__ import annotations

import logging
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING

from ..app_settings import app_settings
from ..exceptions import (
    ClubOSAuthError,
)

if TYPE_CHECKING:
    from ..client import ClubOSClient

logger = logging.getLogger(__name__)


_session_lock = threading.RLock()
_session: ClubOSClient | None = None
_session_key: tuple[object, ...] | None = None


def _settings_key() -> tuple[object, ...]:
    """A new client when any of its settings change (tests and the admin can change them at runtime)."""
    return (
        app_settings.BASE_URL,
        app_settings.USERNAME,
        app_settings.PASSWORD,
        app_settings.CONNECT_TIMEOUT,
        app_settings.READ_TIMEOUT,
    )


@contextmanager
def clubos_session() -> Iterator[ClubOSClient]:
    """The process's one logged-in client (repeated logins upset ClubOS), used by one caller at a time."""
    global _session, _session_key
    from ..client import ClubOSClient

    with _session_lock:
        key = _settings_key()
        if _session is None or _session_key != key:
            clubos_session_reset()
            _session, _session_key = ClubOSClient.from_settings(), key
        try:
            yield _session
        except ClubOSAuthError:
            clubos_session_reset()
            raise


def clubos_session_reset() -> None:
    global _session, _session_key
    with _session_lock:
        if _session is not None:
            try:
                _session.close()
            except Exception:  # closing a broken connection must not hide the real error
                logger.debug("closing the ClubOS client failed", exc_info=True)
        _session, _session_key = None, None
