"""Who may use the staff side (the inbox and the ClubOS sync): one rule for pages and the API."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any

from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from rest_framework.permissions import SAFE_METHODS, BasePermission
from rest_framework.request import Request

from .models import ApiToken

View = Callable[..., HttpResponse]


def inbox_staff_required(view: View) -> View:
    """Pages for club staff: anonymous → sign-in page, members → 404 (the staff area is not theirs to know of)."""

    @login_required
    @wraps(view)
    def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if not request.user.is_inbox_staff:  # type: ignore[union-attr]
            raise Http404("No such page.")
        return view(request, *args, **kwargs)

    return wrapped


READ_ONLY_TOKEN_MESSAGE = "This API key is read-only: it cannot change anything."  # noqa: S105 (a message)


def token_scope_allows(request: Request) -> bool:
    """A read-only ApiToken may only read (GET, HEAD, OPTIONS); sessions and other tokens are not scoped."""
    token = request.auth
    if isinstance(token, ApiToken) and not token.allows_writes:
        return request.method in SAFE_METHODS
    return True


class IsInboxStaff(BasePermission):
    """API endpoints for club staff: anonymous → 401 (the token authenticator answers first), members → 403.

    Requests with an ApiToken act as its user (who must be inbox staff); a read-only token gets 403
    on every write.
    """

    message = "Only club staff can use this endpoint."

    def has_permission(self, request: Request, view: Any) -> bool:
        if not getattr(request.user, "is_inbox_staff", False):
            return False
        if not token_scope_allows(request):
            self.message = READ_ONLY_TOKEN_MESSAGE
            return False
        return True
