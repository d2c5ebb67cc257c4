"""The cache helper: values kept here and in Redis, forgotten when a change commits, not before."""

from __future__ import annotations

import pytest
from django.core.cache import cache

from campaigns.selectors import active_campaign, campaign_questions
from guides.selectors import current_version_of
from guides.services import guide_version_publish
from somos_site.cache import cached, forget, forget_local_copies

pytestmark = pytest.mark.django_db


def test_cached_builds_once_and_remembers_none():
    built = []

    def build():
        built.append(1)

    assert cached("test:none", build, timeout=60) is None
    assert cached("test:none", build, timeout=60) is None
    forget_local_copies()
    assert cached("test:none", build, timeout=60) is None
    assert built == [1]


def test_cached_local_only_values_never_reach_redis():
    assert cached("test:local", lambda: "secret", timeout=None, shared=False) == "secret"
    assert cache.get("test:local") is None


def test_forget_waits_for_the_commit(django_capture_on_commit_callbacks):
    cached("test:value", lambda: "old", timeout=60)
    with django_capture_on_commit_callbacks() as commit:
        forget("test:value")
        # Before the commit another request of this process still gets the kept value.
        assert cached("test:value", lambda: "new", timeout=60) == "old"
    for callback in commit:
        callback()
    assert cached("test:value", lambda: "new", timeout=60) == "new"


def test_question_edited_anywhere_is_seen_once_it_commits(
    arc_campaign, django_capture_on_commit_callbacks
):
    question = campaign_questions(arc_campaign)[0]
    with django_capture_on_commit_callbacks(execute=True):
        # As the admin saves it: the model's save, no service.
        question.title = "¿Está bien traducido?"
        question.save()
    assert campaign_questions(arc_campaign)[0].title == "¿Está bien traducido?"


def test_campaign_status_and_guide_versions_are_seen_once_they_commit(
    arc_campaign, organizer, django_capture_on_commit_callbacks
):
    assert active_campaign(arc_campaign.slug) is not None
    assert current_version_of(arc_campaign) is None
    with django_capture_on_commit_callbacks(execute=True):
        arc_campaign.status = arc_campaign.Status.PAUSED
        arc_campaign.save()
        version = guide_version_publish(guide=arc_campaign.guide, body="## Una", user=organizer)
    assert active_campaign(arc_campaign.slug) is None
    assert current_version_of(arc_campaign) == version
    with django_capture_on_commit_callbacks(execute=True):
        version.delete()
    assert current_version_of(arc_campaign) is None
