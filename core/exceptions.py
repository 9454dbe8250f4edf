"""The domain errors of Clubroom: services and selectors raise them, interfaces turn them into responses.

`str(error)` is always a message fit to show the person. Each app subclasses one of these
(`messaging.exceptions.NotAParticipant` is a `NotFound`, `inbox.exceptions.ReplyNotAllowed` an
`InvalidInput`); the API turns them into HTTP responses in one place (`core.api.exception_handler`).
`NotFound` and `Forbidden` are also Django's `Http404` and `PermissionDenied`, so a page that lets
one through renders the project's 404 / 403 page.
"""

from __future__ import annotations

from django.core.exceptions import PermissionDenied
from django.http import Http404


class DomainError(Exception):
    """Base class of every domain error."""

    default_message = "That did not work."

    def __init__(self, message: str | None = None) -> None:
        super().__init__(message or self.default_message)

    @property
    def message(self) -> str:
        return str(self)


class NotFound(DomainError, Http404):
    """The thing does not exist, or is not yours to see (never say which): 404."""

    default_message = "Not found."


class Forbidden(DomainError, PermissionDenied):
    """You may see it but not do this: 403."""

    default_message = "You can't do that."


class InvalidInput(DomainError):
    """The input cannot be accepted as it is (empty, too long, wrong choice…): 400."""

    default_message = "Check what you entered."


class Conflict(DomainError):
    """The thing changed meanwhile and the action no longer applies (already decided, already done): 409."""

    default_message = "This was changed meanwhile."


class RateLimited(DomainError):
    """Too many attempts in too little time: 429 with Retry-After."""

    default_message = "Too many attempts; try again shortly."

    def __init__(self, message: str | None = None, *, retry_after: int) -> None:
        super().__init__(message)
        self.retry_after = retry_after
