"""Sign-in throttling, kept in Django's cache (shared by every process when Redis is the cache).

Policy, per username (case-insensitive) and per client address, counted separately:
- failures are remembered for SIGNIN_WINDOW_SECONDS (plus the lock-out) after the latest one;
- from the SIGNIN_SLOW_AFTER-th failure for a username (SIGNIN_SLOW_AFTER_ADDRESS for an address:
  members share the club's wifi) on, the next attempt must wait 1 s, then 2 s, 4 s, … (at most
  the lock-out) after the latest failure: a password guesser is slowed, a person barely notices;
- at SIGNIN_LOCK_AFTER_USERNAME failures for a username, or SIGNIN_LOCK_AFTER_ADDRESS from one
  address, that key is locked for SIGNIN_LOCKOUT_SECONDS;
- while a key must wait, the password is not checked at all (so guessing gains nothing) and the
  form says how long to wait; a successful sign-in clears its username's failures (not the address').
Two concurrent failures may count once (the cache has no atomic read-modify-write here); the
doubling makes that immaterial.
"""

from __future__ import annotations

import hashlib
import math
import time

from django.core.cache import cache
from django.http import HttpRequest

from .app_settings import app_settings

_PREFIX = "accounts:signin:"


def _key(kind: str, value: str) -> str:
    digest = hashlib.sha256(value.encode("utf-8", "replace")).hexdigest()[:32]
    return f"{_PREFIX}{kind}:{digest}"


def _keys(*, username: str, address: str) -> list[tuple[str, int, int]]:
    """(cache key, failures that start the slow-down, failures that lock) per counted key."""
    keys = [(_key("address", address), app_settings.SIGNIN_SLOW_AFTER_ADDRESS, app_settings.SIGNIN_LOCK_AFTER_ADDRESS)]
    if username:
        user_key = _key("user", username.casefold())
        keys.append((user_key, app_settings.SIGNIN_SLOW_AFTER, app_settings.SIGNIN_LOCK_AFTER_USERNAME))
    return keys


def _now() -> float:
    return time.time()


def client_address(request: HttpRequest | None) -> str:
    return str(request.META.get("REMOTE_ADDR", "")) if request is not None else ""


def _wait_for(failures: int, last: float, slow_after: int, lock_after: int, now: float) -> float:
    lockout = app_settings.SIGNIN_LOCKOUT_SECONDS
    if failures >= lock_after:
        delay = float(lockout)
    elif failures >= slow_after:
        delay = float(min(2 ** (failures - slow_after), lockout))
    else:
        return 0.0
    return max(0.0, last + delay - now)


def signin_wait_seconds(*, username: str, address: str) -> int:
    """Seconds before this username may try again from this address (0: go ahead)."""
    now = _now()
    wait = 0.0
    for key, slow_after, lock_after in _keys(username=username, address=address):
        failures, last = cache.get(key) or (0, 0.0)
        wait = max(wait, _wait_for(failures, last, slow_after, lock_after, now))
    return math.ceil(wait)


def signin_is_locked(*, username: str, address: str) -> bool:
    """True when a key has reached its lock-out count (not merely slowed)."""
    for key, slow_after, lock_after in _keys(username=username, address=address):
        failures, last = cache.get(key) or (0, 0.0)
        if failures >= lock_after and _wait_for(failures, last, slow_after, lock_after, _now()) > 0:
            return True
    return False


def signin_failed(*, username: str, address: str) -> None:
    now = _now()
    window = app_settings.SIGNIN_WINDOW_SECONDS + app_settings.SIGNIN_LOCKOUT_SECONDS
    for key, _slow, _lock in _keys(username=username, address=address):
        failures, _last = cache.get(key) or (0, 0.0)
        cache.set(key, (failures + 1, now), timeout=window)


def signin_succeeded(*, username: str) -> None:
    if username:
        cache.delete(_key("user", username.casefold()))
