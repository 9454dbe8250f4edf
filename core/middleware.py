"""Refuse addresses carrying control characters before any view reads them.

`/members/?q=%00` and `/members/%00/` used to reach PostgreSQL (a 500 DataError); no page or API
parameter of ours, in the path or the query string, means anything with control characters in it,
so one guard answers 400 for every route.
"""

from __future__ import annotations

from collections.abc import Callable

from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render

from .validators import CONTROL_CHARACTERS_MESSAGE, has_control_characters

QUERY_MESSAGE = "The address has control characters (such as NUL) in its query string."
PATH_MESSAGE = "The address has control characters (such as NUL) in its path."


def _query_has_control_characters(request: HttpRequest) -> bool:
    return any(
        has_control_characters(key) or any(has_control_characters(value) for value in values)
        for key, values in request.GET.lists()
    )


class BadInputMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if has_control_characters(request.path):
            return bad_request(request, PATH_MESSAGE)
        if request.META.get("QUERY_STRING") and _query_has_control_characters(request):
            return bad_request(request, QUERY_MESSAGE)
        return self.get_response(request)


def bad_request(request: HttpRequest, reason: str = CONTROL_CHARACTERS_MESSAGE) -> HttpResponse:
    """A 400 in the caller's language: JSON `{"detail": ...}` for the API, the 400 page otherwise."""
    if request.path.startswith("/api/"):
        return JsonResponse({"detail": reason}, status=400)
    return render(request, "400.html", {"reason": reason}, status=400)
