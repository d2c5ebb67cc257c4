"""The websocket route joins a campaign's group on the real Redis channel layer."""

from __future__ import annotations

import asyncio

import pytest
from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer
from channels.testing import WebsocketCommunicator
from django.conf import settings

from dashboards.groups import campaign_progress_group
from dashboards.rooms import Viewer
from somos_site.asgi import application

pytestmark = pytest.mark.django_db(transaction=True)


async def _receive_until(communicator: WebsocketCommunicator, key: str) -> dict:
    """The next message that carries key, past snapshots the campaign's own changes send."""
    while True:
        message = await communicator.receive_json_from(timeout=5)
        if key in message and "ranking" not in message:
            return message


async def _receive_broadcast(slug: str) -> dict:
    communicator = WebsocketCommunicator(
        application, f"/ws/campaigns/{slug}/progress/", headers=[(b"origin", b"http://localhost")]
    )
    connected, _ = await communicator.connect()
    assert connected
    snapshot = await communicator.receive_json_from(timeout=5)
    assert snapshot["records_total"] == 25 and snapshot["ranking"] == []
    # The campaign's import may still be telling viewers about itself: a viewer gets the
    # latest snapshot only, so let that pass first.
    while not await communicator.receive_nothing(timeout=0.5):
        await communicator.receive_json_from(timeout=1)
    await get_channel_layer().group_send(
        campaign_progress_group(slug),
        {"type": "progress.update", "progress_json": '{"records_completed": 3}'},
    )
    message = await _receive_until(communicator, "records_completed")
    await communicator.disconnect()
    return message


def test_live_progress_reaches_a_viewer_through_redis(arc_campaign):
    assert settings.CHANNEL_LAYERS["default"]["BACKEND"] == "channels_redis.core.RedisChannelLayer"
    assert async_to_sync(_receive_broadcast)(arc_campaign.slug) == {"records_completed": 3}


async def _refused(path: str) -> int:
    communicator = WebsocketCommunicator(
        application, path, headers=[(b"origin", b"http://localhost")]
    )
    connected, code = await communicator.connect()
    assert not connected
    # Let the refused consumer finish inside this loop: closing the loop while it still
    # awaits a database call that runs on the calling thread never returns.
    await communicator.disconnect()
    return code


def test_live_progress_refuses_unknown_campaigns():
    assert async_to_sync(_refused)("/ws/campaigns/no-such-campaign/progress/") == 4403


async def _still_open_after_idle(slug: str, seconds: float) -> bool:
    communicator = WebsocketCommunicator(
        application, f"/ws/campaigns/{slug}/progress/", headers=[(b"origin", b"http://localhost")]
    )
    connected, _ = await communicator.connect()
    assert connected
    await communicator.receive_json_from(timeout=5)
    # Idle for longer than redis-py's default 5 s socket timeout.
    await asyncio.sleep(seconds)
    await get_channel_layer().group_send(
        campaign_progress_group(slug),
        {"type": "progress.update", "progress_json": '{"late": true}'},
    )
    message = await _receive_until(communicator, "late")
    await communicator.disconnect()
    return message == {"late": True}


def test_live_progress_keeps_idle_viewers_connected(arc_campaign):
    assert async_to_sync(_still_open_after_idle)(arc_campaign.slug, 6.5)


async def _sent_to_a_slow_viewer() -> list[str]:
    sent: list[str] = []
    taken = asyncio.Event()

    async def send(text: str) -> None:
        await taken.wait()
        sent.append(text)

    async def close() -> None:
        raise AssertionError("a slow viewer is not hung up on")

    viewer = Viewer(send, close)
    viewer.start()
    viewer.offer("first")
    await asyncio.sleep(0)
    # The socket is still taking the first: the next two wait, and only the latest is kept.
    viewer.offer("second")
    viewer.offer("third")
    taken.set()
    await asyncio.sleep(0.05)
    viewer.stop()
    return sent


def test_live_progress_sends_a_slow_viewer_the_latest_snapshot():
    assert async_to_sync(_sent_to_a_slow_viewer)() == ["first", "third"]
