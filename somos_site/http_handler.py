"""Serve Django's HTTP requests from a pool of threads: one hop off the event loop per request.

Django's own ASGI handler runs a site of synchronous middleware and views by hopping between
the event loop and a thread it starts for every request: the request_started signal, the
middleware chain, allauth's async middleware in the middle of it, each process_view, the view
and the request_finished signal each cross over. On a small machine those hops and the thread
cost about as much CPU as a simple view (bench/README.md, "Annotate path"). This handler reads
the body on the loop, then runs the whole request in one pool thread with Django's synchronous
handler, as under WSGI, and sends the answer back on the loop.

Each request runs in a fresh context (contextvars), so nothing a request activates (language,
urlconf) leaks into the next one on the same thread; database connections are thread-local and
go back to the pool at request_finished, which runs in the request's thread as under WSGI.
A client that leaves mid-request does not stop its view, as it did not under Django's handler
for synchronous views. Websockets stay with Channels.
"""

from __future__ import annotations

import asyncio
import contextvars
from concurrent.futures import ThreadPoolExecutor

from asgiref.sync import async_to_sync
from django.conf import settings
from django.core import signals
from django.core.exceptions import RequestAborted
from django.core.handlers import base
from django.core.handlers.asgi import ASGIHandler, get_script_prefix
from django.http import FileResponse, HttpResponseBase
from django.urls import set_script_prefix

# Without a database pool (embedded SQLite) a handful of threads is plenty.
DEFAULT_THREADS = 8


class ThreadedHTTPHandler(ASGIHandler):
    """Django's ASGI handler, with each request served whole in one thread of a pool."""

    def __init__(self) -> None:
        # ASGIHandler.__init__ would build the asynchronous middleware chain.
        base.BaseHandler.__init__(self)
        self.load_middleware(is_async=False)
        self.executor = ThreadPoolExecutor(max_workers=_threads(), thread_name_prefix="somos-http")

    async def __call__(self, scope, receive, send) -> None:
        if scope["type"] != "http":
            raise ValueError(f"Django can only handle ASGI/HTTP connections, not {scope['type']}.")
        try:
            body_file = await self.read_body(receive)
        except RequestAborted:
            return
        try:
            response, chunks = await asyncio.get_running_loop().run_in_executor(
                self.executor, contextvars.Context().run, self._respond, scope, body_file
            )
        finally:
            body_file.close()
        await _send(send, response, chunks)

    def _respond(self, scope, body_file) -> tuple[HttpResponseBase, list[bytes]]:
        """Answer the request in this thread, body read and request finished."""
        set_script_prefix(get_script_prefix(scope))
        signals.request_started.send(sender=self.__class__, scope=scope)
        request, response = self.create_request(scope, body_file)
        if request is not None:
            response = self.get_response(request)
        response._handler_class = self.__class__
        if isinstance(response, FileResponse):
            # As Django's handler does: bigger reads, fewer messages to send.
            response.block_size = self.chunk_size
        try:
            if not response.streaming:
                chunks = [response.content]
            elif response.is_async:
                chunks = async_to_sync(_drain)(response)
            else:
                # As Django's handler does with a synchronous iterator under ASGI.
                chunks = list(response.streaming_content)
        finally:
            # request_finished: this thread's database connection goes back to the pool.
            response.close()
        return response, chunks


async def _drain(response) -> list[bytes]:
    return [part async for part in response]


async def _send(send, response: HttpResponseBase, chunks: list[bytes]) -> None:
    headers = [(name.encode("ascii"), value.encode("latin1")) for name, value in response.items()]
    headers.extend(
        (b"Set-Cookie", cookie.output(header="").encode("ascii").strip())
        for cookie in response.cookies.values()
    )
    await send({"type": "http.response.start", "status": response.status_code, "headers": headers})
    for chunk in chunks[:-1]:
        await send({"type": "http.response.body", "body": chunk, "more_body": True})
    await send({"type": "http.response.body", "body": chunks[-1] if chunks else b""})


def _threads() -> int:
    # As many threads as database connections: a request never waits for one in the pool.
    pool = settings.DATABASES["default"].get("OPTIONS", {}).get("pool")
    if isinstance(pool, dict) and pool.get("max_size"):
        return int(pool["max_size"])
    return DEFAULT_THREADS
