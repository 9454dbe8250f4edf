"""Every websocket route of the project, gathered from the apps."""

from messaging.routing import websocket_urlpatterns as messaging_ws
from realtime.routing import websocket_urlpatterns as realtime_ws

websocket_urlpatterns = [*realtime_ws, *messaging_ws]
