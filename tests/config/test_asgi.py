import pytest
from channels.testing import WebsocketCommunicator

from config.asgi import application

pytestmark = pytest.mark.django_db(transaction=True)


async def test_websocket_from_foreign_origin_is_rejected():
    communicator = WebsocketCommunicator(
        application, "/ws/notifications/", headers=[(b"origin", b"https://evil.example"), (b"host", b"127.0.0.1")]
    )
    connected, _ = await communicator.connect()
    assert not connected
    await communicator.disconnect()
