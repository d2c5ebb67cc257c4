"""Fixtures shared by the test modules (builders live in tests/factories.py)."""

from __future__ import annotations

import pytest
from channels.layers import channel_layers
from django.core.cache import cache
from django.utils import translation

from campaigns.models import Campaign
from guides.services import guide_version_publish
from somos_site.cache import forget_local_copies
from tests.factories import UserFactory, arc_campaign_build


@pytest.fixture(autouse=True)
def _fresh_cache():
    """Start every test with an empty cache: ids repeat across test databases.

    And a fresh channel layer: each async test runs on an event loop of its own, and a
    layer that a previous loop left receiving (a live room's listener) refuses another.
    """
    cache.clear()
    forget_local_copies()
    channel_layers.backends.clear()


@pytest.fixture
def language_restored():
    """Put the thread's language back after requests sent with another Accept-Language.

    LocaleMiddleware activates each request's language in the thread and leaves it there.
    """
    with translation.override(None):
        yield


@pytest.fixture
def volunteer():
    return UserFactory()


@pytest.fixture
def organizer():
    return UserFactory()


@pytest.fixture
def arc_campaign(organizer) -> Campaign:
    """An active campaign with the 25 shipped ARC-Challenge records."""
    return arc_campaign_build(slug="arc-test", name="ARC test", organizers=[organizer])


@pytest.fixture
def guide(arc_campaign, organizer):
    """The ARC campaign's guide with one published version."""
    guide = arc_campaign.guide
    guide_version_publish(guide=guide, body="## Reglas\n\nUna.", user=organizer)
    return guide


@pytest.fixture
def progress_frames():
    """Split what a command drew on stderr into its progress frames, distinct and in order.

    A bar redraws itself after a carriage return on a terminal and in a file alike.
    """

    def frames(stderr: str) -> list[str]:
        return list(
            dict.fromkeys(f.strip() for f in stderr.replace("\r", "\n").split("\n") if f.strip())
        )

    return frames
