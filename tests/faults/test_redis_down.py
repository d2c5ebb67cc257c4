"""Redis down: pages keep working on PostgreSQL alone, and live updates resume once it is back."""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import json
import re
import time
from dataclasses import dataclass
from urllib.parse import quote

import httpx
import pytest
from django.conf import settings
from django.db import connection
from websockets.asyncio.client import connect
from websockets.exceptions import WebSocketException

from annotation.models import Response
from campaigns.models import Campaign
from tests.faults.servers import SomosServer, free_port, somos_environment
from tests.faults.world import world_build

pytestmark = [pytest.mark.faults, pytest.mark.django_db(transaction=True)]

_RECORD = re.compile(r'<form method="post" action="(/campaigns/[^/]+/annotate/\d+/)"')
_CSRF = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')
_SHOWN_AT = re.compile(r'name="shown_at" value="([^"]+)"')
# Like the dashboard's JavaScript: try again after 1 s, doubling up to 30 s.
RECONNECT_FIRST_S = 1.0
RECONNECT_MAX_S = 30.0
LIVE_TIMEOUT_S = 30.0
# Each test has a campaign of its own: the server remembers campaigns by slug for a while.
_campaigns = itertools.count(1)


@pytest.fixture(scope="module")
def redis_down_site(django_db_setup, private_redis):
    """Somos under uvicorn on the test database and the private Redis, linked to Argilla.

    The Argilla address leads nowhere, and nothing needs it to: a linked campaign only
    makes each submit hand a push to Celery, whose broker is the Redis that goes down.
    """
    database = connection.settings_dict
    password = f":{quote(database['PASSWORD'], safe='')}" if database["PASSWORD"] else ""
    server = SomosServer(
        somos_environment(
            database_url=(
                f"postgres://{quote(database['USER'], safe='')}{password}"
                f"@{database['HOST'] or '127.0.0.1'}:{database['PORT'] or 5432}/{database['NAME']}"
            ),
            redis_url=private_redis.url,
            # Sessions the test writes are signed with its key.
            SECRET_KEY=settings.SECRET_KEY,
            ARGILLA_API_URL=f"http://127.0.0.1:{free_port()}",
            ARGILLA_API_KEY="faults-argilla-key",
        )
    )
    try:
        server.start()
        yield server
    finally:
        server.cleanup()


@dataclass
class Volunteer:
    client: httpx.Client
    slug: str
    server: SomosServer
    acknowledged: int = 0

    def submit(self) -> httpx.Response:
        """Open the next record and submit an answer to it."""
        page = self.client.get(f"/campaigns/{self.slug}/annotate/")
        assert page.status_code == 200, self.server.log_tail()
        form = _RECORD.search(page.text)
        assert form is not None, "no record to answer"
        answer = self.client.post(
            form[1],
            data={
                "csrfmiddlewaretoken": _CSRF.search(page.text)[1],
                "shown_at": _SHOWN_AT.search(page.text)[1],
                "verdict": "correct",
                "action": "submit",
            },
        )
        self.acknowledged += answer.status_code == 302
        return answer

    def submitted(self) -> int:
        """Count the campaign's submitted answers in the database."""
        return Response.objects.filter(
            campaign__slug=self.slug, status=Response.Status.SUBMITTED
        ).count()


@pytest.fixture
def volunteer(redis_down_site, private_redis):
    """A signed-in volunteer's browser on a linked campaign; Redis running again afterwards."""
    world = world_build(volunteers=1, slug=f"redis-down-{next(_campaigns)}")
    Campaign.objects.filter(slug=world["slug"]).update(
        argilla_workspace="faults", argilla_dataset="faults-dataset"
    )
    (session_key,) = world["sessions"].values()
    client = httpx.Client(
        base_url=redis_down_site.url,
        cookies={settings.SESSION_COOKIE_NAME: session_key},
        timeout=30,
    )
    try:
        yield Volunteer(client, world["slug"], redis_down_site)
    finally:
        client.close()
        if not private_redis.running:
            private_redis.start()


