"""The API's schema and docs (signed-in users only unless CLUBROOM_API_DOCS_PUBLIC), the 400 page,
and `/healthz` / `/readyz` (see core.health): plain JSON, no session, no database for /healthz."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.views import redirect_to_login
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.utils.csp import CSP
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_safe
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView
from rest_framework import exceptions
from rest_framework.permissions import AllowAny, BasePermission, IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response

from .app_settings import app_settings
from .health import readiness_report

# Swagger UI's page carries one inline <style> block; its scripts are static files (the sidecar).
DOCS_CSP = {
    "default-src": [CSP.SELF],
    "script-src": [CSP.SELF],
    "style-src": [CSP.SELF, CSP.UNSAFE_INLINE],
    "img-src": [CSP.SELF, "data:"],
    "connect-src": [CSP.SELF],
    "frame-ancestors": [CSP.NONE],
    "form-action": [CSP.SELF],
    "base-uri": [CSP.NONE],
    "object-src": [CSP.NONE],
}


class _DocsAccess:
    """REST_FRAMEWORK's authentication (token first: anonymous is 401); who may read is a setting."""

    def get_permissions(self) -> list[BasePermission]:
        return [AllowAny()] if app_settings.API_DOCS_PUBLIC else [IsAuthenticated()]


class SchemaView(_DocsAccess, SpectacularAPIView):
    """`/api/schema/`: the OpenAPI document."""


class DocsView(_DocsAccess, SpectacularSwaggerSplitView):
    """`/api/docs/`: Swagger UI; anonymous visitors are sent to the sign-in page."""

    def handle_exception(self, exc: Exception) -> Response:
        if isinstance(exc, exceptions.NotAuthenticated | exceptions.AuthenticationFailed):
            return redirect_to_login(self.request.get_full_path())  # type: ignore[return-value]
        return super().handle_exception(exc)

    def finalize_response(self, request: Request, response: Any, *args: Any, **kwargs: Any) -> Any:
        response = super().finalize_response(request, response, *args, **kwargs)
        response._csp_config = DOCS_CSP
        return response


def bad_request(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    """handler400: Django's own 400s (a malformed multipart body, a bad Host) get a page, not a bare line."""
    reason = "The request could not be understood."
    if request.path.startswith("/api/"):
        return JsonResponse({"detail": reason}, status=400)
    return render(request, "400.html", {"reason": reason}, status=400)


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
