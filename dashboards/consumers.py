"""Websocket consumers: join and leave groups, forward messages; nothing else."""

from __future__ import annotations

from channels.db import database_sync_to_async
from channels.generic.websocket import AsyncJsonWebsocketConsumer

from campaigns.models import Campaign
from dashboards.groups import campaign_progress_group
from dashboards.selectors import campaign_progress_visible_to, live_snapshot_json

MAX_CLIENT_FRAME = 4096


def _snapshot_json(slug: str) -> str:
    return live_snapshot_json(campaign=Campaign.objects.only("id").get(slug=slug))


class CampaignProgressConsumer(AsyncJsonWebsocketConsumer):
    """Live progress of one campaign, for anyone who may see its dashboard."""

    async def connect(self) -> None:
        slug = self.scope["url_route"]["kwargs"]["slug"]
        if not await database_sync_to_async(campaign_progress_visible_to)(
            slug=slug, user=self.scope.get("user")
        ):
            await self.close(code=4403)
            return
        self.group_name = campaign_progress_group(slug)
        await self.channel_layer.group_add(self.group_name, self.channel_name)
        await self.accept()
        # A viewer who reconnects may have missed broadcasts: start from the current numbers.
        await self.send(text_data=await database_sync_to_async(_snapshot_json)(slug))

    async def disconnect(self, code: int) -> None:
        if hasattr(self, "group_name"):
            await self.channel_layer.group_discard(self.group_name, self.channel_name)

    async def receive(
        self, text_data: str | None = None, bytes_data: bytes | None = None, **kwargs
    ) -> None:
        # Viewers only listen, so frames are never parsed: junk cannot break the consumer.
        # A client that sends big frames anyway is misbehaving: close (1009, too big).
        if len(text_data or "") + len(bytes_data or b"") > MAX_CLIENT_FRAME:
            await self.close(code=1009)

    async def progress_update(self, event: dict) -> None:
        # Broadcasts carry the snapshot as JSON text, serialised once for every viewer.
        await self.send(text_data=event["progress_json"])
