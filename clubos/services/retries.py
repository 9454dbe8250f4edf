"""Which ClubOS errors are worth repeating a request for, the repeating, and one clear line per error."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable

from ..app_settings import app_settings
from ..exceptions import (
    ClubOSAuthError,
    ClubOSError,
    ClubOSServerError,
    ClubOSSessionExpired,
    ClubOSUnavailable,
)

logger = logging.getLogger(__name__)


# Errors worth repeating the same request for: the next attempt may well succeed.
TRANSIENT_ERRORS: tuple[type[ClubOSError], ...] = (ClubOSUnavailable, ClubOSServerError, ClubOSSessionExpired)
RUN_STOPPING_ERRORS: tuple[type[ClubOSError], ...] = (*TRANSIENT_ERRORS, ClubOSAuthError)


def with_retries[T](call: Callable[[], T]) -> T:
    retries, delay = app_settings.SYNC_RETRIES, app_settings.SYNC_RETRY_BACKOFF
    for attempt in range(retries + 1):
        try:
            return call()
        except TRANSIENT_ERRORS as exc:
            if attempt >= retries:
                raise
            logger.warning("ClubOS request failed (%s); retrying", exc)
            time.sleep(delay * (2**attempt))
    raise AssertionError("unreachable")


def sync_error_message(exc: BaseException) -> str:
    """One clear line for a failed run (never a password or token)."""
    if isinstance(exc, ClubOSAuthError):
        return "ClubOS rejected the username or password"
    text = str(exc).strip().splitlines()[0] if str(exc).strip() else exc.__class__.__name__
    if isinstance(exc, ClubOSUnavailable):
        return f"ClubOS could not be reached: {text}"
    return text
