"""axe-core finds no serious or critical barrier on the main pages, in every site language."""

from __future__ import annotations

from pathlib import Path

import axe_playwright_python
import pytest
from django.conf import settings
from django.contrib.auth.models import Permission
from django.test import Client
from playwright.sync_api import expect

from annotation.services import response_submit
from campaigns.models import Campaign, Job
from guides.services import guide_draft_save, question_ask
from leaderboard.export.jobs import export_job_start
from leaderboard.export.services import campaign_export
from leaderboard.services import leaderboard_registry_seed
from somos_site.accounts.services import api_token_create
from tests.e2e.pages import answer_with, sign_in
from tests.factories import UserFactory, arc_campaign_build

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

AXE_SCRIPT = (Path(axe_playwright_python.__file__).parent / "axe.min.js").read_text()
BLOCKING_IMPACTS = {"serious", "critical"}


def _axe_violations(page) -> list[str]:
    """Run axe-core on the page and its frames; describe each serious or critical violation."""
    # Evaluated through the DevTools protocol, which the page's CSP does not govern, so the
    # pages are checked as visitors get them, styles refused by the policy included.
    for frame in page.frames:
        frame.evaluate(AXE_SCRIPT)
    results = page.evaluate("axe.run(document, {resultTypes: ['violations']})")
    return [
        f"{page.url} {violation['id']} ({violation['impact']}): {violation['help']}"
        f" at {node['target']}: {node['failureSummary']}"
        for violation in results["violations"]
        if violation["impact"] in BLOCKING_IMPACTS
        for node in violation["nodes"]
    ]


def _session_cookie(user, base_url: str) -> dict:
    client = Client()
    client.force_login(user)
    return {
        "name": settings.SESSION_COOKIE_NAME,
        "value": client.cookies[settings.SESSION_COOKIE_NAME].value,
        "url": base_url,
    }


@pytest.mark.parametrize("language", [code for code, _name in settings.LANGUAGES])
def test_accessibility_main_pages_have_no_serious_violation(
    browser, asgi_live_server, arc_campaign, guide, volunteer, language
):
    record = arc_campaign.records.order_by("id").first()
    for user in (UserFactory(), UserFactory()):
        response_submit(record=record, user=user, values={"verdict": "correct"})
    campaign = f"{asgi_live_server}/campaigns/{arc_campaign.slug}"
    context = browser.new_context(locale=language, viewport={"width": 1280, "height": 860})
    # The site's own language switch stores the choice in this cookie (set_language).
    context.add_cookies(
        [{"name": settings.LANGUAGE_COOKIE_NAME, "value": language, "url": asgi_live_server}]
    )
    page = context.new_page()
    page.set_default_timeout(15_000)
    violations = []

    for url in (
        f"{asgi_live_server}/",
        f"{asgi_live_server}/campaigns/",
        f"{campaign}/",
        f"{campaign}/guide/",
        f"{asgi_live_server}/leaderboard/",
        f"{asgi_live_server}/dashboard/",
        f"{asgi_live_server}/accounts/login/",
        f"{asgi_live_server}/accounts/signup/",
    ):
        page.goto(url)
        assert page.locator("html").get_attribute("lang") == language
        violations += _axe_violations(page)

    page.goto(f"{campaign}/dashboard/")
    page.wait_for_selector("#live-dashboard[data-connected=true]")
    page.frame_locator(".dash-app iframe").locator(".js-plotly-plot .main-svg").first.wait_for()
    violations += _axe_violations(page)

    context.add_cookies([_session_cookie(volunteer, asgi_live_server)])
    # The profile page lists the volunteer's API token.
    api_token_create(user=volunteer, name="script")
    # A first visit to the annotate page asks for the guide to be read and acknowledged.
    page.goto(f"{campaign}/annotate/")
    violations += _axe_violations(page)
    with page.expect_navigation():
        page.locator(".acknowledge-form [type=submit]").click()
    page.wait_for_selector("#annotate-form")
    violations += _axe_violations(page)
    for url in (
        f"{asgi_live_server}/accounts/profile/",
        f"{asgi_live_server}/me/contributions/",
    ):
        page.goto(url)
        violations += _axe_violations(page)
    context.close()

    assert violations == [], "\n".join(violations)


