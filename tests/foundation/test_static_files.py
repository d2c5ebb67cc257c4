"""Collected static files are answered before Django, with WhiteNoise's headers and the site's."""

from __future__ import annotations

import pytest
from asgiref.sync import async_to_sync

from somos_site.static_files import StaticFiles

STYLESHEET = b"body { color: #1d2433; }\n" * 100


class _Django:
    """Stands for the rest of the site: says which requests reached it."""

    def __init__(self) -> None:
        self.paths: list[str] = []

    async def __call__(self, scope, receive, send) -> None:
        self.paths.append(scope["path"])
        await send({"type": "http.response.start", "status": 404, "headers": []})
        await send({"type": "http.response.body", "body": b""})


@pytest.fixture
def collected(settings, tmp_path):
    (tmp_path / "somos").mkdir()
    (tmp_path / "somos" / "somos.css").write_bytes(STYLESHEET)
    settings.STATIC_ROOT = tmp_path
    django = _Django()
    return django, StaticFiles(django)


async def _get(app, path: str, *, method: str = "GET", scheme: str = "http", headers=()):
    sent = []

    async def receive():
        return {"type": "http.request", "body": b"", "more_body": False}

    async def send(message):
        sent.append(message)

    scope = {"type": "http", "method": method, "path": path, "scheme": scheme}
    await app({**scope, "headers": list(headers)}, receive, send)
    headers = {name.decode(): value.decode() for name, value in sent[0].get("headers", [])}
    body = b"".join(message.get("body", b"") for message in sent[1:])
    return sent[0]["status"], headers, body


def test_static_files_answers_a_collected_file_before_django(collected):
    django, static = collected
    status, headers, body = async_to_sync(_get)(static, "/static/somos/somos.css")
    assert (status, body) == (200, STYLESHEET)
    assert headers["content-type"].startswith("text/css")
    assert headers["content-length"] == str(len(STYLESHEET))
    assert "max-age" in headers["cache-control"] and headers["etag"]
    # The headers every answer of the site carries.
    assert headers["x-content-type-options"] == "nosniff"
    assert headers["referrer-policy"] == "same-origin"
    assert headers["x-frame-options"] == "DENY"
    assert django.paths == []


def test_static_files_answers_not_modified_and_head_without_a_body(collected):
    _django, static = collected
    _status, headers, _body = async_to_sync(_get)(static, "/static/somos/somos.css")
    etag = (b"if-none-match", headers["etag"].encode())
    assert async_to_sync(_get)(static, "/static/somos/somos.css", headers=[etag])[0] == 304
    status, headers, body = async_to_sync(_get)(static, "/static/somos/somos.css", method="HEAD")
    assert (status, body) == (200, b"")
    assert headers["content-length"] == str(len(STYLESHEET))


def test_static_files_passes_everything_else_to_django(collected):
    django, static = collected
    for path in ("/static/somos/missing.css", "/", "/campaigns/arc/"):
        assert async_to_sync(_get)(static, path)[0] == 404
    assert django.paths == ["/static/somos/missing.css", "/", "/campaigns/arc/"]


def test_static_files_leaves_plain_http_to_the_https_redirect(collected, settings):
    django, static = collected
    settings.SECURE_SSL_REDIRECT = True
    settings.SECURE_HSTS_SECONDS = 3600
    async_to_sync(_get)(static, "/static/somos/somos.css")
    assert django.paths == ["/static/somos/somos.css"]
    status, headers, _body = async_to_sync(_get)(static, "/static/somos/somos.css", scheme="https")
    assert status == 200
    assert headers["strict-transport-security"].startswith("max-age=3600")
