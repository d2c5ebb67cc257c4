"""Websocket consumers: join and leave rooms, forward messages; nothing else."""

from __future__ import annotations

from channels.db import database_sync_to_async
from channels.generic.websocket import AsyncJsonWebsocketConsumer

from campaigns.models import Campaign
from dashboards.groups import campaign_progress_group
from dashboards.rooms import room_join, room_leave
from dashboards.selectors import campaign_progress_visible_to, live_snapshot_json

MAX_CLIENT_FRAME = 4096


def _snapshot_json(slug: str) -> str:
    return live_snapshot_json(campaign=Campaign.objects.only("id").get(slug=slug))


class CampaignProgressConsumer(AsyncJsonWebsocketConsumer):
    """Live progress of one campaign, for anyone who may see its dashboard."""

    # No channel of its own: the campaign's room in this process feeds it (dashboards/rooms.py).
    channel_layer_alias = None

    async def connect(self) -> None:
        slug = self.scope["url_route"]["kwargs"]["slug"]
        if not await database_sync_to_async(campaign_progress_visible_to)(
            slug=slug, user=self.scope.get("user")
        ):
            await self.close(code=4403)
            return
        self.group_name = campaign_progress_group(slug)
        self.viewer = await room_join(self.group_name, self._forward, self._hang_up)
        await self.accept()
        # A viewer who reconnects may have missed broadcasts: start from the current numbers.
        await self.send(text_data=await database_sync_to_async(_snapshot_json)(slug))
        self.viewer.start()

    async def disconnect(self, code: int) -> None:
        if hasattr(self, "viewer"):
            room_leave(self.group_name, self.viewer)

    async def receive(
        self, text_data: str | None = None, bytes_data: bytes | None = None, **kwargs
    ) -> None:
        # Viewers only listen, so frames are never parsed: junk cannot break the consumer.
        # A client that sends big frames anyway is misbehaving: close (1009, too big).
        if len(text_data or "") + len(bytes_data or b"") > MAX_CLIENT_FRAME:
            await self.close(code=1009)

    async def _hang_up(self) -> None:
        # 1011: the server could not go on (its channel layer went away); the page retries.
        await self.close(code=1011)

    async def _forward(self, progress_json: str) -> None:
        # Broadcasts carry the snapshot as JSON text, serialised once for every viewer.
        await self.send(text_data=progress_json)
