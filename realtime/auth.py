"""Who is on a socket: channels' AuthMiddlewareStack in one database read, off asgiref's shared thread.

channels resolves the session and the user in two thread-sensitive calls before any consumer runs; under
load they queued behind every socket's other reads (see realtime/db.py), and while the database was down
their exception escaped as a 500 on the handshake. Here both are one read on the socket pool, and an
outage propagates to `core.outages.SocketOutageGuard`, which closes the socket with 4503.
"""

from __future__ import annotations

from importlib import import_module
from typing import Any

from channels.sessions import CookieMiddleware
from django.conf import settings
from django.contrib.auth.models import AnonymousUser

from . import selectors
from .db import database_read


class SocketAuthMiddleware:
    """Sets `scope["session"]` and `scope["user"]` (AnonymousUser without a session cookie: no read)."""

    def __init__(self, inner: Any) -> None:
        self.inner = inner

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> Any:
        session_key = scope.get("cookies", {}).get(settings.SESSION_COOKIE_NAME)
        if session_key:
            session, user = await database_read(selectors.session_user)(session_key=session_key)
        else:
            session, user = import_module(settings.SESSION_ENGINE).SessionStore(), AnonymousUser()
        return await self.inner({**scope, "session": session, "user": user}, receive, send)


def SocketAuthMiddlewareStack(inner: Any) -> Any:
    return CookieMiddleware(SocketAuthMiddleware(inner))
