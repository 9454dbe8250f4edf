"""Shared fixtures: users of each role, logged-in clients, a clean cache and eager Celery."""

from __future__ import annotations

import os

import pytest
from django.core.cache import cache
from django.test import Client

from config.celery import app as celery_app
from tests.accounts.factories import AdminFactory, MemberFactory, StaffFactory

pytest_plugins = ["tests.fixtures.clubos_sandbox"]

# Playwright's sync API runs an event loop in the test thread; Django's async-safety
# guard would otherwise refuse ORM calls from live-server browser tests.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")


@pytest.fixture(autouse=True)
def _fast_password_hashing(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture(autouse=True)
def _isolated_cache_and_eager_celery():
    cache.clear()
    celery_app.conf.task_always_eager = True
    celery_app.conf.task_eager_propagates = False
    yield
    cache.clear()


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
