"""Shared fixtures: users of each role, logged-in clients, eager Celery, and no state shared between tests.

Every test starts from the same process state whatever ran before it (the suite also runs in random
order, `-p randomly`): caches, memoised settings, the ClubOS session, the messaging switch's memo, rate
limits, channel-layer groups and the realtime registry's badges/flags/topics are reset before and after
each test (`_no_state_between_tests`). The clock is `tests.fixtures.clock` (`--clubroom-now`).
"""

from __future__ import annotations

import os
import sys
from collections.abc import Iterator
from typing import Any

import pytest
from django.core.cache import caches
from django.test import Client

from config.celery import app as celery_app
from tests.accounts.factories import AdminFactory, MemberFactory, StaffFactory

pytest_plugins = [
    "tests.fixtures.clock",
    "tests.fixtures.clubos_sandbox",
    "tests.fixtures.outages",
    "tests.fixtures.browser",
    "tests.fixtures.openai_stub",
    "tests.fixtures.source_callback",
]

# Project packages whose module-level functools caches (lru_cache / cache) are cleared around each test.
PROJECT_PACKAGES = ("config", "core", "accounts", "realtime", "messaging", "inbox", "clubos", "ai_agent")

# Playwright's sync API runs an event loop in the test thread; Django's async-safety
# guard would otherwise refuse ORM calls from live-server browser tests.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")


@pytest.fixture(autouse=True)
def _fast_password_hashing(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


def _clear_memoised_functions() -> None:
    """Every lru_cache'd function of the project (settings getters, app_settings…), found, not listed."""
    for name, module in list(sys.modules.items()):
        if module is None or name.partition(".")[0] not in PROJECT_PACKAGES:
            continue
        for value in list(vars(module).values()):
            if callable(getattr(value, "cache_clear", None)) and callable(getattr(value, "cache_info", None)):
                value.cache_clear()


def _clear_channel_layers() -> None:
    """Groups and queued messages of in-process channel layers (a Redis layer's keys expire on their own)."""
    from channels.layers import InMemoryChannelLayer, channel_layers

    for layer in channel_layers.backends.values():
        if isinstance(layer, InMemoryChannelLayer):
            layer.channels.clear()
            layer.groups.clear()


def reset_process_state() -> None:
    """What a test may leave behind in this process, beyond the database (rolled back by pytest-django)."""
    from django.contrib.contenttypes.models import ContentType

    from clubos.services.session import clubos_session_reset
    from messaging.selectors import messaging_enabled_cache_clear
    from realtime.db import socket_executor_reset

    for cache in caches.all():
        cache.clear()  # rate limits, the owner list, sync locks… live here
    _clear_memoised_functions()
    messaging_enabled_cache_clear()
    clubos_session_reset()
    _clear_channel_layers()
    socket_executor_reset()
    ContentType.objects.clear_cache()


@pytest.fixture(autouse=True)
def _no_state_between_tests() -> Iterator[None]:
    from realtime import registry

    # What the apps registered when they started; a test may add probes, the next test must not see them.
    registered: list[tuple[dict[str, Any], dict[str, Any]]] = [
        (live, dict(live)) for live in (registry._badges, registry._flags, registry._topics)
    ]
    reset_process_state()
    celery_app.conf.task_always_eager = True
    celery_app.conf.task_eager_propagates = False
    yield
    reset_process_state()
    for live, kept in registered:
        live.clear()
        live.update(kept)


@pytest.fixture
def member(db):
    return MemberFactory()


@pytest.fixture
def other_member(db):
    return MemberFactory()


@pytest.fixture
def staff(db):
    return StaffFactory()


@pytest.fixture
def admin_user(db):
    return AdminFactory()


def _client_for(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


@pytest.fixture
def member_client(member) -> Client:
    return _client_for(member)


@pytest.fixture
def staff_client(staff) -> Client:
    return _client_for(staff)


@pytest.fixture
def admin_client_logged_in(admin_user) -> Client:
    return _client_for(admin_user)