@pytest.mark.parametrize("language", [code for code, _name in settings.LANGUAGES])
def test_accessibility_organizer_and_reviewer_pages_have_no_serious_violation(
    browser,
    asgi_live_server,
    arc_campaign,
    guide,
    organizer,
    volunteer,
    language,
    tmp_path,
    settings,
):
    records = list(arc_campaign.records.order_by("id")[:2])
    for user in (UserFactory(), UserFactory()):
        response_submit(record=records[0], user=user, values={"verdict": "correct"})
    # Two answers that disagree on the question's translation: a disputed record to review.
    for correction in ("Primera corrección", "Segunda corrección"):
        response_submit(
            record=records[1],
            user=UserFactory(),
            values={"verdict": "minor_fixes", "question_corrected": correction},
        )
    Campaign.objects.filter(pk=arc_campaign.pk).update(
        argilla_workspace="somos", argilla_dataset="arc-test"
    )
    guide_draft_save(
        guide=guide,
        user=organizer,
        body="## Reglas\n\nUna.\n\n- Dos",
        changelog="Dos",
        important=False,
        video_url="",
    )
    question_ask(guide=guide, user=volunteer, text="¿Y las unidades?")
    draft = arc_campaign_build(slug="arc-draft", organizers=[organizer], launch=False)
    leaderboard_registry_seed()
    campaign_export(campaign=arc_campaign, folder=tmp_path / "published")
    campaign_export(campaign=arc_campaign, folder=tmp_path / "proposed", user=organizer)
    organizer.user_permissions.add(Permission.objects.get(codename="add_campaign"))
    # Background jobs as organizers see them: one waiting (its bar), one refused (its errors),
    # an export that ended (its download).
    settings.MEDIA_ROOT = tmp_path / "media"
    waiting = Job.objects.create(kind=Job.Kind.IMPORT, campaign=arc_campaign, created_by=organizer)
    Job.objects.create(
        kind=Job.Kind.IMPORT,
        campaign=arc_campaign,
        created_by=organizer,
        status=Job.Status.FAILED,
        messages=["okapi_es.jsonl, row 3, instruction: the text is empty"],
    )
    exported = export_job_start(campaign=arc_campaign, include="pending", user=organizer)

    site = asgi_live_server
    organize = f"{site}/organize/{arc_campaign.slug}"
    context = browser.new_context(locale=language, viewport={"width": 1280, "height": 860})
    context.add_cookies([{"name": settings.LANGUAGE_COOKIE_NAME, "value": language, "url": site}])
    page = context.new_page()
    page.set_default_timeout(15_000)
    violations = []

    def scan(url: str, status: int = 200) -> None:
        response = page.goto(url)
        assert response.status == status, url
        assert page.locator("html").get_attribute("lang") == language
        violations.extend(_axe_violations(page))

    scan(f"{site}/no-such-page/", 404)
    context.add_cookies([_session_cookie(volunteer, site)])
    scan(f"{site}/organize/new/", 403)
    scan(f"{site}/argilla/annotator/")

    context.add_cookies([_session_cookie(organizer, site)])
    for url in (
        f"{site}/organize/",
        f"{site}/organize/new/",
        f"{organize}/",
        f"{site}/organize/{draft.slug}/preview/",
        f"{organize}/settings/",
        f"{organize}/guide/",
        f"{organize}/questions/",
        f"{organize}/agreement/",
        f"{site}/campaigns/{arc_campaign.slug}/review/",
        f"{site}/campaigns/{arc_campaign.slug}/review/{records[1].pk}/",
        f"{site}/jobs/{waiting.pk}/",
        f"{site}/jobs/{exported.pk}/",
    ):
        scan(url)

    # Staff see what organizers and visitors see of these two, and the registry's controls
    # besides: the choice of dataset and the button that publishes a proposed version.
    context.add_cookies([_session_cookie(UserFactory(is_staff=True), site)])
    scan(f"{organize}/export/")
    scan(f"{site}/leaderboard/arc-c_es/")
    context.close()

    assert violations == [], "\n".join(violations)


def test_accessibility_single_key_shortcuts_can_be_turned_off(
    page, live_server, arc_campaign, volunteer
):
    sign_in(page, live_server.url, volunteer.email)
    page.goto(f"{live_server.url}/campaigns/{arc_campaign.slug}/annotate/")
    # By id: its label is a new msgid that the catalogues may not translate yet.
    switch = page.locator("#single-key-shortcuts")
    expect(switch).to_be_checked()
    page.keyboard.press("2")
    expect(page.locator("input[name=verdict][value=minor_fixes]")).to_be_checked()

    switch.uncheck()
    page.reload()
    expect(switch).not_to_be_checked()
    page.keyboard.press("1")
    page.keyboard.press("s")
    page.wait_for_timeout(300)
    expect(page.locator("input[name=verdict]:checked")).to_have_count(0)
    assert page.url.endswith("/annotate/")
    # Keys with a modifier are no single-key shortcut: Ctrl+Enter still submits.
    page.locator("input[name=verdict][value=correct]").check()
    answer_with(page, "Control+Enter")
    expect(page.get_by_text("¡Gracias! Se ha guardado tu respuesta.")).to_be_visible()

    switch.check()
    page.reload()
    page.keyboard.press("1")
    expect(page.locator("input[name=verdict][value=correct]")).to_be_checked()


def test_accessibility_ranking_tabs_move_with_arrow_keys(page, asgi_live_server, arc_campaign):
    page.goto(f"{asgi_live_server}/campaigns/{arc_campaign.slug}/dashboard/")
    tabs = page.get_by_role("tablist", name="Quién más contribuye").get_by_role("tab")
    expect(tabs).to_have_count(3)
    tabs.first.focus()

    page.keyboard.press("ArrowRight")
    expect(tabs.nth(1)).to_be_focused()
    expect(tabs.nth(1)).to_have_attribute("aria-selected", "true")
    expect(tabs.first).to_have_attribute("tabindex", "-1")
    expect(page.get_by_role("tabpanel")).to_have_count(1)
    expect(page.get_by_role("tabpanel")).to_have_attribute("aria-labelledby", "ranking-7d-tab")

    page.keyboard.press("End")
    expect(tabs.last).to_be_focused()
    page.keyboard.press("ArrowRight")
    expect(tabs.first).to_be_focused()
    expect(tabs.first).to_have_attribute("aria-selected", "true")
    page.keyboard.press("ArrowLeft")
    expect(tabs.last).to_have_attribute("aria-selected", "true")
