"""Outages of what Clubroom depends on answer 503, not 500.

A database (or Redis) that cannot be reached is not a bug in the request: pages get the branded
503 page, anything under the API prefix gets JSON, both with `Retry-After`. Under the API prefix
every other unhandled error is JSON too (500): an API client never has to parse an HTML page.
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Callable
from typing import Any

from django.db import InterfaceError, OperationalError
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.template import loader

from .app_settings import app_settings

logger = logging.getLogger(__name__)

try:  # redis-py is there whenever REDIS_URL can be set
    from redis.exceptions import ConnectionError as RedisConnectionError
    from redis.exceptions import TimeoutError as RedisTimeoutError

    REDIS_OUTAGE_ERRORS: tuple[type[BaseException], ...] = (RedisConnectionError, RedisTimeoutError)
except ImportError:  # pragma: no cover
    REDIS_OUTAGE_ERRORS = ()

DATABASE_OUTAGE_ERRORS: tuple[type[BaseException], ...] = (OperationalError, InterfaceError)


def outage_of(exc: BaseException) -> str | None:
    """Which dependency `exc` says is out ("database", "redis"), or None for an ordinary error."""
    if isinstance(exc, DATABASE_OUTAGE_ERRORS):
        return "database"
    if REDIS_OUTAGE_ERRORS and isinstance(exc, REDIS_OUTAGE_ERRORS):
        return "redis"
    return None


def is_api_request(request: HttpRequest) -> bool:
    return request.path.startswith(app_settings.API_PATH_PREFIX)


def service_unavailable(request: HttpRequest, *, dependency: str) -> HttpResponse:
    """The 503 for an outage: JSON under the API prefix, else the branded page (no database needed)."""
    retry_after = app_settings.OUTAGE_RETRY_AFTER
    if is_api_request(request):
        response: HttpResponse = JsonResponse(
            {
                "detail": "Clubroom is briefly unavailable. Try again shortly.",
                "code": "service_unavailable",
                "dependency": dependency,
                "retry_after": retry_after,
            },
            status=503,
        )
    else:
        # Rendered without a request: context processors would query the database that is down.
        body = loader.get_template("503.html").render({"retry_after": retry_after})
        response = HttpResponse(body, status=503)
    response["Retry-After"] = str(retry_after)
    response["Cache-Control"] = "no-store"
    return response


def api_server_error(request: HttpRequest) -> HttpResponse:
    return JsonResponse({"detail": "Something went wrong on our side.", "code": "server_error"}, status=500)


class OutageMiddleware:
    """Turns dependency outages into 503s and API errors into JSON (see the module docstring).

    Outages are logged as one warning line (the repeat filter in core.logging folds a storm of
    them into one line per interval); ordinary API errors keep their traceback.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        return self.get_response(request)

    def process_exception(self, request: HttpRequest, exception: Exception) -> HttpResponse | None:
        dependency = outage_of(exception)
        if dependency is not None:
            logger.warning(
                "%s unavailable: %s %s answered 503 (%s: %s)",
                dependency,
                request.method,
                request.path,
                type(exception).__name__,
                str(exception).strip().splitlines()[0] if str(exception).strip() else "",
            )
            response = service_unavailable(request, dependency=dependency)
        elif is_api_request(request):
            logger.error("Internal Server Error: %s", request.path, exc_info=exception)
            response = api_server_error(request)
        else:
            return None
        # Logged above, once: Django's per-response "Service Unavailable: …" line would double it.
        response._has_been_logged = True  # type: ignore[attr-defined]
        return response


# A socket closed with this should be retried later, with backoff and jitter (a dependency is down).
SOCKET_CLOSE_TRY_AGAIN = 4503


class SocketOutageGuard:
    """The websocket counterpart of OutageMiddleware, outermost in config/asgi.py.

    An outage that escapes the socket stack (the session or user read before any consumer runs, a
    consumer's read, the channel layer) would end the handshake as a 500 with a traceback per attempt.
    Here it is one warning line (folded by the repeat filter) and a close with 4503, which the browser
    retries with backoff and jitter: accepted first when it was not, since a refused upgrade carries no
    code (daphne has no `websocket.http.response`). Ordinary errors propagate as before.
    """

    def __init__(self, inner: Any) -> None:
        self.inner = inner

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> Any:
        if scope["type"] != "websocket":
            return await self.inner(scope, receive, send)
        progress = {"accepted": False, "closed": False}

        async def tracking_send(message: dict[str, Any]) -> None:
            if message["type"] == "websocket.accept":
                progress["accepted"] = True
            elif message["type"] == "websocket.close":
                progress["closed"] = True
            await send(message)

        try:
            return await self.inner(scope, receive, tracking_send)
        except Exception as exc:
            dependency = outage_of(exc)
            if dependency is None:
                raise
            logger.warning(
                "%s unavailable: %s %s (%s: %s)",
                dependency,
                scope.get("path", ""),
                "ended" if progress["closed"] else f"closed with {SOCKET_CLOSE_TRY_AGAIN}",
                type(exc).__name__,
                str(exc).strip().splitlines()[0] if str(exc).strip() else "",
            )
            if progress["closed"]:
                return None
            with contextlib.suppress(Exception):  # the client may be gone already: nothing to tell it
                if not progress["accepted"]:
                    await send({"type": "websocket.accept"})
                await send({"type": "websocket.close", "code": SOCKET_CLOSE_TRY_AGAIN})
            return None
