"""Smoke test of the embedded default: SQLite, in-memory channel layer, Celery in process."""

from __future__ import annotations

import pytest
from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer
from channels.testing import WebsocketCommunicator
from django.conf import settings
from django.core.management import call_command
from django.db import connection
from django.urls import reverse

from campaigns.models import Campaign
from dashboards.groups import campaign_progress_group
from somos_site.asgi import application
from somos_site.celery import app as celery_app
from tests.annotation.test_import_resettles import (
    import_that_changes_settled_texts_settles_them_again,
)

pytestmark = pytest.mark.django_db(transaction=True)


def test_embedded_runs_on_sqlite_memory_layer_and_eager_celery():
    assert connection.vendor == "sqlite"
    assert settings.CHANNEL_LAYERS["default"]["BACKEND"] == "channels.layers.InMemoryChannelLayer"
    assert celery_app.conf.task_always_eager is True


def test_embedded_demo_serves_the_home_page(client):
    call_command("demo")
    call_command("demo")
    page = client.get(reverse("home")).content.decode()
    assert "ARC-Challenge en español" in page
    assert "0 de 25 registros completados" in page
    assert Campaign.objects.filter(status=Campaign.Status.ACTIVE).count() == 3


async def _live_message(slug: str) -> dict:
    communicator = WebsocketCommunicator(
        application, f"/ws/campaigns/{slug}/progress/", headers=[(b"origin", b"http://localhost")]
    )
    connected, _ = await communicator.connect()
    assert connected
    assert (await communicator.receive_json_from(timeout=5))["records_total"] == 25
    await get_channel_layer().group_send(
        campaign_progress_group(slug), {"type": "progress.update", "progress_json": '{"ok": true}'}
    )
    message = await communicator.receive_json_from(timeout=5)
    await communicator.disconnect()
    return message


def test_embedded_live_updates_through_the_memory_layer():
    call_command("demo")
    assert async_to_sync(_live_message)("arc-c-es-demo") == {"ok": True}


def test_embedded_import_settles_retexted_records_again(tmp_path):
    # The batched upsert that SQLite uses finds changed texts in Python, not in SQL.
    import_that_changes_settled_texts_settles_them_again(tmp_path)
