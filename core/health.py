"""Health for operators: `/healthz` (the process answers) and `/readyz` (it can do its work).

Readiness is a registry of named probes. core registers the database and (when REDIS_URL is set)
Redis; higher apps register their own in `AppConfig.ready()` (clubos: the last successful sync's
age), so core imports none of them. A critical probe that fails makes `/readyz` answer 503 (take
this process out of rotation); a non-critical one only marks the report "degraded" (still 200),
because restarting or unrouting web processes cannot fix it.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from django.db import connections

from .app_settings import app_settings
from .outages import outage_of

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class ProbeResult:
    ok: bool
    detail: str = ""
    data: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class _Probe:
    name: str
    check: Callable[[], ProbeResult]
    critical: bool


_probes: dict[str, _Probe] = {}
_probes_lock = threading.Lock()


def readiness_probe_register(*, name: str, check: Callable[[], ProbeResult], critical: bool = True) -> None:
    """Add (or replace) a named readiness probe. `check` must be quick and must not raise for an outage."""
    with _probes_lock:
        _probes[name] = _Probe(name=name, check=check, critical=critical)


def readiness_probes() -> list[str]:
    return list(_probes)


def database_probe() -> ProbeResult:
    try:
        with connections["default"].cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
    except Exception as exc:  # any failure means "not ready", never a 500
        # A broken connection must not be reused by this thread's next request.
        connections["default"].close_if_unusable_or_obsolete()
        return ProbeResult(False, _one_line(exc))
    return ProbeResult(True, connections["default"].vendor)


def redis_probe() -> ProbeResult:
    import redis
    from redis.backoff import NoBackoff
    from redis.retry import Retry

    url = app_settings.REDIS_URL
    timeout = app_settings.PROBE_TIMEOUT
    client = redis.Redis.from_url(
        url, socket_connect_timeout=timeout, socket_timeout=timeout, retry=Retry(NoBackoff(), 0)
    )
    try:
        client.ping()
    except Exception as exc:
        return ProbeResult(False, _one_line(exc))
    finally:
        client.close()
    return ProbeResult(True, "ping")


def _one_line(exc: BaseException) -> str:
    text = str(exc).strip()
    return f"{type(exc).__name__}: {text.splitlines()[0]}" if text else type(exc).__name__


@dataclass(frozen=True)
class ReadinessReport:
    status: str  # "ok" | "degraded" | "unavailable"
    checks: dict[str, dict[str, Any]]

    @property
    def ready(self) -> bool:
        return self.status != "unavailable"


def readiness_report() -> ReadinessReport:
    probes = list(_probes.values())
    if app_settings.REDIS_URL and "redis" not in _probes:
        probes.insert(1, _Probe("redis", redis_probe, critical=True))
    checks: dict[str, dict[str, Any]] = {}
    failed_critical = degraded = False
    for probe in probes:
        started = time.monotonic()
        try:
            result = probe.check()
        except Exception as exc:  # a probe's own bug is a failed probe, not a 500
            dependency = outage_of(exc)
            if dependency is None:
                logger.warning("readiness probe %s raised", probe.name, exc_info=True)
            else:  # an outage the report already says: one line, not a traceback per load-balancer poll
                logger.warning("readiness probe %s: %s unavailable (%s)", probe.name, dependency, _one_line(exc))
            result = ProbeResult(False, _one_line(exc))
        checks[probe.name] = {
            "ok": result.ok,
            "critical": probe.critical,
            "detail": result.detail,
            "ms": round((time.monotonic() - started) * 1000, 1),
            **result.data,
        }
        if not result.ok:
            failed_critical |= probe.critical
            degraded |= not probe.critical
    status = "unavailable" if failed_critical else "degraded" if degraded else "ok"
    return ReadinessReport(status=status, checks=checks)


readiness_probe_register(name="database", check=database_probe, critical=True)
