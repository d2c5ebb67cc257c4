"""ASGI entry point: HTTP through Django, websockets through Channels."""

from __future__ import annotations

import gc
import os

import django

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "somos_site.settings")
# Django must be set up before the routing imports models and consumers.
django.setup(set_prefix=False)

from somos_site.http_handler import ThreadedHTTPHandler  # noqa: E402

# HTTP through Django's synchronous handler, one pool thread per request (http_handler.py).
django_asgi_app = ThreadedHTTPHandler()

from channels.auth import AuthMiddlewareStack  # noqa: E402
from channels.routing import ProtocolTypeRouter, URLRouter  # noqa: E402
from channels.security.websocket import AllowedHostsOriginValidator  # noqa: E402

from dashboards.routing import websocket_urlpatterns  # noqa: E402
from somos_site.body_limit import BodySizeLimit  # noqa: E402
from somos_site.static_files import StaticFiles  # noqa: E402

application = ProtocolTypeRouter(
    {
        # Static files are answered before Django (static_files.py).
        "http": BodySizeLimit(StaticFiles(django_asgi_app)),
        "websocket": AllowedHostsOriginValidator(
            AuthMiddlewareStack(URLRouter(websocket_urlpatterns))
        ),
    }
)

# Everything imported so far lives as long as the process: moving it out of the collector's
# reach keeps garbage collection pauses short on every request (measured in bench/).
gc.freeze()
