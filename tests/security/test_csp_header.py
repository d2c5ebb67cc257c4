"""The Content-Security-Policy header: strict on the site's pages, relaxed only in Dash's frames."""

from __future__ import annotations

import base64
import hashlib
import re
from pathlib import Path

import pytest
from django.urls import reverse

from guides.services import guide_acknowledge, guide_version_publish

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
    public = ["home", "account_login", "account_signup", "global_dashboard"]
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
