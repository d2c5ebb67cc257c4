"""An organizer creates a campaign from an uploaded file in the browser, previews, launches."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import Permission

from campaigns.models import Campaign
from campaigns.samples import SAMPLE_DATA
from tests.e2e.pages import screenshot
from tests.factories import PASSWORD, UserFactory

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def test_organizer_creates_previews_and_launches_a_campaign(page, live_server):
    organizer = UserFactory()
    organizer.user_permissions.add(Permission.objects.get(codename="add_campaign"))

    page.goto(live_server.url + "/accounts/login/")
    page.get_by_label("Correo electrónico").fill(organizer.email)
    page.get_by_label("Contraseña").fill(PASSWORD)
    page.get_by_role("button", name="Iniciar sesión").click()
    page.get_by_role("link", name="Organizar").click()
    page.get_by_role("link", name="Nueva campaña").click()

    page.get_by_label("Nombre", exact=True).fill("ARC-Challenge revisado")
    page.get_by_label("Formato del dataset").select_option("okapi_arc")
    page.get_by_label("Descripción").fill("Validación de <b>ARC</b> en español")
    page.get_by_label("Archivo original").set_input_files(
        str(SAMPLE_DATA / "arc_challenge_validation_en.jsonl")
    )
    page.get_by_label("Archivo de traducción").set_input_files(
        str(SAMPLE_DATA / "okapi_arc_challenge_validation_es.jsonl")
    )
    screenshot(page, "organizer_new_campaign")
    page.get_by_role("button", name="Crear e importar").click()

    page.wait_for_selector("text=Se importaron 25 registros nuevos")
    assert page.get_by_role("heading", name="Vista previa").is_visible()
    assert page.get_by_text("Las zarzamoras salvajes se reproducen").is_visible()
    assert page.get_by_text("Wild blackberries reproduce asexually").is_visible()
    screenshot(page, "organizer_preview")

    page.get_by_role("button", name="Lanzar").click()
    page.wait_for_selector("text=La campaña ahora está Activa")
    campaign = Campaign.objects.get(slug="arc-challenge-revisado")
    assert campaign.status == Campaign.Status.ACTIVE
    assert campaign.records.count() == 25
    screenshot(page, "organizer_manage")

    page.goto(live_server.url + "/")
    assert page.get_by_role("link", name="ARC-Challenge revisado").is_visible()
