"""API conventions shared by every DRF endpoint: domain errors become HTTP responses here, once.

Set as `REST_FRAMEWORK["EXCEPTION_HANDLER"]`. Responses keep DRF's shape, `{"detail": "..."}`.
"""

from __future__ import annotations

from typing import Any

from rest_framework import exceptions, status
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler

from .exceptions import Conflict, DomainError, Forbidden, InvalidInput, NotFound, RateLimited


class ConflictError(exceptions.APIException):
    status_code = status.HTTP_409_CONFLICT
    default_detail = "This was changed meanwhile."
    default_code = "conflict"


class BadRequest(exceptions.APIException):
    """A 400 with one message (DRF's ValidationError would wrap it in a list)."""

    status_code = status.HTTP_400_BAD_REQUEST
    default_detail = "Bad request."
    default_code = "invalid"


def api_exception(error: DomainError) -> exceptions.APIException:
    """The DRF exception a domain error answers as."""
    if isinstance(error, NotFound):
        return exceptions.NotFound(error.message)
    if isinstance(error, Forbidden):
        return exceptions.PermissionDenied(error.message)
    if isinstance(error, RateLimited):
        return exceptions.Throttled(wait=error.retry_after, detail=error.message)
    if isinstance(error, Conflict):
        return ConflictError(error.message)
    if isinstance(error, InvalidInput):
        return BadRequest(error.message)
    return BadRequest(error.message)


def exception_handler(exc: Exception, context: dict[str, Any]) -> Response | None:
    if isinstance(exc, DomainError):
        exc = api_exception(exc)
    return drf_exception_handler(exc, context)
