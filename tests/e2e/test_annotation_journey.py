"""A volunteer signs up, joins and annotates with the keyboard alone; a second one follows."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from annotation.models import Response
from campaigns.importers.sources import Source
from campaigns.models import Campaign
from campaigns.samples import SAMPLE_DATA
from campaigns.services import campaign_create, campaign_status_change, records_import
from tests.e2e.pages import answer_with, screenshot
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

    thanks = page.get_by_text("¡Gracias! Se ha guardado tu respuesta.")
    answered = []
    # 0: sent without a verdict, the answer comes back with the field named; nothing moves.
    first = _record_id(page)
    page.keyboard.press("Control+Enter")
    expect(page.locator("[data-errors]")).to_contain_text("Responde a esta pregunta.")
    expect(page.locator("fieldset.has-error")).to_have_count(1)
    assert _record_id(page) == first

    # 1: accept the translation as it is. The next record comes in place, without a new page.
    answered.append(_record_id(page))
    page.evaluate("window.stillHere = true")
    page.keyboard.press("1")
    answer_with(page, "Control+Enter")
    expect(thanks).to_be_visible()
    assert page.evaluate("window.stillHere === true")
    # Filled in from the answer: the new record's pieces, its correct option marked once.
    expect(page.locator("[data-pieces] .correct-answer")).to_have_count(1)
    expect(page.locator("[data-errors]")).to_be_hidden()
    assert _record_id(page) != answered[-1]
    assert page.locator("input[name=verdict]:checked").count() == 0

    # 2: correct the question's translation, then call it minor fixes.
    answered.append(_record_id(page))
    page.keyboard.press("e")
    page.keyboard.type(" (corregido)")
    assert page.locator(".diff ins").first.inner_text().strip() == "(corregido)"
    screenshot(page, "annotate_correction")
    page.keyboard.press("Escape")
    page.keyboard.press("2")
    answer_with(page, "Control+Enter")
    expect(thanks).to_be_visible()
    # The new record's correction box starts from its own machine translation.
    assert page.locator(".diff:not([hidden])").count() == 0

    # 3: skip one.
    skipped = _record_id(page)
    answer_with(page, "s")
    expect(page.get_by_text("Saltado.")).to_be_visible()

    # 4: one more accepted.
    answered.append(_record_id(page))
    page.keyboard.press("1")
    answer_with(page, "Enter")
    expect(thanks).to_be_visible()
    held = _record_id(page)
    # A reload shows the same record: it is held for this volunteer.
    page.reload()
    assert _record_id(page) == held

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
        # The last answer leaves the annotate page for the done page.
        answer_with(second, "Control+Enter")
    done = second.get_by_role("heading", name="No te queda nada por aquí. ¡Gracias!")
    expect(done).to_be_visible()
    expect(second.get_by_text("¡Gracias! Se ha guardado tu respuesta.")).to_be_visible()
    assert offered == [skipped]
    context.close()


def test_annotation_without_javascript_posts_the_form(browser, live_server, small_campaign):
    volunteer = UserFactory()
    context = browser.new_context(locale="es-ES", java_script_enabled=False)
    page = context.new_page()
    page.set_default_timeout(15_000)
    page.goto(live_server.url + "/accounts/login/")
    page.get_by_label("Correo electrónico").fill(volunteer.email)
    page.get_by_label("Contraseña").fill(PASSWORD)
    page.get_by_role("button", name="Iniciar sesión").click()
    page.goto(live_server.url + f"/campaigns/{small_campaign.slug}/annotate/")
    first = _record_id(page)
    with page.expect_navigation():
        page.locator("button[value=submit]").click()
    # Nothing chosen: the page comes back with the field named.
    assert page.get_by_text("Responde a esta pregunta.").is_visible()
    page.locator("input[name=verdict][value=correct]").check()
    with page.expect_navigation():
        page.locator("button[value=submit]").click()
    assert page.get_by_text("¡Gracias! Se ha guardado tu respuesta.").is_visible()
    assert _record_id(page) != first
    assert Response.objects.get(record__external_id=first).user == volunteer
    context.close()
