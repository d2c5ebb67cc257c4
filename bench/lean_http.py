"""A small HTTP/1.1 client for the benches: one keep-alive connection, cookies, nothing else.

The benches run their clients on the same two cores as the servers they measure, so every
millisecond a client spends is taken from the server: httpx spends 3-4 ms of CPU on each
request (its layers of transports, header models and cookie jar), this client a few hundred
microseconds. It does what the benches' browsers need and no more: GET and form POST on one
persistent connection, the cookies the server sets sent back, Content-Length or chunked bodies.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
from urllib.parse import urlencode, urlsplit


class LeanHTTPError(Exception):
    """The request could not be made or its answer read (time out, connection lost)."""


class Answer:
    """An HTTP answer: status, headers (lower-case names; Set-Cookie kept as a list), body."""

    __slots__ = ("content", "cookies_set", "headers", "status_code")

    def __init__(
        self, status_code: int, headers: dict[str, str], cookies_set: list[str], content: bytes
    ) -> None:
        self.status_code = status_code
        self.headers = headers
        self.cookies_set = cookies_set
        self.content = content

    @property
    def text(self) -> str:
        return self.content.decode("utf-8", "replace")

    def json(self) -> object:
        return json.loads(self.content)


class LeanClient:
    """One browser's connection to one server: keep-alive, cookie jar, a time limit."""

    def __init__(
        self, base_url: str, *, cookies: dict[str, str] | None = None, timeout: float = 30
    ) -> None:
        parts = urlsplit(base_url)
        self.host = parts.hostname or "127.0.0.1"
        self.port = parts.port or 80
        self.authority = parts.netloc
        self.cookies = dict(cookies or {})
        self.timeout = timeout
        self._reader: asyncio.StreamReader | None = None
        self._writer: asyncio.StreamWriter | None = None

    async def __aenter__(self) -> LeanClient:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.aclose()

    async def aclose(self) -> None:
        writer, self._reader, self._writer = self._writer, None, None
        if writer is not None:
            writer.close()
            with contextlib.suppress(OSError):
                await writer.wait_closed()

    async def get(self, path: str, *, headers: dict[str, str] | None = None) -> Answer:
        return await self.request("GET", path, headers=headers)

    async def post(
        self,
        path: str,
        *,
        data: dict[str, str] | None = None,
        headers: dict[str, str] | None = None,
    ) -> Answer:
        body = urlencode(data or {}).encode()
        extra = {"Content-Type": "application/x-www-form-urlencoded", **(headers or {})}
        return await self.request("POST", path, headers=extra, body=body)

    async def request(
        self, method: str, path: str, *, headers: dict[str, str] | None = None, body: bytes = b""
    ) -> Answer:
        lines = [f"{method} {path} HTTP/1.1", f"Host: {self.authority}"]
        if self.cookies:
            lines.append("Cookie: " + "; ".join(f"{k}={v}" for k, v in self.cookies.items()))
        if body or method == "POST":
            lines.append(f"Content-Length: {len(body)}")
        lines.extend(f"{name}: {value}" for name, value in (headers or {}).items())
        message = ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1") + body
        try:
            async with asyncio.timeout(self.timeout):
                answer = await self._exchange(message)
        except (OSError, asyncio.IncompleteReadError, asyncio.LimitOverrunError) as error:
            await self.aclose()
            raise LeanHTTPError(f"{method} {path}: {type(error).__name__} {error}") from error
        except TimeoutError as error:
            await self.aclose()
            raise LeanHTTPError(f"{method} {path}: no answer within {self.timeout} s") from error
        for cookie in answer.cookies_set:
            name, _, rest = cookie.partition("=")
            value = rest.split(";", 1)[0]
            if "max-age=0" in rest.lower() or not value.strip('"'):
                self.cookies.pop(name.strip(), None)
            else:
                self.cookies[name.strip()] = value
        return answer

    async def _exchange(self, message: bytes) -> Answer:
        reused = self._writer is not None
        if not reused:
            await self._connect()
        try:
            self._writer.write(message)
            return await self._answer_read()
        except (ConnectionError, asyncio.IncompleteReadError) as error:
            # A kept-alive connection the server had closed before reading the request: the
            # request was not taken, so it goes again once on a fresh connection.
            if not reused or (isinstance(error, asyncio.IncompleteReadError) and error.partial):
                raise
            await self.aclose()
            await self._connect()
            self._writer.write(message)
            return await self._answer_read()

    async def _connect(self) -> None:
        self._reader, self._writer = await asyncio.open_connection(self.host, self.port)

    async def _answer_read(self) -> Answer:
        reader = self._reader
        head = await reader.readuntil(b"\r\n\r\n")
        status_line, *header_lines = head[:-4].decode("latin-1").split("\r\n")
        status = int(status_line.split(" ", 2)[1])
        headers: dict[str, str] = {}
        cookies_set: list[str] = []
        for line in header_lines:
            name, _, value = line.partition(":")
            name, value = name.strip().lower(), value.strip()
            if name == "set-cookie":
                cookies_set.append(value)
            else:
                headers[name] = value
        if status in (204, 304) or status < 200:
            content = b""
        elif "content-length" in headers:
            content = await reader.readexactly(int(headers["content-length"]))
        elif headers.get("transfer-encoding", "").lower() == "chunked":
            content = await self._chunks_read()
        else:
            content = await reader.read()
            await self.aclose()
        if headers.get("connection", "").lower() == "close":
            await self.aclose()
        return Answer(status, headers, cookies_set, content)

    async def _chunks_read(self) -> bytes:
        reader = self._reader
        parts = []
        while True:
            size = int((await reader.readuntil(b"\r\n"))[:-2].split(b";", 1)[0], 16)
            if size == 0:
                # Trailers, if any, end with an empty line.
                while await reader.readuntil(b"\r\n") != b"\r\n":
                    pass
                return b"".join(parts)
            parts.append(await reader.readexactly(size))
            await reader.readexactly(2)
