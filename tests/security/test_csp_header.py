"""The Content-Security-Policy header: strict on the site's pages, relaxed only in Dash's frames.

Error pages (4xx, 5xx, whichever layer made them) carry it and the other security headers too.
"""

from __future__ import annotations

import base64
import hashlib
import re
from pathlib import Path

import pytest
from asgiref.sync import async_to_sync
from channels.testing import HttpCommunicator
from django.test import Client
from django.urls import reverse

from guides.services import guide_acknowledge, guide_version_publish
from somos_site.asgi import application
from somos_site.middleware import asgi_security_headers

pytestmark = pytest.mark.django_db

ROOT = Path(__file__).resolve().parents[2]
HEADER = "Content-Security-Policy"


def _policy(response) -> dict[str, list[str]]:
    directives = (part.split() for part in response[HEADER].split(";") if part.strip())
    return {name: sources for name, *sources in directives}


def _dash_frame_url(client, campaign) -> str:
    page = client.get(reverse("campaign_dashboard", args=[campaign.slug])).content.decode()
    return re.search(r'<div class="dash-app"[^>]*>\s*<iframe src="([^"]+)"', page).group(1)


def test_csp_header_on_every_page_forbids_inline_script(client, arc_campaign, volunteer):
    version = guide_version_publish(
        guide=arc_campaign.guide, body="## Reglas\n\nUna.", user=volunteer
    )
    guide_acknowledge(user=volunteer, version=version)
    slug = arc_campaign.slug
    public = ["home", "campaign_list", "account_login", "account_signup", "global_dashboard"]
    urls = [reverse(name) for name in public] + [
        reverse(name, args=[slug]) for name in ("campaign_detail", "campaign_dashboard", "guide")
    ]
    signed_in = [reverse("my_contributions"), reverse("profile"), reverse("annotate", args=[slug])]
    for url in [*urls, *signed_in]:
        if url == signed_in[0]:
            client.force_login(volunteer)
        response = client.get(url)
        assert response.status_code == 200, url
        policy = _policy(response)
        assert policy["default-src"] == ["'self'"], url
        assert policy["script-src"] == ["'self'"], url
        assert policy["style-src"] == ["'self'"], url
        assert policy["object-src"] == ["'none'"] and policy["frame-ancestors"] == ["'none'"]
        assert "'unsafe-inline'" not in response[HEADER] and "'unsafe-eval'" not in response[HEADER]


def test_csp_allows_live_sockets_and_exactly_the_guide_video_hosts(client):
    policy = _policy(client.get(reverse("home")))
    assert policy["connect-src"] == ["'self'", "ws://testserver"]
    assert policy["frame-src"] == [
        "'self'",
        "https://www.youtube-nocookie.com",
        "https://player.vimeo.com",
    ]
    assert policy["media-src"] == ["'self'", "https:"]
    secure = _policy(client.get(reverse("home"), secure=True))
    assert secure["connect-src"] == ["'self'", "wss://testserver"]


def test_csp_dash_frame_gets_only_the_renderer_relaxations(client, arc_campaign):
    frame = client.get(_dash_frame_url(client, arc_campaign))
    assert frame.status_code == 200
    policy = _policy(frame)
    # The renderer's inline bootstrap is allowed by its exact hash, nothing else inline.
    (bootstrap,) = re.findall(
        r'<script id="_dash-renderer" type="application/javascript">(.*?)</script>',
        frame.content.decode(),
    )
    digest = base64.b64encode(hashlib.sha256(bootstrap.encode()).digest()).decode()
    assert policy["script-src"] == ["'self'", f"'sha256-{digest}'"]
    assert policy["style-src"] == ["'self'", "'unsafe-inline'"]
    assert policy["frame-ancestors"] == ["'self'"]
    assert "'unsafe-eval'" not in frame[HEADER]
    assert frame["X-Frame-Options"] == "SAMEORIGIN"


def test_csp_is_not_sent_with_json(client, arc_campaign):
    response = client.get(reverse("api_progress", args=[arc_campaign.slug]))
    assert response.status_code == 200
    assert HEADER not in response


def test_csp_report_only_mode_blocks_nothing(client, settings):
    settings.SOMOS_CSP_REPORT_ONLY = True
    response = client.get(reverse("home"))
    assert HEADER not in response
    assert "script-src 'self';" in response[f"{HEADER}-Report-Only"]


def test_templates_carry_no_inline_script_handlers_or_styles():
    templates = [
        path
        for path in ROOT.glob("*/templates/**/*.html")
        if ".venv" not in path.parts and "node_modules" not in path.parts
    ]
    assert len(templates) > 20
    offences = []
    for path in templates:
        text = path.read_text()
        for tag in re.findall(r"<script\b[^>]*>", text):
            if "src=" not in tag and "application/json" not in tag:
                offences.append(f"{path}: inline {tag}")
        for attribute in re.findall(r"<[a-z][^>]*?\s(on[a-z]+|style)\s*=", text, flags=re.I):
            offences.append(f"{path}: {attribute}= attribute")
        if re.search(r"<style\b", text) or "javascript:" in text:
            offences.append(f"{path}: inline <style> or javascript: URL")
    assert offences == []


# --------------------------------------------------------------------------------------------
# Error pages carry the same headers as every other page


SECURITY_HEADERS = (
    HEADER,
    "X-Frame-Options",
    "X-Content-Type-Options",
    "Referrer-Policy",
    "Cross-Origin-Opener-Policy",
)


def _failing_client() -> Client:
    return Client(raise_request_exception=False)


