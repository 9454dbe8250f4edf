"""The staff API's permission matrix: every inbox API route (found through the URL resolver, so routes
added later are covered without editing this file) and every other staff API route, each method its
view answers, × who is asking.

Who: anonymous, a member, staff, another staff member, an admin, and API tokens (read, read-write,
revoked, and a token whose account is a member). Expected:
- anonymous and a revoked token → 401 (with a WWW-Authenticate challenge);
- a member (session or token) → 403 or 404, never an answer;
- staff, other staff, admin, a read-write token → not refused (no 401/403; 2xx, or a 4xx about the data);
- a read token → the same on GET/HEAD/OPTIONS, 403 on POST/PUT/PATCH/DELETE;
- nobody ever gets a 5xx.
The signed source webhook takes no session or token: every one of them gets 401 without a signature.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest
from django.urls import URLPattern, URLResolver, get_resolver
from rest_framework.test import APIClient

from accounts.models import ApiToken, TokenScope
from accounts.permissions import IsInboxStaff
from accounts.services import api_token_create, api_token_hash, api_token_revoke
from inbox.models import IntegrationSource
from tests.accounts.factories import AdminFactory, MemberFactory, StaffFactory, as_user
from tests.inbox.factories import InboxMessageFactory

pytestmark = pytest.mark.django_db

METHODS = ("get", "post", "put", "patch", "delete")
SAFE = {"get", "head", "options"}


@dataclass(frozen=True)
class Route:
    pattern: str
    view: Any
    methods: tuple[str, ...]

    @property
    def signed_webhook(self) -> bool:
        return bool(getattr(self.view, "signed_webhook", False))


def _walk(patterns: list[Any], prefix: str = "") -> Iterator[tuple[str, Any]]:
    for entry in patterns:
        if isinstance(entry, URLResolver):
            yield from _walk(entry.url_patterns, prefix + str(entry.pattern))
        elif isinstance(entry, URLPattern):
            yield prefix + str(entry.pattern), entry.callback


def _is_staff_api(pattern: str, view_class: Any) -> bool:
    if pattern.startswith("api/v1/inbox/"):
        return True
    permissions = getattr(view_class, "permission_classes", ())
    return pattern.startswith("api/v1/") and any(
        isinstance(p, type) and issubclass(p, IsInboxStaff) for p in permissions
    )


def staff_api_routes() -> list[Route]:
    routes = []
    for pattern, callback in _walk(get_resolver().url_patterns):
        view_class = getattr(callback, "cls", None) or getattr(callback, "view_class", None)
        if view_class is None or not _is_staff_api(pattern, view_class):
            continue
        actions = getattr(callback, "actions", None)  # a ViewSet route: its method → action map
        methods = tuple(m for m in METHODS if (m in actions if actions else hasattr(view_class, m)))
        routes.append(Route(pattern, view_class, methods))
    return sorted(routes, key=lambda r: r.pattern)


ROUTES = staff_api_routes()
CASES = [
    pytest.param(route, method, id=f"{method.upper()} {route.pattern}") for route in ROUTES for method in route.methods
]

IDENTITIES = (
    "anonymous",
    "member",
    "staff",
    "other_staff",
    "admin",
    "token_read",
    "token_read_write",
    "token_revoked",
    "token_member",
)


@dataclass
class World:
    clients: dict[str, APIClient]
    values: dict[str, Any]


def _bearer(key: str) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {key}")
    return client


def _session(user: Any) -> APIClient:
    client = APIClient()
    client.force_login(user)
    return client


@pytest.fixture
def world() -> World:
    staff = as_user(StaffFactory())
    message = InboxMessageFactory.create()
    source = IntegrationSource.objects.create(slug="website-chat", name="Website chat", callback_url="https://x.test/")
    _, read = api_token_create(name="read", user=staff, scope=TokenScope.READ)
    _, read_write = api_token_create(name="rw", user=staff, scope=TokenScope.READ_WRITE)
    revoked_token, revoked = api_token_create(name="old", user=staff, scope=TokenScope.READ_WRITE)
    api_token_revoke(token=revoked_token)
    member = as_user(MemberFactory())
    member_key = "crk_member-token-for-the-matrix"
    # Not through api_token_create (which refuses members): a staff member's token after a demotion.
    ApiToken.objects.create(name="member", user=member, prefix=member_key[:12], key_hash=api_token_hash(member_key))
    clients = {
        "anonymous": APIClient(),
        "member": _session(member),
        "staff": _session(staff),
        "other_staff": _session(as_user(StaffFactory())),
        "admin": _session(as_user(AdminFactory())),
        "token_read": _bearer(read),
        "token_read_write": _bearer(read_write),
        "token_revoked": _bearer(revoked),
        "token_member": _bearer(member_key),
    }
    values = {
        "id": message.conversation_id,
        "conversation_id": message.conversation_id,
        "message_id": message.pk,
        "slug": source.slug,
    }
    return World(clients, values)


def _url(pattern: str, values: dict[str, Any]) -> str:
    """The pattern with each `<converter:name>` filled: a known object's id, else 1 (a 404 is fine here)."""
    path, out = pattern, ""
    while "<" in path:
        head, _, rest = path.partition("<")
        spec, _, path = rest.partition(">")
        converter, _, name = spec.rpartition(":")
        default = "1" if converter in ("id", "int", "") or name.endswith("_id") else "x"
        out += head + str(values.get(name, default))
    return "/" + (out + path).replace("^", "").replace("$", "")


def expected_ok(identity: str, method: str) -> bool:
    return identity in ("staff", "other_staff", "admin", "token_read_write") or (
        identity == "token_read" and method in SAFE
    )


def test_the_matrix_covers_the_inbox_api():
    patterns = {route.pattern for route in ROUTES}
    assert "api/v1/inbox/sources/<str:slug>/messages/" in patterns
    assert "api/v1/clubos/sync/" in patterns  # staff endpoints elsewhere, with writes, are covered too
    assert len(CASES) >= 5


@pytest.mark.parametrize(("route", "method"), CASES)
def test_each_identity_gets_what_it_may(world, route, method):
    url = _url(route.pattern, world.values)
    got: dict[str, int] = {}
    wrong: list[str] = []
    for identity in IDENTITIES:
        client = world.clients[identity]
        send = getattr(client, method)
        response = send(url) if method in SAFE else send(url, {}, format="json")
        status = got[identity] = response.status_code
        if status >= 500:
            wrong.append(f"{identity}: {status}")
        elif route.signed_webhook:
            if status != 401:
                wrong.append(f"{identity}: {status}, expected 401 (unsigned)")
        elif identity in ("anonymous", "token_revoked"):
            if status != 401 or "WWW-Authenticate" not in response.headers:
                wrong.append(f"{identity}: {status}, expected 401 with a challenge")
        elif identity in ("member", "token_member"):
            if status not in (403, 404):
                wrong.append(f"{identity}: {status}, expected 403/404")
        elif expected_ok(identity, method):
            if status in (401, 403):
                wrong.append(f"{identity}: {status}, expected to be let in")
        elif status != 403:
            wrong.append(f"{identity}: {status}, expected 403 (read-only token)")
    assert wrong == [], f"{method.upper()} {url}: {got}"
