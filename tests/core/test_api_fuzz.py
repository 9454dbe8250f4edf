"""Schemathesis fuzzes every API operation from our OpenAPI schema: no 500s, no schema violations.

Bounded for CI: a few examples per operation (CLUBROOM_FUZZ_EXAMPLES, default 6; derandomized, so
CI runs the same cases each time). The schema comes from drf-spectacular in-process; requests go
through Django's WSGI handler in the test's own transaction, signed in with a staff token (staff may
call every operation; which role gets what is tests/test_routes.py's job).
"""

from __future__ import annotations

import os

import pytest
import schemathesis
from django.core.signals import request_finished, request_started
from django.core.wsgi import get_wsgi_application
from django.db import close_old_connections
from drf_spectacular.generators import SchemaGenerator
from hypothesis import HealthCheck, Phase, settings
from rest_framework.authtoken.models import Token

from accounts.services import club_staff_group_ensure
from messaging import selectors, services
from tests.accounts.factories import StaffFactory, as_user
from tests.messaging.factories import make_member

EXAMPLES = int(os.environ.get("CLUBROOM_FUZZ_EXAMPLES", "6"))


def _load_schema() -> schemathesis.schemas.BaseSchema:
    document = SchemaGenerator().get_schema(request=None, public=True)
    schema = schemathesis.openapi.from_dict(document)
    schema.app = get_wsgi_application()
    return schema


schema = _load_schema()


@pytest.fixture
def keep_the_test_connection():
    """As Django's test client does: a request must not close the connection holding the test's transaction."""
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    yield
    request_started.connect(close_old_connections)
    request_finished.connect(close_old_connections)


@pytest.fixture
def tokens(db, keep_the_test_connection):
    """A staff user's API token, and a thread with a message to aim at."""
    services.messaging_set_enabled(actor=None, enabled=True)
    selectors.messaging_enabled_cache_clear()
    member, buddy = make_member(username="dana"), make_member(username="lee")
    staff = as_user(StaffFactory(username="sam"))
    staff.groups.add(club_staff_group_ensure())
    thread, _ = services.thread_start(initiator=member, recipient=buddy)
    services.message_send(sender=buddy, thread_id=thread.pk, body="hello")
    return {"staff": Token.objects.create(user=staff).key}


@schema.parametrize()
@settings(
    max_examples=EXAMPLES,
    deadline=None,
    derandomize=True,
    phases=[Phase.explicit, Phase.generate],
    suppress_health_check=list(HealthCheck),
)
def test_api_operations_never_500_and_match_their_schema(case, tokens):
    selectors.messaging_enabled_cache_clear()
    case.call_and_validate(headers={"Authorization": f"Token {tokens['staff']}"})
