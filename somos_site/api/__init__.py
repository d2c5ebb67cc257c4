"""The token API under /api/v1/ (django-ninja), described by its OpenAPI document.

Wiring, like somos_site/urls.py: it may import every app and nothing imports it. Each route
checks the same rules as the web pages (campaigns.access) and calls the same services and
selectors; `v1` puts the routes together with the bearer-token authentication (`auth`) and the
JSON error answers (`errors`).
"""
