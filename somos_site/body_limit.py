"""Refuse request bodies bigger than any form of the site takes, before Django reads them.

Django's ASGI handler spools a whole body to disk before any view or form can look at its
size, so a hostile client could fill the disk with one request. This middleware answers
413 as soon as the declared length, or the bytes received so far, pass
SOMOS_MAX_REQUEST_BYTES. Forms still check each upload against SOMOS_MAX_UPLOAD_BYTES.
Under /api/ the answer is JSON, as every other answer of the API is.
"""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any

from django.conf import settings
from django.template.defaultfilters import filesizeformat
from django.utils.translation import gettext as _
from django.utils.translation import override

from somos_site.middleware import API_PREFIX, asgi_security_headers

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]


class _BodyTooLarge(Exception):
    pass


class BodySizeLimit:
    """Answer 413 to HTTP requests whose body passes SOMOS_MAX_REQUEST_BYTES."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        limit = settings.SOMOS_MAX_REQUEST_BYTES
        declared = _content_length(scope)
        if declared is not None and declared > limit:
            await _too_large(send, limit, scope=scope)
            return
        received = 0
        started = False

        async def limited_receive() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                # A body without Content-Length (chunked) is counted as it arrives.
                if received > limit:
                    raise _BodyTooLarge
            return message

        async def watched_send(message: Message) -> None:
            nonlocal started
            started = started or message["type"] == "http.response.start"
            await send(message)

        try:
            await self.app(scope, limited_receive, watched_send)
        except _BodyTooLarge:
            if not started:
                await _too_large(send, limit, scope=scope)


def _content_length(scope: Scope) -> int | None:
    for name, value in scope.get("headers", ()):
        if name.lower() == b"content-length":
            try:
                return int(value)
            except ValueError:
                return None
    return None


async def _too_large(send: Send, limit: int, *, scope: Scope) -> None:
    with override(settings.LANGUAGE_CODE):
        text = _("This request is too large: the site takes at most %(limit)s.") % {
            "limit": filesizeformat(limit)
        }
    if scope.get("path", "").startswith(API_PREFIX):
        body = json.dumps({"detail": text, "errors": []}, ensure_ascii=False).encode()
        content_type = b"application/json"
    else:
        body = text.encode()
        content_type = b"text/plain; charset=utf-8"
    await send(
        {
            "type": "http.response.start",
            "status": 413,
            "headers": [
                (b"content-type", content_type),
                (b"content-length", str(len(body)).encode()),
                (b"connection", b"close"),
                # The same headers as every page Django answers.
                *asgi_security_headers(secure=scope.get("scheme") == "https"),
            ],
        }
    )
    await send({"type": "http.response.body", "body": body})