def test_redis_down_pages_and_submits_keep_working(volunteer, redis_down_site, private_redis):
    assert volunteer.submit().status_code == 302
    private_redis.stop()

    started = time.monotonic()
    home = volunteer.client.get("/")
    dashboard = volunteer.client.get(f"/campaigns/{volunteer.slug}/dashboard/")
    answer = volunteer.submit()
    progress = volunteer.client.get(f"/api/campaigns/{volunteer.slug}/progress")
    elapsed = time.monotonic() - started
    log = redis_down_site.log_tail()

    assert home.status_code == 200, log
    assert dashboard.status_code == 200, log
    assert answer.status_code == 302, log
    assert answer.headers["location"] == f"/campaigns/{volunteer.slug}/annotate/"
    assert volunteer.submitted() == 2
    # The answer's push to Argilla could not be queued; the periodic reconciliation sends it.
    assert "could not send response" in redis_down_site.log_text()
    assert progress.status_code == 200, log
    assert progress.json()["responses_submitted"] == 2
    # Failing soft means failing fast: no page waits on Redis's timeouts.
    assert elapsed < 10, f"five requests took {elapsed:.1f} s with Redis down"


async def _viewer(url: str, inbox: asyncio.Queue) -> None:
    """Watch the live dashboard as live.js does: on any close, connect again with back-off.

    Each message goes to the inbox as ("snapshot", progress) when it is the one a fresh
    connection starts with, else as ("update", progress): a broadcast.
    """
    origin = url.replace("ws://", "http://").split("/ws/")[0]
    delay = RECONNECT_FIRST_S
    while True:
        opened = False
        try:
            async with connect(url, origin=origin, open_timeout=10) as socket:
                opened = True
                delay = RECONNECT_FIRST_S
                kind = "snapshot"
                async for text in socket:
                    await inbox.put((kind, json.loads(text)))
                    kind = "update"
        except (OSError, TimeoutError, WebSocketException) as error:
            if not opened:
                await inbox.put(("refused", {"error": repr(error)}))
        if opened:
            await inbox.put(("closed", {}))
        await asyncio.sleep(delay)
        delay = min(delay * 2, RECONNECT_MAX_S)


async def _wait_for(inbox: asyncio.Queue, seen: list, kind: str, seconds: float) -> dict:
    """Return the next inbox message of this kind, keeping every message in `seen`."""
    deadline = time.monotonic() + seconds
    while True:
        got, progress = await asyncio.wait_for(inbox.get(), deadline - time.monotonic())
        seen.append((got, progress.get("responses_submitted", progress.get("error"))))
        if got == kind:
            return progress


async def _submit_until_heard(volunteer: Volunteer, inbox: asyncio.Queue, seen: list) -> dict:
    """Submit answers, as on a busy campaign, until the viewer hears of one by broadcast.

    A broadcast, not the snapshot a new connection starts with. For a few seconds after
    an outage the server's cache still holds off Redis, and answers go unannounced.
    """
    started = time.monotonic()
    while True:
        assert (await asyncio.to_thread(volunteer.submit)).status_code == 302
        try:
            return await _wait_for(inbox, seen, "update", 2)
        except TimeoutError:
            if time.monotonic() - started > LIVE_TIMEOUT_S:
                raise


def test_redis_down_live_updates_resume_after_redis_returns(
    volunteer, redis_down_site, private_redis
):
    host = redis_down_site.url.replace("http://", "ws://")
    url = f"{host}/ws/campaigns/{volunteer.slug}/progress/"
    seen: list[tuple[str, int | None]] = []

    async def scenario() -> tuple[int, dict, float]:
        inbox: asyncio.Queue = asyncio.Queue()
        viewer = asyncio.create_task(_viewer(url, inbox))
        try:
            assert (await _wait_for(inbox, seen, "snapshot", 15))["responses_submitted"] == 0
            await _submit_until_heard(volunteer, inbox, seen)
            await asyncio.to_thread(private_redis.stop)
            # The viewer's group lived in Redis: its socket closes rather than go deaf.
            await _wait_for(inbox, seen, "closed", 15)
            assert (await asyncio.to_thread(volunteer.submit)).status_code == 302
            await asyncio.sleep(2)
            await asyncio.to_thread(private_redis.start)
            back, answered_before = time.monotonic(), volunteer.acknowledged
            resumed = await _submit_until_heard(volunteer, inbox, seen)
            return answered_before, resumed, time.monotonic() - back
        finally:
            viewer.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await viewer

    try:
        answered_before, resumed, after = asyncio.run(scenario())
    except TimeoutError:
        pytest.fail(f"the viewer waited in vain; it saw {seen}\n{redis_down_site.log_tail()}")
    assert [kind for kind, _count in seen].count("snapshot") >= 2, "the viewer never reconnected"
    # The broadcast counts an answer given after Redis returned, and every answer is stored.
    assert answered_before < resumed["responses_submitted"] <= volunteer.acknowledged, seen
    assert volunteer.submitted() == volunteer.acknowledged
    print(f"live updates resumed {after:.1f} s after Redis returned; messages {seen}")
