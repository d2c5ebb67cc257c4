"""A minimal RFC 6455 client for the benches: reads text messages and answers pings, nothing more.

The benches' viewers run on the same two cores as the servers they measure: the `websockets`
package spends about 0.1 ms of CPU on every message it hands over (its protocol machinery and
the compression it offers), this client a fraction of that. It sends the upgrade request a
browser sends (without offering compression), and frames only what a viewer sends: pongs and
the closing frame.
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import hashlib
import os

WS_GUID = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11"


class WebSocketClient:
    """One websocket to one server."""

    def __init__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.reader = reader
        self.writer = writer

    @classmethod
    async def connect(cls, *, host: str, port: int, path: str, origin: str) -> WebSocketClient:
        """Open the connection and complete the upgrade handshake."""
        reader, writer = await asyncio.open_connection(host, port)
        key = base64.b64encode(os.urandom(16)).decode()
        writer.write(
            (
                f"GET {path} HTTP/1.1\r\nHost: {host}:{port}\r\nUpgrade: websocket\r\n"
                f"Connection: Upgrade\r\nSec-WebSocket-Key: {key}\r\n"
                f"Sec-WebSocket-Version: 13\r\nOrigin: {origin}\r\n\r\n"
            ).encode()
        )
        await writer.drain()
        head = (await reader.readuntil(b"\r\n\r\n")).decode("latin-1")
        # RFC 6455 fixes SHA-1 for the accept key; it proves nothing about security.
        digest = hashlib.sha1((key + WS_GUID).encode(), usedforsecurity=False).digest()
        accept = base64.b64encode(digest).decode()
        if not head.startswith("HTTP/1.1 101") or accept not in head:
            writer.close()
            raise RuntimeError(f"websocket refused: {head.splitlines()[0]}")
        return cls(reader, writer)

    async def receive(self) -> str | None:
        """Return the next text message, or None once the server closes."""
        parts: list[bytes] = []
        while True:
            first, second = await self.reader.readexactly(2)
            opcode, length = first & 0x0F, second & 0x7F
            if length >= 126:
                size = 2 if length == 126 else 8
                length = int.from_bytes(await self.reader.readexactly(size), "big")
            mask = await self.reader.readexactly(4) if second & 0x80 else b""
            payload = await self.reader.readexactly(length)
            if mask:
                payload = bytes(byte ^ mask[n % 4] for n, byte in enumerate(payload))
            if opcode == 0x8:
                return None
            if opcode == 0x9:
                await self._send(0xA, payload)
            elif opcode in (0x0, 0x1):
                parts.append(payload)
                if first & 0x80:
                    return b"".join(parts).decode()

    async def _send(self, opcode: int, payload: bytes) -> None:
        # Clients must mask every frame they send.
        mask = os.urandom(4)
        size = len(payload)
        if size < 126:
            header = bytes([0x80 | opcode, 0x80 | size])
        else:
            header = bytes([0x80 | opcode, 0x80 | 126]) + size.to_bytes(2, "big")
        masked = bytes(byte ^ mask[n % 4] for n, byte in enumerate(payload))
        self.writer.write(header + mask + masked)
        await self.writer.drain()

    async def close(self) -> None:
        """Say goodbye and drop the connection."""
        with contextlib.suppress(OSError, ConnectionError):
            await self._send(0x8, (1000).to_bytes(2, "big"))
        self.writer.close()
        with contextlib.suppress(OSError, ConnectionError):
            await self.writer.wait_closed()
