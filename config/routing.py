"""Every websocket route of the project, gathered from the apps."""

from messaging.routing import websocket_urlpatterns as messaging_ws

websocket_urlpatterns = [*messaging_ws]
