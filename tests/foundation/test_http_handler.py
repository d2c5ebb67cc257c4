"""The site's HTTP handler: each request served whole in one pool thread, nothing left behind."""

from __future__ import annotations

import contextvars

import httpx
import pytest
from asgiref.sync import async_to_sync
from django.db import connection
from django.http import FileResponse, HttpResponse, StreamingHttpResponse
from django.test import override_settings
from django.urls import path

from somos_site import http_handler
from somos_site.http_handler import ThreadedHTTPHandler

pytestmark = pytest.mark.django_db(transaction=True)


_seen: contextvars.ContextVar[str] = contextvars.ContextVar("seen", default="nothing")


def _context(request):
    # What an earlier request on the same thread left in its context, if anything.
    before = _seen.get()
    _seen.set(request.GET.get("leave", "nothing"))
    return HttpResponse(before)


def _connection_open(request):
    connection.ensure_connection()
    return HttpResponse("ok")


def _streamed(request):
    return StreamingHttpResponse(iter([b"uno ", b"dos ", b"tres"]))


async def _parts():
    for part in (b"a", b"b"):
        yield part


def _streamed_async(request):
    return StreamingHttpResponse(_parts())


def _file(request):
    # The response closes the file once sent.
    return FileResponse(open(__file__, "rb"))


urlpatterns = [
    path("context/", _context),
    path("connection/", _connection_open),
    path("streamed/", _streamed),
    path("streamed-async/", _streamed_async),
    path("file/", _file),
]


@pytest.fixture
def one_thread(monkeypatch):
    """A handler with a single pool thread: each request finds what the last one left."""
    monkeypatch.setattr(http_handler, "_threads", lambda: 1)
    return ThreadedHTTPHandler()


async def _get(handler, *urls: str, **headers: str) -> list[httpx.Response]:
    transport = httpx.ASGITransport(app=handler)
    async with httpx.AsyncClient(transport=transport, base_url="http://localhost") as client:
        return [await client.get(url, headers=headers) for url in urls]


def test_http_handler_serves_pages_with_their_headers_and_cookies():
    (page,) = async_to_sync(_get)(ThreadedHTTPHandler(), "/accounts/login/")
    assert page.status_code == 200
    assert "Content-Security-Policy" in page.headers
    assert page.headers["X-Frame-Options"] == "DENY"
    assert "csrftoken" in page.cookies
    assert "<form" in page.text


@override_settings(ROOT_URLCONF=__name__)
def test_http_handler_releases_the_database_connection_after_each_request(one_thread):
    async_to_sync(_get)(one_thread, "/connection/", "/connection/")

    def left_open() -> bool:
        return connection.connection is not None

    # request_finished ran in the request's thread: its connection went back to the pool.
    assert one_thread.executor.submit(left_open).result() is False


@override_settings(ROOT_URLCONF=__name__)
def test_http_handler_runs_each_request_in_a_fresh_context(one_thread):
    # Language, urlconf and the like live in context variables: none outlives its request.
    first, second = async_to_sync(_get)(one_thread, "/context/?leave=en", "/context/")
    assert (first.text, second.text) == ("nothing", "nothing")


@override_settings(ROOT_URLCONF=__name__)
def test_http_handler_sends_streamed_and_file_responses_whole():
    streamed, streamed_async, file = async_to_sync(_get)(
        ThreadedHTTPHandler(), "/streamed/", "/streamed-async/", "/file/"
    )
    assert streamed.content == b"uno dos tres"
    assert streamed_async.content == b"ab"
    with open(__file__, "rb") as source:
        assert file.content == source.read()
