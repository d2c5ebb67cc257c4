"""A visitor finds the campaigns in their language from the menu, with JavaScript off."""

from __future__ import annotations

import pytest

from campaigns.models import Campaign
from tests.e2e.pages import screenshot
from tests.factories import campaign_build

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def test_campaign_list_filters_by_language_without_javascript(browser, live_server, arc_campaign):
    campaign_build(slug="arc-ca", name="ARC en catalán", target_language="ca")
    campaign_build(
        slug="prompts-gl", name="Prompts en gallego", target_language="gl", preset="dibt_prompts"
    )
    campaign_build(slug="arc-eu", name="ARC en euskera", target_language="eu", status="closed")
    # The filters are a plain form: they must work for a browser that runs no script.
    context = browser.new_context(locale="es-ES", java_script_enabled=False)
    page = context.new_page()
    page.goto(live_server.url + "/")
    page.get_by_role("navigation", name="Principal").get_by_role("link", name="Campañas").click()
    page.wait_for_url("**/campaigns/")
    assert page.locator(".campaign-card").count() == 4
    assert page.locator(".campaign-card").last.get_by_text("ARC en euskera").is_visible()
    screenshot(page, "campaign_list_es")

    page.locator("#id_language").select_option("ca")
    page.locator("form.filters button[type=submit]").click()
    page.wait_for_url("**/campaigns/?language=ca*")
    cards = page.locator(".campaign-card")
    assert cards.count() == 1
    assert cards.first.get_by_text("Inglés → Catalán").is_visible()
    screenshot(page, "campaign_list_catalan")
    context.close()


def test_campaign_list_is_usable_at_phone_width(browser, live_server, arc_campaign):
    campaign_build(slug="arc-ca", target_language="ca", status=Campaign.Status.PAUSED)
    context = browser.new_context(locale="es-ES", viewport={"width": 375, "height": 740})
    page = context.new_page()
    page.goto(live_server.url + "/campaigns/")
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= 375, f"page scrolls sideways at phone width ({width}px)"
    screenshot(page, "campaign_list_phone")
    context.close()
