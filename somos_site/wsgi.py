"""WSGI entry point (management tools only; the site is served by the ASGI app)."""

from __future__ import annotations

import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "somos_site.settings")

application = get_wsgi_application()
