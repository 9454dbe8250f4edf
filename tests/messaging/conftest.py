from __future__ import annotations

import pytest

from messaging import selectors, services


@pytest.fixture(autouse=True)
def _fresh_switch_memo():
    # The switch is memoised per process for a second; tests flip it far faster than that.
    selectors.messaging_enabled_cache_clear()
    yield
    selectors.messaging_enabled_cache_clear()


@pytest.fixture
def messaging_on(db):
    services.messaging_set_enabled(actor=None, enabled=True)
    selectors.messaging_enabled_cache_clear()


@pytest.fixture
def thread(messaging_on, member, other_member):
    thread, _ = services.thread_start(initiator=member, recipient=other_member)
    return thread


@pytest.fixture
def other_client(other_member):
    from django.test import Client

    client = Client()
    client.force_login(other_member)
    return client
