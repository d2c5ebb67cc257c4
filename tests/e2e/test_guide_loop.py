"""The guide loop: an important v2, re-acknowledgement, a question from a record, an FAQ answer."""

from __future__ import annotations

import pytest

from guides.models import GuideQuestion
from guides.services import guide_acknowledge, guide_version_publish
from tests.e2e.pages import screenshot, sign_in

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

V1 = (
    "## Qué hay que hacer\n\nCompara el original y la traducción.\n\n"
    "## Nombres propios\n\nNo se traducen.\n"
)


def test_guide_v2_question_and_faq(browser, page, live_server, arc_campaign, organizer, volunteer):
    slug = arc_campaign.slug
    v1 = guide_version_publish(guide=arc_campaign.guide, body=V1, user=organizer)
    guide_acknowledge(user=volunteer, version=v1)

    # The organizer publishes v2, marked important.
    sign_in(page, live_server.url, organizer.email)
    page.goto(f"{live_server.url}/organize/{slug}/guide/")
    body = page.get_by_label("Guía (Markdown)")
    body.fill(V1 + "\n## Unidades\n\nConvierte millas a kilómetros solo si el original lo pide.\n")
    page.get_by_label("Qué ha cambiado").fill("Nueva regla sobre unidades.")
    page.get_by_label("Importante: las personas voluntarias deben leerla de nuevo").check()
    page.get_by_role("button", name="Publicar nueva versión").click()
    page.wait_for_selector("text=Versión 2 publicada.")

    # The volunteer, who acknowledged v1, is sent to the guide and sees what changed.
    context = browser.new_context(locale="es-ES")
    volunteer_page = context.new_page()
    sign_in(volunteer_page, live_server.url, volunteer.email)
    volunteer_page.goto(f"{live_server.url}/campaigns/{slug}/annotate/")
    volunteer_page.wait_for_selector("text=La guía ha cambiado: lee las novedades")
    assert "/guide/" in volunteer_page.url
    assert "Nueva regla sobre unidades." in volunteer_page.locator(".changelog").inner_text()
    added = volunteer_page.locator(".version-diff .added").all_inner_texts()
    assert any("Convierte millas a kilómetros" in line for line in added)
    screenshot(volunteer_page, "guide_changed")
    volunteer_page.get_by_role("button", name="He leído la guía").click()
    volunteer_page.wait_for_selector("#annotate-form")

    # A question from the record being annotated.
    record_id = volunteer_page.locator(".record-id .badge").inner_text()
    volunteer_page.get_by_label("Pregunta a la organización").fill(
        "¿Convierto «5 miles» en este registro?"
    )
    volunteer_page.get_by_role("button", name="Enviar pregunta").click()
    volunteer_page.wait_for_selector("text=Pregunta enviada.")
    assert volunteer_page.locator("#annotate-form").is_visible()
    question = GuideQuestion.objects.get()
    assert question.record.external_id == record_id and question.version.number == 2

    # The organizer answers it and promotes it to the FAQ.
    page.goto(f"{live_server.url}/organize/{slug}/questions/")
    assert page.get_by_text("¿Convierto «5 miles» en este registro?").is_visible()
    page.get_by_label("Respuesta", exact=True).fill("No: deja las millas, como en el original.")
    page.get_by_role("button", name="Enviar respuesta").click()
    page.wait_for_selector("text=Respuesta enviada.")
    page.get_by_role("button", name="Añadir a las preguntas frecuentes").click()
    page.wait_for_selector("text=Añadida a las preguntas frecuentes.")

    # The volunteer sees the answer, in the FAQ and among their questions.
    volunteer_page.goto(f"{live_server.url}/campaigns/{slug}/guide/")
    faq = volunteer_page.locator(".faq").inner_text()
    assert "¿Convierto «5 miles» en este registro?" in faq
    assert "No: deja las millas, como en el original." in faq
    assert "No: deja las millas" in volunteer_page.locator("#my-questions").inner_text()
    screenshot(volunteer_page, "guide_faq")
    context.close()
