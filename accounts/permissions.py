"""Who may use the staff side (the inbox and the ClubOS sync): one rule for pages and the API."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from rest_framework.permissions import BasePermission
from rest_framework.request import Request

View = Callable[..., HttpResponse]


def inbox_staff_required(view: View) -> View:
    """Pages for club staff: anonymous → sign-in page, members → 403."""

    @login_required
    @wraps(view)
    def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if not request.user.is_inbox_staff:  # type: ignore[union-attr]
            raise PermissionDenied("This page is for club staff only.")
        return view(request, *args, **kwargs)

    return wrapped


class IsInboxStaff(BasePermission):
    """API endpoints for club staff: anonymous → 401 (the token authenticator answers first), members → 403."""

    message = "Only club staff can use this endpoint."

    def has_permission(self, request: Request, view: Any) -> bool:
        return bool(getattr(request.user, "is_inbox_staff", False))
