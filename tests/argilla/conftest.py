"""A real argilla-server for the Argilla sync tests, and helpers to act in it as its users."""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable

import httpx
import pytest
from allauth.socialaccount.models import SocialAccount

from campaigns.models import Campaign
from somos_site.accounts.models import Profile
from tests.argilla.server.control import ArgillaTestServer
from tests.factories import UserFactory

_SERVER: list[ArgillaTestServer] = []


def pytest_collection_modifyitems(session, config, items):
    # Start the server while the test database is being created; the fixture waits for it.
    if not _SERVER and any("tests/argilla/" in item.nodeid for item in items):
        server = ArgillaTestServer()
        _SERVER.append(server)
        server.launch()


def pytest_unconfigure(config):
    for server in _SERVER:
        server.cleanup()


@pytest.fixture(scope="session")
def argilla_server():
    """One argilla-server and worker for the whole session, always stopped at the end."""
    if not _SERVER:
        _SERVER.append(ArgillaTestServer())
        _SERVER[0].launch()
    server = _SERVER[0]
    try:
        server.wait_ready()
    except Exception:
        server.cleanup()
        raise
    return server


class ArgillaAs:
    """Call Argilla's REST API as one of its users (the test plays Argilla's UI)."""

    def __init__(self, url: str, api_key: str) -> None:
        self.http = httpx.Client(base_url=url, headers={"X-Argilla-Api-Key": api_key}, timeout=30)

    def get(self, path: str, **params) -> dict:
        response = self.http.get(path, params=params)
        response.raise_for_status()
        return response.json()

    def send(self, method: str, path: str, body: dict | None = None) -> dict:
        response = self.http.request(method, path, json=body)
        assert response.status_code < 400, response.text
        return response.json() if response.content else {}

    def records(self, dataset_id) -> list[dict]:
        items, offset = [], 0
        while True:
            page = self.get(
                f"/api/v1/datasets/{dataset_id}/records",
                include="responses,suggestions",
                offset=offset,
                limit=1000,
            )
            items += page["items"]
            offset += len(page["items"])
            if not page["items"] or offset >= page["total"]:
                return items

    def answer(self, record_id, values: dict, status: str = "submitted") -> dict:
        """Answer a record (or change one's answer) the way Argilla's UI does."""
        mine = self.get("/api/v1/me")["id"]
        record = self.get(f"/api/v1/records/{record_id}", include="responses")
        body = {"values": {q: {"value": v} for q, v in values.items()}, "status": status}
        for response in record.get("responses") or []:
            if response["user_id"] == mine:
                return self.send("PUT", f"/api/v1/responses/{response['id']}", body)
        return self.send("POST", f"/api/v1/records/{record_id}/responses", body)


@pytest.fixture
def argilla_owner(argilla_server) -> ArgillaAs:
    return ArgillaAs(argilla_server.url, argilla_server.api_key)


@pytest.fixture
def argilla_on(settings, argilla_server, argilla_owner):
    """Connect Somos to the test server, with webhooks off unless a test turns them on."""
    settings.ARGILLA_API_URL = argilla_server.url
    settings.ARGILLA_API_KEY = argilla_server.api_key
    settings.ARGILLA_WEBHOOK_URL = ""
    yield settings
    # The next test's database forgets this test's webhook secrets: Argilla forgets them too.
    if argilla_server._server is not None:
        for webhook in argilla_owner.get("/api/v1/webhooks")["items"]:
            argilla_owner.send("DELETE", f"/api/v1/webhooks/{webhook['id']}")


@pytest.fixture
def linked_campaign(transactional_db, argilla_on, arc_campaign) -> Campaign:
    """The 25-record ARC campaign, named after a workspace of its own in Argilla."""
    arc_campaign.argilla_workspace = f"ws-{uuid.uuid4().hex[:10]}"
    arc_campaign.argilla_dataset = "arc-es"
    arc_campaign.save(update_fields=["argilla_workspace", "argilla_dataset"])
    return arc_campaign


@pytest.fixture
def annotator(argilla_owner) -> Callable[..., tuple[dict, ArgillaAs]]:
    """Make an Argilla annotator in a workspace; return the user and an API client as them."""

    def make(workspace_id, username: str | None = None) -> tuple[dict, ArgillaAs]:
        username = username or f"ann-{uuid.uuid4().hex[:8]}"
        user = argilla_owner.send(
            "POST",
            "/api/v1/users",
            {"first_name": username, "username": username, "password": "annotator-pass-1"},
        )
        argilla_owner.send(
            "POST", f"/api/v1/workspaces/{workspace_id}/users", {"user_id": user["id"]}
        )
        return user, ArgillaAs(argilla_owner.http.base_url, user["api_key"])

    return make


def hf_volunteer(username: str):
    """A volunteer who signed in with the Hugging Face account `username`."""
    user = UserFactory()
    SocialAccount.objects.create(
        user=user,
        provider="huggingface",
        uid=f"hf-{username}",
        extra_data={"userinfo": {"sub": f"hf-{username}", "preferred_username": username}},
    )
    Profile.objects.update_or_create(user=user, defaults={"huggingface_username": username})
    return user


def wait_for(check: Callable[[], object], timeout: float = 10.0, every: float = 0.05):
    """Poll until check() is truthy; return (value, seconds waited)."""
    start = time.monotonic()
    while True:
        value = check()
        if value:
            return value, time.monotonic() - start
        if time.monotonic() - start > timeout:
            raise AssertionError(f"not true after {timeout} s")
        time.sleep(every)
