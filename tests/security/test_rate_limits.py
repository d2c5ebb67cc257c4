"""Rate limits on sign-in, sign-up, guide questions and submissions, counted in the real Redis."""

from __future__ import annotations

import json
import socket
import time

import pytest
from django.conf import settings as django_settings
from django.contrib.auth import get_user_model
from django.contrib.auth.models import AnonymousUser
from django.core.cache import cache
from django.http import HttpResponse
from django.test import RequestFactory
from django.urls import reverse

from annotation.models import Response
from guides.models import GuideQuestion
from guides.services import guide_version_publish
from somos_site.ratelimit import rate_limit_hit, rate_limited, rates_for
from tests.factories import PASSWORD, UserFactory

pytestmark = pytest.mark.django_db


def _fresh_minute(seconds_needed: float = 15) -> None:
    """Start in a minute with room left: the sliding window also weighs the previous minute."""
    left = 60 - time.time() % 60
    if left < seconds_needed:
        time.sleep(left + 0.05)


def _limit_of(scope: str) -> int:
    (per_minute, *_hourly) = rates_for(scope)
    assert per_minute.seconds == 60
    return per_minute.count


def _rejected(response) -> bool:
    return response.status_code == 429 and "429.html" in [t.name for t in response.templates]


@pytest.fixture
def guide_campaign(arc_campaign, organizer):
    guide_version_publish(guide=arc_campaign.guide, body="## Reglas\n\nUna.", user=organizer)
    return arc_campaign


def test_rate_limit_settings_are_generous_for_people():
    assert _limit_of("annotation_submit") >= 120
    assert _limit_of("guide_question") >= 5
    assert django_settings.ACCOUNT_RATE_LIMITS["login"] == "30/m/ip"


def test_login_rate_limit_answers_429_with_the_site_page(client):
    url = reverse("account_login")
    for _ in range(30):
        assert client.post(url, {"login": "", "password": ""}).status_code == 200
    refused = client.post(url, {"login": "", "password": ""}, HTTP_ACCEPT_LANGUAGE="en")
    assert _rejected(refused)
    assert "base.html" in [t.name for t in refused.templates]
    assert "Too many requests" in refused.content.decode()


def test_login_failed_attempts_hold_off_that_account(client, volunteer):
    url = reverse("account_login")
    for _ in range(5):
        response = client.post(url, {"login": volunteer.email, "password": "wrong-guess"})
        assert response.status_code == 200
    # The right password now waits too: the guesser cannot tell it was right.
    held = client.post(url, {"login": volunteer.email, "password": PASSWORD})
    assert held.status_code == 200 and held.context["form"].errors
    assert "_auth_user_id" not in client.session
    # Others signing in from the same address are not held up.
    other = UserFactory()
    assert client.post(url, {"login": other.email, "password": PASSWORD}).status_code == 302


def _admin_login_attempt(client, user, password: str):
    """Try a password where /admin/login/ sends the visitor, as a browser would."""
    sent = client.post(
        "/admin/login/?next=/admin/",
        {"username": user.username, "login": user.email, "password": password},
    )
    assert sent.status_code == 302
    assert sent["Location"] == f"{reverse('account_login')}?next=%2Fadmin%2F"
    return client.post(sent["Location"], {"login": user.email, "password": password})


def test_admin_login_counts_failures_and_holds_off_the_right_password(client):
    staff = UserFactory(is_staff=True)
    for _ in range(15):
        assert _admin_login_attempt(client, staff, "wrong-guess").status_code in (200, 429)
    # The right password, wherever it is tried, does not sign in while the lockout lasts.
    held = _admin_login_attempt(client, staff, PASSWORD)
    assert "_auth_user_id" not in client.session
    assert held.status_code == 429 or held.context["form"].errors
    assert client.get("/admin/").status_code == 302
    # Once the lockout ends (its counters expire from the cache), the same password works.
    cache.clear()
    signed_in = _admin_login_attempt(client, staff, PASSWORD)
    assert signed_in.status_code == 302 and signed_in["Location"] == "/admin/"
    assert client.session["_auth_user_id"] == str(staff.pk)
    assert client.get("/admin/").status_code == 200


def test_admin_login_failures_count_with_the_sites_own(client):
    staff = UserFactory(is_staff=True)
    url = reverse("account_login")
    for _ in range(4):
        client.post(url, {"login": staff.email, "password": "wrong-guess"})
    # The fifth failure, through the admin's address, locks the account as the site's do.
    _admin_login_attempt(client, staff, "wrong-guess")
    _admin_login_attempt(client, staff, PASSWORD)
    assert "_auth_user_id" not in client.session


def test_login_normal_use_is_not_limited(client, volunteer):
    for _ in range(5):
        signed_in = client.post(
            reverse("account_login"), {"login": volunteer.email, "password": PASSWORD}
        )
        assert signed_in.status_code == 302
        assert client.session["_auth_user_id"] == str(volunteer.pk)
        assert client.post(reverse("account_logout")).status_code == 302


def test_signup_rate_limit_answers_429(client):
    url = reverse("account_signup")
    for number in range(20):
        mismatched = {"email": f"bot{number}@example.org", "password1": "a", "password2": "b"}
        assert client.post(url, mismatched).status_code == 200
    refused = client.post(
        url, {"email": "late@example.org", "password1": PASSWORD, "password2": PASSWORD}
    )
    assert _rejected(refused)
    assert not get_user_model().objects.filter(email="late@example.org").exists()


def test_signup_normal_use_is_not_limited(client):
    for number in range(3):
        response = client.post(
            reverse("account_signup"),
            {"email": f"ana{number}@example.org", "password1": PASSWORD, "password2": PASSWORD},
        )
        assert response.status_code == 302
        client.post(reverse("account_logout"))


