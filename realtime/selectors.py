"""Reads behind the notifications socket: the registered badges and flags for one user."""

from __future__ import annotations

from importlib import import_module
from types import SimpleNamespace
from typing import Any

from django.conf import settings
from django.contrib import auth
from django.contrib.sessions.backends.base import SessionBase

from . import registry
from .groups import BROADCAST_GROUP, user_group


def unread_snapshot(*, user: Any) -> dict[str, Any]:
    """The `{"type": "unread", <badge>: count, ...}` frame, every count read from the database."""
    frame: dict[str, Any] = {"type": "unread"}
    for badge in registry.badges():
        frame[badge.name] = badge.count(user=user)
    return frame


def notifications_state(*, user: Any, fresh_flags: bool = True) -> tuple[dict[str, Any], dict[str, bool]]:
    """The flags (first: badges may depend on them) and then the unread frame. Flags are read fresh on
    connect and when a switch flipped; a user's refresh or a heartbeat may take the process's memo."""
    flags = {
        flag.name: (flag.read() if fresh_flags or flag.cached is None else flag.cached()) for flag in registry.flags()
    }
    return unread_snapshot(user=user), flags


def notification_groups(*, user: Any) -> list[str]:
    """Every group a user's notifications socket joins: their own, the broadcast, and the apps'."""
    groups = [user_group(user.pk), BROADCAST_GROUP]
    for named in [*(badge.groups for badge in registry.badges()), *(topic.groups for topic in registry.topics())]:
        groups.extend(group for group in named(user=user) if group not in groups)
    return groups


def session_user(*, session_key: str) -> tuple[SessionBase, Any]:
    """The session behind a socket's cookie and its signed-in user (AnonymousUser when none), checked the
    way Django checks a request's (backend, session hash): one read for the whole handshake's auth."""
    session = import_module(settings.SESSION_ENGINE).SessionStore(session_key)
    user = auth.get_user(SimpleNamespace(session=session))  # type: ignore[arg-type]
    return session, user
