"""A volunteer signs up, joins and annotates with the keyboard alone; a second one follows."""

from __future__ import annotations

import pytest

from annotation.models import Response
from campaigns.importers.sources import Source
from campaigns.models import Campaign
from campaigns.samples import SAMPLE_DATA
from campaigns.services import campaign_create, campaign_status_change, records_import
from tests.e2e.pages import screenshot
from tests.factories import PASSWORD, UserFactory

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def small_campaign(tmp_path, organizer) -> Campaign:
    """Five ARC records, one answer each."""
    for name in ("arc_challenge_validation_en.jsonl", "okapi_arc_challenge_validation_es.jsonl"):
        lines = (SAMPLE_DATA / name).read_text(encoding="utf-8").splitlines()[:5]
        (tmp_path / name).write_text("\n".join(lines) + "\n", encoding="utf-8")
    campaign = campaign_create(
        slug="arc-corto", name="ARC corto", preset="okapi_arc", overlap=1, organizers=[organizer]
    )
    records_import(
        campaign=campaign,
        source=Source(path=tmp_path / "arc_challenge_validation_en.jsonl"),
        translation=Source(path=tmp_path / "okapi_arc_challenge_validation_es.jsonl"),
    )
    return campaign_status_change(campaign=campaign, status=Campaign.Status.ACTIVE)


def _record_id(page) -> str:
    return page.locator(".record-id .badge").inner_text()


def test_annotation_with_the_keyboard_alone(browser, page, live_server, small_campaign):
    page.goto(live_server.url + "/accounts/signup/")
    page.get_by_label("Correo electrónico").fill("lucia@example.org")
    page.locator("#id_password1").fill(PASSWORD)
    page.locator("#id_password2").fill(PASSWORD)
    page.get_by_role("button", name="Registrarse").click()
    page.wait_for_selector("text=Mi perfil")
    page.goto(live_server.url + f"/campaigns/{small_campaign.slug}/")
    page.get_by_role("button", name="Empezar a validar").click()
    page.wait_for_selector("#annotate-form")
    assert page.get_by_text("Atajos de teclado").is_visible()
    screenshot(page, "annotate_page")

    answered = []
    # 1: accept the translation as it is.
    answered.append(_record_id(page))
    page.keyboard.press("1")
    with page.expect_navigation():
        page.keyboard.press("Control+Enter")
    assert page.get_by_text("¡Gracias! Se ha guardado tu respuesta.").is_visible()

    # 2: correct the question's translation, then call it minor fixes.
    answered.append(_record_id(page))
    page.keyboard.press("e")
    page.keyboard.type(" (corregido)")
    assert page.locator(".diff ins").first.inner_text().strip() == "(corregido)"
    screenshot(page, "annotate_correction")
    page.keyboard.press("Escape")
    page.keyboard.press("2")
    with page.expect_navigation():
        page.keyboard.press("Control+Enter")
    assert page.get_by_text("¡Gracias! Se ha guardado tu respuesta.").is_visible()

    # 3: skip one.
    skipped = _record_id(page)
    with page.expect_navigation():
        page.keyboard.press("s")
    assert page.get_by_text("Saltado.").is_visible()

    # 4: one more accepted.
    answered.append(_record_id(page))
    page.keyboard.press("1")
    with page.expect_navigation():
        page.keyboard.press("Enter")
    assert page.get_by_text("¡Gracias! Se ha guardado tu respuesta.").is_visible()
    held = _record_id(page)

    assert skipped not in answered and held not in [*answered, skipped]
    assert len(set(answered)) == 3
    corrected = Response.objects.get(record__external_id=answered[1])
    assert corrected.values["verdict"] == "minor_fixes"
    assert corrected.values["question_corrected"].endswith(" (corregido)")
    assert corrected.corrections == 1

    page.get_by_role("link", name="Mis contribuciones").click()
    assert page.locator("#total-submitted").inner_text() == "3"
    stats = page.locator(".stats").inner_text()
    assert "traducciones corregidas" in stats and "saltados" in stats
    assert "47 más para llegar a 50 validaciones" in page.content()
    screenshot(page, "my_contributions")

    # A second volunteer, in another browser context, is never offered the three records
    # that reached their single answer, nor the fifth one, which the first volunteer's page
    # holds under a lease: only the record the first volunteer skipped.
    other = UserFactory()
    context = browser.new_context(locale="es-ES")
    second = context.new_page()
    second.goto(live_server.url + "/accounts/login/")
    second.get_by_label("Correo electrónico").fill(other.email)
    second.get_by_label("Contraseña").fill(PASSWORD)
    second.get_by_role("button", name="Iniciar sesión").click()
    second.goto(live_server.url + f"/campaigns/{small_campaign.slug}/annotate/")
    offered = []
    while second.locator("#annotate-form").count():
        offered.append(_record_id(second))
        second.keyboard.press("1")
        # The submit and the redirect to the next record end in a new page.
        with second.expect_navigation():
            second.keyboard.press("Control+Enter")
    assert second.get_by_role("heading", name="No te queda nada por aquí. ¡Gracias!").is_visible()
    assert offered == [skipped]
    context.close()
