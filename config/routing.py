"""Every websocket route of the project, gathered from the apps, then the 4404 catch-all."""

from django.urls import re_path

from core.consumers import NotFoundConsumer
from inbox.routing import websocket_urlpatterns as inbox_ws
from messaging.routing import websocket_urlpatterns as messaging_ws
from realtime.routing import websocket_urlpatterns as realtime_ws

websocket_urlpatterns = [*realtime_ws, *messaging_ws, *inbox_ws, re_path(r"", NotFoundConsumer.as_asgi())]
