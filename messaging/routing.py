from django.urls import path

from . import consumers

websocket_urlpatterns = [
    path("ws/notifications/", consumers.NotificationsConsumer.as_asgi()),
    path("ws/messages/<int:thread_id>/", consumers.ThreadConsumer.as_asgi()),
]
