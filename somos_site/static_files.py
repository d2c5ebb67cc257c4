"""Serve the static files before Django: on the event loop, from WhiteNoise's own index.

WhiteNoise's middleware stands near the top of Django's stack, but a stylesheet still went
through the handler's thread pool, the request signals and the middleware above it, queued
behind whatever pages and answers the pool was busy with. Under ASGI this layer answers first,
with WhiteNoise's files and headers (caching, compressed variants, ranges, 304s) plus the
headers every answer of the site carries; every other request goes on to Django. With
autorefresh (DEBUG) files are looked up per request through the finders, which is left to the
middleware; it also still serves WSGI and the test client.
"""

from __future__ import annotations

from django.conf import settings
from whitenoise.middleware import WhiteNoiseMiddleware

from somos_site.body_limit import ASGIApp, Receive, Scope, Send
from somos_site.middleware import asgi_security_headers

CHUNK_BYTES = 64 * 1024


class StaticFiles:
    """Answer requests for collected static files; pass everything else to the app."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app
        whitenoise = WhiteNoiseMiddleware()
        self.files = {} if whitenoise.autorefresh else whitenoise.files
        self.prefix = whitenoise.static_prefix

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and scope["path"].startswith(self.prefix):
            static_file = self.files.get(scope["path"])
            if static_file is not None and not _redirected_to_https(scope):
                await _serve(static_file, scope, send)
                return
        await self.app(scope, receive, send)


def _redirected_to_https(scope: Scope) -> bool:
    # SecurityMiddleware sends plain-HTTP requests to HTTPS, static files too: let it.
    return settings.SECURE_SSL_REDIRECT and not _secure(scope)


def _secure(scope: Scope) -> bool:
    proxy_header = settings.SECURE_PROXY_SSL_HEADER
    if proxy_header:
        name, value = proxy_header
        wanted = name.removeprefix("HTTP_").lower().replace("_", "-").encode("latin-1")
        for header, given in scope["headers"]:
            if header.lower() == wanted:
                return given.decode("latin-1").split(",", 1)[0].strip() == value
    return scope.get("scheme") == "https"


async def _serve(static_file, scope: Scope, send: Send) -> None:
    request_headers = {
        "HTTP_" + name.decode("latin-1").upper().replace("-", "_"): value.decode("latin-1")
        for name, value in scope["headers"]
    }
    response = static_file.get_response(scope["method"], request_headers)
    headers = [
        (name.lower().encode("latin-1"), value.encode("latin-1"))
        for name, value in response.headers
    ]
    headers += asgi_security_headers(secure=_secure(scope))
    await send({"type": "http.response.start", "status": int(response.status), "headers": headers})
    if response.file is None:
        await send({"type": "http.response.body", "body": b""})
        return
    with response.file as file:
        while chunk := file.read(CHUNK_BYTES):
            await send({"type": "http.response.body", "body": chunk, "more_body": True})
    await send({"type": "http.response.body", "body": b""})