def test_guide_question_rate_limit_answers_429_and_saves_nothing(client, guide_campaign, volunteer):
    _fresh_minute()
    client.force_login(volunteer)
    url = reverse("guide_ask", args=[guide_campaign.slug])
    limit = _limit_of("guide_question")
    for number in range(limit):
        assert client.post(url, {"text": f"Pregunta {number}"}).status_code == 302
    refused = client.post(url, {"text": "Una más"}, HTTP_ACCEPT_LANGUAGE="en")
    assert _rejected(refused)
    assert 1 <= int(refused["Retry-After"]) <= 60
    assert "Please try again in" in refused.content.decode()
    assert GuideQuestion.objects.filter(asked_by=volunteer).count() == limit
    # The limit is the volunteer's own: someone else still asks.
    client.force_login(UserFactory())
    assert client.post(url, {"text": "Otra persona"}).status_code == 302


def test_guide_question_normal_use_is_not_limited(client, guide_campaign, volunteer):
    _fresh_minute()
    client.force_login(volunteer)
    url = reverse("guide_ask", args=[guide_campaign.slug])
    for number in range(3):
        assert client.post(url, {"text": f"Duda {number}"}).status_code == 302
    assert client.get(reverse("guide", args=[guide_campaign.slug])).status_code == 200
    assert GuideQuestion.objects.filter(asked_by=volunteer).count() == 3


def test_annotation_submit_rate_limit_stops_a_script(client, arc_campaign, volunteer):
    _fresh_minute(seconds_needed=25)
    client.force_login(volunteer)
    record = client.get(reverse("annotate", args=[arc_campaign.slug])).context["record"]
    url = reverse("annotate_record", args=[arc_campaign.slug, record.pk])
    limit = _limit_of("annotation_submit")
    for _ in range(limit):
        assert client.post(url, {"action": "submit", "verdict": "correct"}).status_code == 302
    refused = client.post(url, {"action": "submit", "verdict": "correct"})
    assert _rejected(refused)
    assert "Retry-After" in refused
    # Reading the record is never limited.
    assert client.get(url).status_code == 200


def test_annotation_submit_at_full_human_speed_is_not_limited(client, arc_campaign, volunteer):
    _fresh_minute(seconds_needed=25)
    client.force_login(volunteer)
    annotate = reverse("annotate", args=[arc_campaign.slug])
    for _ in range(arc_campaign.records.count()):
        record = client.get(annotate).context["record"]
        url = reverse("annotate_record", args=[arc_campaign.slug, record.pk])
        assert client.post(url, {"action": "submit", "verdict": "correct"}).status_code == 302
    assert Response.objects.filter(user=volunteer, status="submitted").count() == 25


def test_rate_limit_one_a_second_for_five_minutes_never_waits():
    start = (time.time() // 60) * 60 + 30
    waits = [
        rate_limit_hit(scope="annotation_submit", who="steady", now=start + second)
        for second in range(300)
    ]
    assert waits == [None] * 300


def test_rate_limit_window_slides_over_its_boundary():
    minute = (time.time() // 60) * 60
    # A full minute's allowance at the very end of one window...
    limit = _limit_of("annotation_submit")
    early = [
        rate_limit_hit(scope="annotation_submit", who="burst", now=minute + 59.5)
        for _ in range(limit)
    ]
    assert early == [None] * limit
    # ...leaves almost nothing at the start of the next one.
    late = [
        rate_limit_hit(scope="annotation_submit", who="burst", now=minute + 60.5)
        for _ in range(limit)
    ]
    allowed = late.count(None)
    assert allowed <= 5
    assert all(wait and 0 < wait <= 60 for wait in late[allowed:])


def _hello(request):
    return HttpResponse("hello")


def test_rate_limited_counts_anonymous_requests_per_ip_address():
    _fresh_minute()
    view = rate_limited("guide_question")(_hello)
    factory = RequestFactory()

    def post(address: str, **extra):
        request = factory.post("/", REMOTE_ADDR=address, **extra)
        request.user = AnonymousUser()
        return view(request)

    limit = _limit_of("guide_question")
    assert [post("203.0.113.7").status_code for _ in range(limit)] == [200] * limit
    refused = post("203.0.113.7", HTTP_ACCEPT="application/json")
    assert refused.status_code == 429
    assert json.loads(refused.content)["error"]
    assert post("203.0.113.8").status_code == 200
    # Only the methods named are counted.
    request = factory.get("/", REMOTE_ADDR="203.0.113.7")
    request.user = AnonymousUser()
    assert view(request).status_code == 200


@pytest.fixture
def redis_down(settings):
    """The default cache pointed at a Redis port where nothing listens."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    settings.CACHES = {
        "default": {
            **django_settings.CACHES["default"],
            "LOCATION": f"redis://127.0.0.1:{port}/0",
        }
    }
    yield


def test_rate_limited_lets_requests_through_while_redis_is_down(redis_down):
    view = rate_limited("guide_question")(_hello)
    factory = RequestFactory()
    statuses = []
    for _ in range(3 * _limit_of("guide_question")):
        request = factory.post("/", REMOTE_ADDR="203.0.113.9")
        request.user = AnonymousUser()
        statuses.append(view(request).status_code)
    assert statuses == [200] * len(statuses)


def test_rate_limit_empty_rate_turns_the_scope_off(settings):
    # Benchmarks that drive one account flat out set SOMOS_RATE_LIMIT_SUBMIT="".
    settings.SOMOS_RATE_LIMITS = {**settings.SOMOS_RATE_LIMITS, "annotation_submit": ""}
    now = time.time()
    waits = {rate_limit_hit(scope="annotation_submit", who="bench", now=now) for _ in range(500)}
    assert waits == {None}
