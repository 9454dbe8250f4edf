"""ASGI entry point: HTTP through Django, websockets through Channels (origin + auth checked)."""

import os

from django.core.asgi import get_asgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
django_asgi_app = get_asgi_application()

from channels.routing import ProtocolTypeRouter, URLRouter  # noqa: E402
from channels.security.websocket import AllowedHostsOriginValidator  # noqa: E402
from django.conf import settings  # noqa: E402

from config.checks import raise_on_startup_errors  # noqa: E402
from config.routing import websocket_urlpatterns  # noqa: E402
from core.daphne import use_unparsed_form_bodies  # noqa: E402
from core.outages import SocketOutageGuard  # noqa: E402
from realtime.auth import SocketAuthMiddlewareStack  # noqa: E402

# daphne runs no system checks of its own: refuse to serve a misconfigured production.
raise_on_startup_errors()
# Multipart bodies go to Django untouched (Twisted's own parse answered some with a bare 400).
use_unparsed_form_bodies()

application = ProtocolTypeRouter(
    {
        "http": django_asgi_app,
        # Outages close sockets with 4503 (never a 500); session and user are one read on the socket pool.
        "websocket": SocketOutageGuard(
            AllowedHostsOriginValidator(SocketAuthMiddlewareStack(URLRouter(websocket_urlpatterns)))
        ),
    }
)

if settings.CLUBROOM_EMBEDDED_SCHEDULER:
    from config import scheduler

    scheduler.start()
