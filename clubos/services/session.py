"""One logged-in ClubOS client per process (repeated logins upset ClubOS), one caller at a time."""

from __future__ import annotations

import json
import logging
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING

from django.db import DatabaseError

from ..app_settings import app_settings
from ..exceptions import (
    ClubOSAuthError,
)
from ..models import StoredSession

if TYPE_CHECKING:
    from ..client import ClubOSClient

logger = logging.getLogger(__name__)


_session_lock = threading.RLock()
_session: ClubOSClient | None = None
_session_key: tuple[object, ...] | None = None
_stored_generation: int | None = None


def _settings_key() -> tuple[object, ...]:
    """A new client when any of its settings change (tests and the admin can change them at runtime)."""
    return (
        app_settings.BASE_URL,
        app_settings.USERNAME,
        app_settings.PASSWORD,
        app_settings.CONNECT_TIMEOUT,
        app_settings.READ_TIMEOUT,
    )


def _stored_key() -> str:
    return f"{app_settings.BASE_URL}|{app_settings.USERNAME}"


def _session_load(client: ClubOSClient) -> None:
    """Continue the session a previous run (maybe another process) stored."""
    global _stored_generation
    stored = StoredSession.objects.filter(key=_stored_key()).values_list("data", flat=True).first()
    if stored:
        try:
            client.session_restore(json.loads(stored))
        except (TypeError, ValueError):
            logger.warning("the stored ClubOS session is unreadable; logging in afresh")
    _stored_generation = client.session_generation


def _session_store(client: ClubOSClient) -> None:
    """Store the session when it changed (a login, a token refresh): one write per login, none per poll."""
    global _stored_generation
    if client.session_generation == _stored_generation:
        return
    data = client.session_export()
    try:
        if data is None:
            StoredSession.objects.filter(key=_stored_key()).delete()
        else:
            StoredSession.objects.update_or_create(key=_stored_key(), defaults={"data": json.dumps(data)})
    except DatabaseError:  # keeping the session is an optimisation: never fail a sync for it
        logger.warning("could not store the ClubOS session", exc_info=True)
        return
    _stored_generation = client.session_generation


@contextmanager
def clubos_session(*, stored: bool = False) -> Iterator[ClubOSClient]:
    """The process's one logged-in client (repeated logins upset ClubOS), used by one caller at a time.

    With `stored` (the sync), the session (cookies, never the password) is kept in the database after
    a login, and a new process continues it: `manage.py sync_clubos` logs in only when ClubOS has
    ended the session."""
    global _session, _session_key
    from ..client import ClubOSClient

    with _session_lock:
        key = _settings_key()
        if _session is None or _session_key != key:
            clubos_session_reset()
            _session, _session_key = ClubOSClient.from_settings(), key
            if stored:
                _session_load(_session)
        try:
            yield _session
        except ClubOSAuthError:
            clubos_session_reset()
            if stored:
                StoredSession.objects.filter(key=_stored_key()).delete()
            raise
        finally:
            if stored and _session is not None:
                _session_store(_session)


def clubos_session_reset() -> None:
    """Forget this process's client (the stored session stays for the next one)."""
    global _session, _session_key, _stored_generation
    with _session_lock:
        if _session is not None:
            try:
                _session.close()
            except Exception:  # closing a broken connection must not hide the real error
                logger.debug("closing the ClubOS client failed", exc_info=True)
        _session, _session_key, _stored_generation = None, None, None