@pytest.mark.urls("tests.security.error_urls")
@pytest.mark.parametrize(
    ("method", "path", "status"),
    [
        ("GET", "/no-such-page/", 404),
        ("GET", "/campaigns/no-such-campaign/", 404),
        ("GET", "/failing/denied/", 403),
        ("GET", "/failing/suspicious/", 400),
        ("GET", "/failing/crash/", 500),
        ("GET", "/failing/busy/", 429),
        ("POST", "/", 405),
    ],
)
def test_error_pages_carry_the_same_security_headers_as_pages(method, path, status):
    client = _failing_client()
    page = client.get("/")
    error = client.get(path) if method == "GET" else client.post(path)
    assert error.status_code == status
    assert error["Content-Type"].startswith("text/html")
    for name in SECURITY_HEADERS:
        assert error.get(name) == page[name], name


@pytest.mark.urls("tests.security.error_urls")
def test_error_pages_are_the_sites_own(client):
    client = _failing_client()
    for path, template in [("/no-such-page/", "404.html"), ("/failing/denied/", "403.html")]:
        response = client.get(path)
        assert template in [t.name for t in response.templates]
        assert "base.html" in [t.name for t in response.templates]
    for path in ("/failing/crash/", "/failing/suspicious/"):
        # Rendered without the request: nothing on them can fail a second time.
        body = client.get(path, HTTP_ACCEPT_LANGUAGE="en").content.decode()
        assert '<link rel="stylesheet" href="/static/somos/somos.css">' in body
        assert "Somos" in body and "<style" not in body


def test_error_page_for_a_bad_host_carries_the_headers(client):
    page = client.get("/")
    refused = _failing_client().get("/", HTTP_HOST="evil.example")
    assert refused.status_code == 400
    # Without a host it can trust, the policy names no websocket address; nothing else differs.
    assert _policy(refused) == {**_policy(page), "connect-src": ["'self'"]}
    for name in SECURITY_HEADERS[1:]:
        assert refused.get(name) == page[name], name


@pytest.mark.urls("tests.security.error_urls")
def test_error_pages_under_dash_get_the_site_policy_not_dash_relaxations(client):
    site = _policy(client.get("/"))
    for path in ("/django_plotly_dash/failing/crash/", "/django_plotly_dash/instance/nope/"):
        error = _failing_client().get(path)
        assert error.status_code >= 400
        assert _policy(error) == site, path
        assert error["X-Frame-Options"] == "DENY"


@pytest.mark.urls("tests.security.error_urls")
def test_csp_with_debug_stays_on_the_sites_error_pages(settings, organizer, arc_campaign):
    settings.DEBUG = True
    client = _failing_client()
    strict = _policy(client.get("/"))
    for path in ("/failing/denied/", "/failing/busy/"):
        assert _policy(client.get(path)) == strict, path
    # A refused form shows what was sent: the page most in need of the policy.
    client.force_login(organizer)
    refused_form = client.post(
        reverse("campaign_settings", args=[arc_campaign.slug]), {"name": "<script>x</script>"}
    )
    assert refused_form.status_code == 400
    assert _policy(refused_form) == strict


@pytest.mark.urls("tests.security.error_urls")
def test_csp_with_debug_lets_only_djangos_debug_pages_run_inline(settings):
    settings.DEBUG = True
    client = _failing_client()
    for path, status in [("/no-such-page/", 404), ("/failing/crash/", 500)]:
        debug_page = client.get(path)
        assert debug_page.status_code == status
        policy = _policy(debug_page)
        assert policy["script-src"] == policy["style-src"] == ["'self'", "'unsafe-inline'"]
        assert policy["frame-ancestors"] == ["'none'"] and policy["object-src"] == ["'none'"]
        assert debug_page["X-Frame-Options"] == "DENY"


@pytest.mark.urls("tests.security.error_urls")
@pytest.mark.parametrize("path", ["/api/campaigns/no-such-campaign/progress", "/api/failing/crash"])
def test_api_errors_are_json_with_the_same_headers(path):
    client = _failing_client()
    page = client.get("/")
    error = client.get(path)
    assert error.status_code in (404, 500)
    assert error["Content-Type"] == "application/json"
    assert set(error.json()) == {"error"}
    for name in SECURITY_HEADERS[1:]:
        assert error.get(name) == page[name], name


async def _asgi_post(path: str, headers: list[tuple[bytes, bytes]]) -> dict:
    communicator = HttpCommunicator(application, "POST", path, headers=headers)
    return await communicator.get_response(timeout=10)


@pytest.mark.django_db(transaction=True)
def test_request_body_over_the_cap_answers_with_the_same_headers(settings):
    settings.SOMOS_MAX_REQUEST_BYTES = 10_000
    response = async_to_sync(_asgi_post)(
        "/organize/new/", [(b"host", b"localhost"), (b"content-length", b"5000000000")]
    )
    assert response["status"] == 413
    headers = {name.decode().lower() for name, _value in response["headers"]}
    assert {name.lower() for name in SECURITY_HEADERS} <= headers


def test_asgi_security_headers_are_the_ones_pages_get(client):
    page = client.get("/")
    headers = {name.decode(): value.decode() for name, value in asgi_security_headers(secure=False)}
    assert set(headers) == {name.lower() for name in SECURITY_HEADERS}
    policy = {
        name: sources
        for name, *sources in (part.split() for part in headers[HEADER.lower()].split(";"))
    }
    assert policy == {**_policy(page), "connect-src": ["'self'"]}
    for name in SECURITY_HEADERS[1:]:
        assert headers[name.lower()] == page[name]
