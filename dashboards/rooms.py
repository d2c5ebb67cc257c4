"""The live viewers of each campaign in this web process, fed by one listener per campaign.

A broadcast (dashboards/live.py) reaches each web process once through the channel layer, and
the process hands it to its viewers itself: a channel, a receive loop and a dispatch for every
viewer cost four times the CPU of the send itself, and held the event loop that also serves
the process's HTTP answers as long (bench/README.md, "Load mix"). Each viewer has a mailbox of
one: every live message is a whole snapshot, so a viewer too slow to take them all gets the
latest.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable

from channels.layers import get_channel_layer

logger = logging.getLogger(__name__)

# After a failure (Redis restarting), the listener joins the group again this much later.
RETRY_SECONDS = 1.0
# How long a viewer waits for its room to hear the group before it goes on without (Redis down).
JOIN_WAIT_SECONDS = 5.0
# The channel layer drops a group's members a day after they joined (channels_redis's
# group_expiry); a room may outlive that, so it joins again every hour.
REJOIN_SECONDS = 3600.0


class Viewer:
    """One socket's mailbox: the latest snapshot not yet sent, and the task that sends it."""

    def __init__(
        self, send: Callable[[str], Awaitable[None]], close: Callable[[], Awaitable[None]]
    ) -> None:
        self._send = send
        self._close = close
        self._latest: str | None = None
        self._waiting = asyncio.Event()
        self._task: asyncio.Task | None = None

    def offer(self, text: str) -> None:
        """Keep the snapshot for the socket, replacing any it has not taken yet."""
        self._latest = text
        self._waiting.set()

    def start(self) -> None:
        """Start sending what arrives (once the socket has its opening snapshot)."""
        self._task = asyncio.create_task(self._sending())

    def stop(self) -> None:
        """Stop sending: the socket is gone."""
        if self._task is not None:
            self._task.cancel()

    def hang_up(self) -> asyncio.Task:
        """Stop sending and close the socket (its page reconnects and starts afresh)."""
        self.stop()
        return asyncio.create_task(self._close())

    async def _sending(self) -> None:
        while True:
            await self._waiting.wait()
            self._waiting.clear()
            text, self._latest = self._latest, None
            try:
                await self._send(text)
            except Exception:
                # The socket went away under the send: its consumer leaves the room next.
                return


class Room:
    """A campaign's viewers in this process and the listener that feeds them."""

    def __init__(self, group: str) -> None:
        self.group = group
        self.viewers: set[Viewer] = set()
        self.listening = asyncio.Event()
        self.task = asyncio.create_task(self._listen())

    async def _listen(self) -> None:
        layer = get_channel_layer()
        while True:
            channel = None
            try:
                channel = await layer.new_channel()
                await layer.group_add(self.group, channel)
                self.listening.set()
                staying = asyncio.create_task(self._stay(layer, channel))
                try:
                    while True:
                        message = await layer.receive(channel)
                        for viewer in self.viewers:
                            viewer.offer(message["progress_json"])
                finally:
                    staying.cancel()
            except asyncio.CancelledError:
                if channel is not None:
                    with contextlib.suppress(Exception):
                        await layer.group_discard(self.group, channel)
                raise
            except Exception:
                # The group lives in the channel layer (Redis): whatever it sent meanwhile is
                # lost, so the viewers' sockets close rather than go deaf. Their pages
                # reconnect and start from a fresh snapshot; the room listens again for
                # whoever stays or comes.
                logger.warning("live progress listener for %s failed", self.group, exc_info=True)
                self.listening.clear()
                for viewer in list(self.viewers):
                    viewer.hang_up()
                await asyncio.sleep(RETRY_SECONDS)

    async def _stay(self, layer, channel: str) -> None:
        while True:
            await asyncio.sleep(REJOIN_SECONDS)
            try:
                await layer.group_add(self.group, channel)
            except Exception:
                logger.warning("live progress room %s could not rejoin", self.group, exc_info=True)


# Per event loop: a web process has one; tests may run several one after another.
_rooms: dict[tuple[asyncio.AbstractEventLoop, str], Room] = {}


async def room_join(
    group: str, send: Callable[[str], Awaitable[None]], close: Callable[[], Awaitable[None]]
) -> Viewer:
    """Add a viewer to the group's room here, once the room hears the group; start() it later.

    send(text) sends a snapshot on the socket; close() closes it (when the room stops hearing
    the group).
    """
    key = (asyncio.get_running_loop(), group)
    room = _rooms.get(key)
    if room is None:
        # Rooms of a loop that has ended (a test's) can never be left: forget them.
        for ended in [held for held in _rooms if held[0].is_closed()]:
            del _rooms[ended]
        room = _rooms[key] = Room(group)
    viewer = Viewer(send, close)
    room.viewers.add(viewer)
    with contextlib.suppress(TimeoutError):
        await asyncio.wait_for(room.listening.wait(), JOIN_WAIT_SECONDS)
    return viewer


def room_leave(group: str, viewer: Viewer) -> None:
    """Take the viewer out of the group's room; the last one out closes the room."""
    viewer.stop()
    key = (asyncio.get_running_loop(), group)
    room = _rooms.get(key)
    if room is None:
        return
    room.viewers.discard(viewer)
    if not room.viewers:
        room.task.cancel()
        del _rooms[key]


def room_size(group: str) -> int:
    """Count the group's viewers held by this process."""
    room = _rooms.get((asyncio.get_running_loop(), group))
    return len(room.viewers) if room is not None else 0
