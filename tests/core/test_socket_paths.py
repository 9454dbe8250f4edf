"""Websocket paths that match no route: closed with 4404 by the catch-all, not a 500 handshake (issue 8, #4)."""

from __future__ import annotations

import pytest
from asgiref.sync import sync_to_async
from channels.testing import WebsocketCommunicator
from django.test import Client

from accounts.models import User
from config.asgi import application
from tests.messaging.factories import make_member

pytestmark = [pytest.mark.django_db(transaction=True)]


@pytest.mark.parametrize(
    "path", ["/ws/messages/-1/", "/ws/messages/abc/", "/ws/messages/1", "/ws/nothing/", "/", "/ws/messages/%00/"]
)
async def test_a_socket_path_that_does_not_parse_is_closed_4404(path):
    user = await sync_to_async(make_member)()
    cookie = await sync_to_async(_session_cookie)(user)
    headers = [(b"origin", b"http://testserver"), (b"host", b"testserver"), (b"cookie", cookie)]
    communicator = WebsocketCommunicator(application, path, headers=headers)
    connected, _ = await communicator.connect(timeout=3)
    assert connected
    assert await communicator.receive_output(3) == {"type": "websocket.close", "code": 4404}
    await communicator.disconnect()


def _session_cookie(user: User) -> bytes:
    from django.conf import settings

    client = Client()
    client.force_login(user)
    return f"{settings.SESSION_COOKIE_NAME}={client.cookies[settings.SESSION_COOKIE_NAME].value}".encode()
