"""Socket handshakes while a dependency is down, through the real ASGI application (config/asgi.py):
never a 500, always a close code the browser retries with backoff and jitter (4503), one log line."""

from __future__ import annotations

import logging

import pytest
from asgiref.sync import async_to_sync
from channels.testing import WebsocketCommunicator
from django.conf import settings as django_settings
from django.test import Client

from config.asgi import application
from messaging import services
from realtime.consumers import CLOSE_TRY_AGAIN
from tests.accounts.factories import MemberFactory, StaffFactory
from tests.fixtures.outages import database_down
from tests.messaging.factories import make_member

pytestmark = [pytest.mark.django_db(transaction=True)]

TIMEOUT = 5


def _cookie(user) -> bytes:
    client = Client()
    client.force_login(user)
    return f"{django_settings.SESSION_COOKIE_NAME}={client.cookies[django_settings.SESSION_COOKIE_NAME].value}".encode()


def _handshake(path: str, cookie: bytes | None) -> tuple[bool, object, dict]:
    """Connect; returns (accepted, subprotocol or close code, the next message the server sent)."""

    async def scenario() -> tuple[bool, object, dict]:
        headers = [(b"origin", b"http://testserver"), (b"host", b"testserver")]
        if cookie is not None:
            headers.append((b"cookie", cookie))
        communicator = WebsocketCommunicator(application, path, headers=headers)
        try:
            accepted, detail = await communicator.connect(timeout=TIMEOUT)
            following = await communicator.receive_output(TIMEOUT) if accepted else {}
        finally:
            await communicator.disconnect()
        return accepted, detail, following

    return async_to_sync(scenario)()


def _errors_and_tracebacks(caplog) -> list[logging.LogRecord]:
    return [r for r in caplog.records if r.levelno >= logging.ERROR or r.exc_info]


@pytest.mark.parametrize("who", ["member", "staff"])
def test_a_notifications_handshake_while_the_database_is_down_is_closed_with_4503(who, caplog):
    user = (StaffFactory if who == "staff" else MemberFactory)()
    cookie = _cookie(user)
    with caplog.at_level(logging.WARNING), database_down():
        accepted, _, following = _handshake("/ws/notifications/", cookie)
    assert accepted  # a refused upgrade carries no code: the browser could not tell an outage from a 403
    assert following == {"type": "websocket.close", "code": CLOSE_TRY_AGAIN}
    assert _errors_and_tracebacks(caplog) == []
    warnings = [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]
    assert len(warnings) == 1
    assert warnings[0].startswith("database unavailable: /ws/notifications/ closed with 4503 (OperationalError")


def test_a_thread_handshake_while_the_database_is_down_is_closed_with_4503(caplog):
    a, b = make_member(), make_member()
    services.messaging_set_enabled(actor=None, enabled=True)
    thread, _ = services.thread_start(initiator=a, recipient=b)
    cookie = _cookie(a)
    with caplog.at_level(logging.WARNING), database_down():
        accepted, _, following = _handshake(f"/ws/messages/{thread.pk}/", cookie)
    assert accepted
    assert following == {"type": "websocket.close", "code": CLOSE_TRY_AGAIN}
    assert _errors_and_tracebacks(caplog) == []


def test_an_anonymous_handshake_while_the_database_is_down_is_closed_with_4503_too(caplog):
    """Without a session cookie nothing is read, so the socket is refused as always; with a cookie the
    session cannot be read, and that is an outage, not a sign-out."""
    with caplog.at_level(logging.WARNING), database_down():
        accepted, _, _ = _handshake("/ws/notifications/", None)
        accepted_with_cookie, _, following = _handshake(
            "/ws/notifications/", f"{django_settings.SESSION_COOKIE_NAME}=abcdefghijklmnopqrstuvwxyz012345".encode()
        )
    assert not accepted
    assert accepted_with_cookie
    assert following == {"type": "websocket.close", "code": CLOSE_TRY_AGAIN}
    assert _errors_and_tracebacks(caplog) == []


def test_a_storm_of_handshakes_during_an_outage_is_one_log_line(caplog):
    """Under load every browser retries: the repeat filter on the console handler folds them into one."""
    from core.logfilters import RepeatedErrorFilter

    user = MemberFactory()
    cookie = _cookie(user)
    repeats = RepeatedErrorFilter(interval=60)
    with caplog.at_level(logging.WARNING), database_down():
        for _ in range(5):
            assert _handshake("/ws/notifications/", cookie)[2]["code"] == CLOSE_TRY_AGAIN
    let_through = [r for r in caplog.records if r.levelno >= logging.WARNING and repeats.filter(r)]
    assert len(let_through) == 1
    assert _errors_and_tracebacks(caplog) == []


def test_the_same_handshake_works_again_once_the_database_is_back(caplog):
    user = MemberFactory()
    cookie = _cookie(user)
    with database_down():
        assert _handshake("/ws/notifications/", cookie)[2]["code"] == CLOSE_TRY_AGAIN
    accepted, _, following = _handshake("/ws/notifications/", cookie)
    assert accepted
    assert following["type"] == "websocket.send"
    assert '"type": "unread"' in following["text"]


def test_a_thread_handshake_with_redis_down_is_closed_with_4503_and_no_traceback(redis_down, caplog):
    """The thread socket lives on its group: without the channel layer it could never hear a message."""
    a, b = make_member(), make_member()
    services.messaging_set_enabled(actor=None, enabled=True)
    thread, _ = services.thread_start(initiator=a, recipient=b)
    cookie = _cookie(a)
    with caplog.at_level(logging.WARNING):
        accepted, _, following = _handshake(f"/ws/messages/{thread.pk}/", cookie)
    assert accepted
    assert following == {"type": "websocket.close", "code": CLOSE_TRY_AGAIN}
    assert _errors_and_tracebacks(caplog) == []


def test_a_notifications_handshake_with_redis_down_still_gets_its_badges(redis_down, caplog):
    """The badges come from the database: the socket is accepted and the heartbeat joins its groups later."""
    cookie = _cookie(MemberFactory())
    with caplog.at_level(logging.WARNING):
        accepted, _, following = _handshake("/ws/notifications/", cookie)
    assert accepted
    assert following["type"] == "websocket.send"
    assert '"type": "unread"' in following["text"]
    assert _errors_and_tracebacks(caplog) == []


def test_an_unknown_socket_path_with_redis_down_is_still_a_4404_without_a_traceback(redis_down, caplog):
    with caplog.at_level(logging.WARNING):
        accepted, _, following = _handshake("/ws/nowhere/", None)
    assert accepted
    assert following == {"type": "websocket.close", "code": 4404}
    assert _errors_and_tracebacks(caplog) == []
