"""A visitor opens the home page in Spanish, switches to English and signs in."""

from __future__ import annotations

import pytest

from tests.e2e.pages import screenshot
from tests.factories import PASSWORD

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def test_home_in_spanish_then_english_then_sign_in(page, live_server, arc_campaign, volunteer):
    page.goto(live_server.url + "/")
    assert page.locator("html").get_attribute("lang") == "es"
    assert page.get_by_role("heading", name="Campañas activas").is_visible()
    assert page.get_by_text("0 de 25 registros completados").is_visible()
    screenshot(page, "home_es")

    page.get_by_role("button", name="EN").click()
    page.wait_for_selector("html[lang=en]")
    assert page.get_by_role("heading", name="Active campaigns").is_visible()
    assert page.get_by_role("link", name="ARC test").is_visible()

    page.get_by_role("link", name="Sign in").click()
    page.get_by_label("Email").fill(volunteer.email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign In").click()
    page.wait_for_selector("text=My profile")
    assert page.get_by_role("button", name="Sign out").is_visible()
    screenshot(page, "home_en_signed_in")


def test_home_is_usable_at_phone_width(browser, live_server, arc_campaign):
    context = browser.new_context(locale="es-ES", viewport={"width": 375, "height": 740})
    page = context.new_page()
    page.goto(live_server.url + "/")
    card = page.locator(".campaign-card").first.bounding_box()
    assert card["width"] <= 375
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= 375, f"page scrolls sideways at phone width ({width}px)"
    screenshot(page, "home_phone")
    context.close()
