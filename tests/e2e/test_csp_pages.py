"""The pages work under their Content-Security-Policy: no violation, no console error, anywhere."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from annotation.services import response_submit
from guides.services import guide_version_publish
from tests.e2e.pages import answer_with, screenshot, sign_in
from tests.factories import UserFactory

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

# Runs in every frame before the page's own scripts: each violation becomes a console line.
REPORT_VIOLATIONS = """
document.addEventListener("securitypolicyviolation", (event) => {
  console.error(`CSP violation: ${event.effectiveDirective} refused ${event.blockedURI}`
    + ` at ${event.sourceFile}:${event.lineNumber} in ${document.location.pathname}`);
});
"""
# The guide's video hosts, which this machine cannot reach: stand-ins answer for them.
VIDEO_HOSTS = {
    "https://www.youtube-nocookie.com/**": ("text/html", b"<p>YouTube de prueba</p>"),
    "https://player.vimeo.com/**": ("text/html", b"<p>Vimeo de prueba</p>"),
    "https://media.example.org/**": ("video/mp4", b""),
}


@pytest.fixture
def watched(browser):
    """A page whose console messages and CSP violations, in every frame, are collected."""
    context = browser.new_context(locale="es-ES", viewport={"width": 1280, "height": 860})
    context.add_init_script(REPORT_VIOLATIONS)
    for pattern, (content_type, body) in VIDEO_HOSTS.items():
        context.route(
            pattern,
            lambda route, content_type=content_type, body=body: route.fulfill(
                status=200, content_type=content_type, body=body
            ),
        )
    page = context.new_page()
    page.set_default_timeout(15_000)
    page.messages = []
    # Chromium's "verbose" lines are its own hints (autocomplete attributes and the like).
    page.on(
        "console",
        lambda message: (
            message.type != "verbose"
            and page.messages.append(f"{message.type}: {message.text} ({message.location['url']})")
        ),
    )
    page.on("pageerror", lambda error: page.messages.append(f"pageerror: {error}"))
    yield page
    context.close()


def _settle(page) -> None:
    page.wait_for_load_state("networkidle")
    page.wait_for_timeout(300)


def test_csp_pages_home_and_dashboard_with_its_dash_charts(watched, asgi_live_server, arc_campaign):
    record = arc_campaign.records.order_by("id").first()
    for user in (UserFactory(), UserFactory()):
        response_submit(record=record, user=user, values={"verdict": "correct"})

    watched.goto(asgi_live_server + "/")
    _settle(watched)
    # Progress bars are sized by somos.js now that style attributes are refused.
    assert watched.locator(".progress > span").first.evaluate("bar => bar.style.width") == "4%"

    watched.goto(f"{asgi_live_server}/campaigns/{arc_campaign.slug}/dashboard/")
    watched.wait_for_selector("#live-dashboard[data-connected=true]")
    assert watched.locator(".progress.big > span").evaluate("bar => bar.style.width") == "4%"
    charts = watched.frame_locator(".dash-app iframe")
    expect(charts.locator(".js-plotly-plot")).to_have_count(2)
    expect(charts.locator(".js-plotly-plot .main-svg").first).to_be_visible()
    assert charts.locator(".js-plotly-plot .scatterlayer, .js-plotly-plot .geo").count() >= 2
    assert watched.locator(".dash-app").evaluate("box => box.getBoundingClientRect().height") == 720
    _settle(watched)
    assert watched.messages == []


def test_csp_pages_sign_in_and_annotate_with_the_keyboard(
    watched, asgi_live_server, arc_campaign, volunteer
):
    sign_in(watched, asgi_live_server, volunteer.email)
    watched.goto(f"{asgi_live_server}/campaigns/{arc_campaign.slug}/annotate/")
    watched.wait_for_selector("#annotate-form")
    watched.keyboard.press("e")
    watched.keyboard.type(" (corregido)")
    assert watched.locator(".diff ins").first.inner_text().strip() == "(corregido)"
    watched.keyboard.press("Escape")
    watched.keyboard.press("2")
    assert watched.locator("input[name=verdict]:checked").get_attribute("value") == "minor_fixes"
    answer_with(watched, "Control+Enter")
    expect(watched.get_by_text("¡Gracias! Se ha guardado tu respuesta.")).to_be_visible()
    watched.goto(f"{asgi_live_server}/me/contributions/")
    _settle(watched)
    assert watched.messages == []


def test_csp_pages_guide_with_its_video_embeds(watched, asgi_live_server, arc_campaign, organizer):
    guide = arc_campaign.guide
    for video_url in (
        "https://media.example.org/guia.mp4",
        "https://vimeo.com/76979871",
        "https://www.youtube.com/watch?v=dQw4w9WgXcQ",
    ):
        guide_version_publish(
            guide=guide, body="## Reglas\n\nUna.", video_url=video_url, user=organizer
        )
    guide_url = f"{asgi_live_server}/campaigns/{arc_campaign.slug}/guide/"

    watched.goto(guide_url)
    youtube = watched.frame_locator(".guide-video iframe")
    expect(youtube.get_by_text("YouTube de prueba")).to_be_visible()

    watched.goto(guide_url + "?version=2")
    expect(
        watched.frame_locator(".guide-video iframe").get_by_text("Vimeo de prueba")
    ).to_be_visible()

    with watched.expect_request("https://media.example.org/guia.mp4"):
        watched.goto(guide_url + "?version=1")
    assert watched.locator("video.guide-video").get_attribute("src").endswith("guia.mp4")
    _settle(watched)
    assert watched.messages == []


def test_csp_pages_api_docs_and_the_profile_tokens(watched, asgi_live_server, volunteer):
    # Swagger UI from the site's own static files, started by ninja's external script.
    watched.goto(f"{asgi_live_server}/api/v1/docs")
    expect(watched.locator(".swagger-ui .opblock").first).to_be_visible()
    assert watched.locator(".swagger-ui .opblock").count() == 11
    expect(watched.locator(".swagger-ui .btn.authorize")).to_be_visible()
    _settle(watched)
    screenshot(watched, "api-docs")

    sign_in(watched, asgi_live_server, volunteer.email)
    watched.goto(f"{asgi_live_server}/accounts/profile/")
    watched.locator("#id_token-name").fill("script de importación")
    with watched.expect_navigation():
        watched.locator(".api-tokens form:not(.inline-form) [type=submit]").click()
    token = watched.locator("#new-token").input_value()
    assert token.startswith("somos_")
    expect(watched.locator(".api-tokens table")).to_contain_text("script de importación")
    screenshot(watched, "profile-api-tokens")
    _settle(watched)
    assert watched.messages == []
