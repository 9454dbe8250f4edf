"""`/healthz` and `/readyz` (see core.health): plain JSON, no session, no database for /healthz."""

from __future__ import annotations

from django.http import HttpRequest, JsonResponse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_safe

from .health import readiness_report


@never_cache
@require_safe
def healthz(request: HttpRequest) -> JsonResponse:
    """Liveness: the process is up and serving requests. Touches nothing else."""
    return JsonResponse({"status": "ok"})


@never_cache
@require_safe
def readyz(request: HttpRequest) -> JsonResponse:
    """Readiness: 200 when the database (and Redis, when configured) answer, else 503 with what failed."""
    report = readiness_report()
    return JsonResponse({"status": report.status, "checks": report.checks}, status=200 if report.ready else 503)
