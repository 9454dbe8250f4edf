"""API conventions: domain errors become responses in one handler; authentication is set once."""

from __future__ import annotations

from typing import cast

import pytest
from django.urls import URLPattern, URLResolver, get_resolver
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.settings import api_settings
from rest_framework.test import APIRequestFactory
from rest_framework.views import APIView

from core import exceptions
from inbox.exceptions import ReplyNotAllowed
from messaging.exceptions import NotAParticipant, RateLimited


def _raising(error: Exception):
    class Raising(APIView):
        permission_classes: list[type] = []

        def get(self, request: Request) -> Response:
            raise error

    return Raising.as_view()


@pytest.mark.parametrize(
    ("error", "status", "detail"),
    [
        (exceptions.NotFound(), 404, "Not found."),
        (NotAParticipant(), 404, "Thread not found."),
        (exceptions.Forbidden("Blocked."), 403, "Blocked."),
        (ReplyNotAllowed("An email needs a subject."), 400, "An email needs a subject."),
        (exceptions.DomainError("Odd."), 400, "Odd."),
    ],
)
def test_domain_errors_become_responses_with_their_message(error, status, detail):
    response = _raising(error)(APIRequestFactory().get("/"))
    assert (response.status_code, response.data) == (status, {"detail": detail})


def test_rate_limits_answer_429_with_retry_after():
    response = _raising(RateLimited("Slow down.", retry_after=12))(APIRequestFactory().get("/"))
    assert response.status_code == 429
    assert response["Retry-After"] == "12"
    assert str(response.data["detail"]).startswith("Slow down.")


def test_other_errors_still_go_through_drf():
    class Boom(APIView):
        permission_classes: list[type] = []

        def get(self, request: Request) -> Response:
            raise ValueError("a bug")

    with pytest.raises(ValueError, match="a bug"):
        Boom.as_view()(APIRequestFactory().get("/"))


def _api_views(patterns, prefix=""):
    for pattern in patterns:
        if isinstance(pattern, URLResolver):
            yield from _api_views(pattern.url_patterns, prefix + str(pattern.pattern))
        elif isinstance(pattern, URLPattern):
            view_class = getattr(pattern.callback, "cls", None)
            if view_class is not None and prefix.startswith("api/v1/"):
                yield prefix + str(pattern.pattern), view_class


def test_no_api_view_overrides_the_authentication_order():
    views = list(_api_views(get_resolver().url_patterns))
    assert len(views) >= 8
    signed_webhooks = [path for path, view_class in views if getattr(view_class, "signed_webhook", False)]
    # The one exception: an integration source's webhook is authenticated by its HMAC signature alone.
    assert signed_webhooks == ["api/v1/inbox/sources/<str:slug>/messages/"]
    for path, view_class in views:
        if path in signed_webhooks:
            assert view_class.authentication_classes == [], path
            continue
        assert view_class.authentication_classes == api_settings.DEFAULT_AUTHENTICATION_CLASSES, path
    classes = cast("list[type]", api_settings.DEFAULT_AUTHENTICATION_CLASSES)
    assert [c.__name__ for c in classes] == [
        "ApiTokenAuthentication",  # first: anonymous callers get 401 with WWW-Authenticate: Bearer, not 403
        "TokenAuthentication",  # DRF's `Token <key>`, still accepted
        "SessionAuthentication",
    ]


def test_limit_offset_parameters_state_the_bounds_the_pagination_enforces():
    from drf_spectacular.generators import SchemaGenerator

    schema = SchemaGenerator().get_schema(request=None, public=True)
    parameters = schema["paths"]["/api/v1/ai/decisions/"]["get"]["parameters"]
    bounds = {p["name"]: p["schema"] for p in parameters if p["name"] in ("limit", "offset")}
    assert bounds["limit"]["minimum"] == 0
    assert bounds["offset"]["minimum"] == 0
    assert bounds["limit"]["maximum"] == 10**18 - 1
