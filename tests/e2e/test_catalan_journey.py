"""A Catalan volunteer signs up, validates in a Catalan campaign and watches its dashboard.

Every page on the way is served in Catalan (`<html lang="ca">`) and shows no interface text
left in English: no English message of the catalogue appears in what the page shows, once the
English originals being validated (marked `lang="en"`) are set aside.
"""

from __future__ import annotations

import re
from pathlib import Path

import polib
import pytest
from django.utils import translation
from playwright.sync_api import expect

from campaigns.importers.sources import Source
from campaigns.models import Campaign
from campaigns.samples import SAMPLE_DATA
from campaigns.services import campaign_create, campaign_status_change, records_import
from tests.e2e.pages import answer_with, screenshot
from tests.factories import PASSWORD

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

CATALAN = Path(__file__).resolve().parents[2] / "locale/ca/LC_MESSAGES/django.po"
# What the page shows, without the texts under validation written in another language.
_SHOWN_TEXT = """() => {
  const copy = document.body.cloneNode(true);
  copy.querySelectorAll('[lang]:not([lang="ca"]), script, style, template, iframe')
      .forEach((node) => node.remove());
  return copy.innerText;
}"""


def _english_interface_texts() -> list[str]:
    """The catalogue's English messages of two words or more that Catalan writes otherwise."""
    texts = []
    for entry in polib.pofile(str(CATALAN)):
        text = entry.msgid
        if entry.obsolete or entry.msgid_plural or entry.msgstr == text:
            continue
        if "%" in text or "<" in text or "{" in text or "\n" in text:
            continue
        if len(re.findall(r"[A-Za-z]{2,}", text)) >= 2:
            texts.append(text)
    return texts


@pytest.fixture
def catalan_campaign(organizer) -> Campaign:
    """The demo's ten ARC records with their Catalan translation, one answer each."""
    campaign = campaign_create(
        slug="arc-ca",
        name="ARC en català",
        preset="okapi_arc",
        overlap=1,
        organizers=[organizer],
        source_language="en",
        target_language="ca",
    )
    records_import(
        campaign=campaign,
        source=Source(path=SAMPLE_DATA / "arc_challenge_validation_en_ca_subset.jsonl"),
        translation=Source(path=SAMPLE_DATA / "okapi_arc_challenge_validation_ca_somos.jsonl"),
    )
    return campaign_status_change(campaign=campaign, status=Campaign.Status.ACTIVE)


def _in_catalan_only(page, english: list[str]) -> None:
    assert page.locator("html").get_attribute("lang") == "ca"
    shown = page.evaluate(_SHOWN_TEXT)
    left = [text for text in english if text in shown]
    assert left == [], f"{page.url} shows English interface text: {left}"


def test_catalan_volunteer_signs_up_validates_and_sees_the_dashboard(
    browser, live_server, catalan_campaign
):
    english = _english_interface_texts()
    with translation.override("ca"):
        start = translation.gettext("Start validating")
        thanks = translation.gettext("Thank you! Your answer was saved.")
    context = browser.new_context(locale="ca-ES", viewport={"width": 1280, "height": 860})
    page = context.new_page()
    page.set_default_timeout(15_000)

    page.goto(live_server.url + "/accounts/signup/")
    _in_catalan_only(page, english)
    page.locator("#id_email").fill("jordi@example.org")
    page.locator("#id_password1").fill(PASSWORD)
    page.locator("#id_password2").fill(PASSWORD)
    with page.expect_navigation():
        page.locator("main form button[type=submit]").click()
    _in_catalan_only(page, english)

    page.goto(live_server.url + f"/campaigns/{catalan_campaign.slug}/")
    _in_catalan_only(page, english)
    page.get_by_role("button", name=start).click()
    page.wait_for_selector("#annotate-form")
    _in_catalan_only(page, english)
    assert page.locator(".text.machine").first.get_attribute("lang") == "ca"
    screenshot(page, "annotate_ca")

    page.keyboard.press("1")
    answer_with(page, "Control+Enter")
    expect(page.get_by_text(thanks)).to_be_visible()
    _in_catalan_only(page, english)

    page.goto(live_server.url + f"/campaigns/{catalan_campaign.slug}/dashboard/")
    _in_catalan_only(page, english)
    screenshot(page, "dashboard_ca")
    page.goto(live_server.url + "/campaigns/")
    _in_catalan_only(page, english)
    assert page.get_by_text("ARC en català").is_visible()
    context.close()
