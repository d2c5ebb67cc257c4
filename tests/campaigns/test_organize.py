"""Organizer pages: who may use them, creating from an upload, errors, settings, lifecycle."""

from __future__ import annotations

import re

import pytest
from django.contrib.auth.models import Permission
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import translation

from annotation.services import response_submit
from campaigns.models import Campaign, ImportRun, Question, Record
from campaigns.samples import SAMPLE_DATA
from campaigns.services import (
    QuestionNotInCampaign,
    campaign_settings_save,
    campaign_status_change,
)
from guides.services import question_answer, question_ask
from tests.factories import UserFactory, arc_campaign_build

pytestmark = pytest.mark.django_db


@pytest.fixture
def creator():
    user = UserFactory()
    user.user_permissions.add(Permission.objects.get(codename="add_campaign"))
    return user


def _upload(name: str, content: bytes | None = None) -> SimpleUploadedFile:
    return SimpleUploadedFile(
        name, content if content is not None else (SAMPLE_DATA / name).read_bytes()
    )


def _create(client, **overrides):
    data = {
        "name": "MMLU revisado",
        "preset": "okapi_mmlu",
        "overlap": 3,
        "source_language": "en",
        "target_language": "es",
        "source_file": _upload("mmlu_validation_en.jsonl"),
        "translation_file": _upload("okapi_mmlu_val_es.jsonl"),
    }
    data.update(overrides)
    return client.post(reverse("campaign_new"), data)


def test_organize_new_is_for_campaign_creators_only(client, volunteer):
    assert client.get(reverse("campaign_new")).status_code == 302
    client.force_login(volunteer)
    assert client.get(reverse("campaign_new")).status_code == 403
    assert client.get(reverse("organize_index")).status_code == 403


def test_organize_create_from_upload_imports_and_previews(client, creator):
    client.force_login(creator)
    response = _create(client)
    campaign = Campaign.objects.get(slug="mmlu-revisado")
    assert response["Location"] == reverse("campaign_preview", args=[campaign.slug])
    assert campaign.status == Campaign.Status.DRAFT
    assert campaign.overlap == 3
    assert list(campaign.organizers.all()) == [creator]
    assert campaign.records.count() == 35
    preview = client.get(response["Location"]).content.decode()
    assert "According to Marquis" in preview and "Según Marquis" in preview
    assert "Opción A" in preview


def test_organize_create_with_bad_data_leaves_nothing_and_keeps_the_form(client, creator):
    client.force_login(creator)
    broken = b'{"instruction": "x", "id": "moral_disputes/val/7"\n'
    response = _create(
        client, description="Para revisar", translation_file=_upload("es.jsonl", broken)
    )
    assert response.status_code == 400
    page = response.content.decode()
    assert "es.jsonl, fila 1" in page
    assert "no se ha creado ninguna campaña" in page
    # Nothing behind: no draft, no failed run, no guide or counters of a campaign.
    assert not Campaign.objects.exists()
    assert not ImportRun.objects.exists()
    assert not Record.objects.exists()
    # The form comes back with what was written, ready to be sent again with the files.
    form = response.context["form"]
    assert form["name"].value() == "MMLU revisado"
    assert form["description"].value() == "Para revisar"
    assert form["overlap"].value() == "3"
    fixed = _create(client, description="Para revisar")
    assert fixed.status_code == 302
    assert Campaign.objects.get().records.count() == 35


def test_organize_create_asks_for_the_translation_file(client, creator):
    client.force_login(creator)
    response = _create(client, translation_file="")
    assert response.status_code == 400
    assert "translation_file" in response.context["form"].errors
    assert not Campaign.objects.exists()


def test_organize_create_offers_the_languages_and_keeps_the_one_chosen(client, creator):
    client.force_login(creator)
    page = client.get(reverse("campaign_new")).content.decode()
    target = page[page.index('name="target_language"') :]
    target = target[: target.index("</select>")]
    # Spanish first, then the co-official languages, named in the page's language.
    assert re.findall(r'<option value="([^"]+)"', target)[:5] == ["es", "ca", "eu", "gl", "en"]
    assert '<option value="es" selected>Español</option>' in target
    assert '<option value="ca">Catalán</option>' in target
    response = _create(client, target_language="ca")
    assert response.status_code == 302
    campaign = Campaign.objects.get(slug="mmlu-revisado")
    assert (campaign.source_language, campaign.target_language) == ("en", "ca")


@pytest.mark.parametrize("field", ["source_language", "target_language"])
def test_organize_create_refuses_an_unknown_language(client, creator, field):
    client.force_login(creator)
    response = _create(client, **{field: "xx-nope"})
    assert response.status_code == 400
    assert list(response.context["form"].errors) == [field]
    assert not Campaign.objects.exists()


def test_organize_generic_campaign_maps_csv_columns(client, creator):
    client.force_login(creator)
    csv = "id,text_en,text_es,topic\n1,Hello,Hola,greeting\n2,Thanks,Gracias,courtesy\n"
    response = client.post(
        reverse("campaign_new"),
        {
            "name": "Frases",
            "preset": "generic",
            "overlap": 2,
            "source_language": "en",
            "target_language": "es",
            "source_file": _upload("frases.csv", csv.encode()),
            "id_column": "id",
            "pairs": "text_en = text_es",
            "metadata_columns": "topic",
        },
    )
    campaign = Campaign.objects.get(slug="frases")
    assert response.status_code == 302
    record = campaign.records.get(external_id="2")
    assert record.fields == [{"name": "text_es", "source": "Thanks", "translation": "Gracias"}]
    assert record.metadata == {"topic": "courtesy"}
    assert campaign.questions.filter(name="text_es_corrected").exists()


def test_organize_preview_names_both_languages_in_the_visitors_language(
    client, organizer, arc_campaign
):
    client.force_login(organizer)
    # The override puts the thread's language back after the middleware switched it.
    with translation.override(None):
        page = client.get(
            reverse("campaign_preview", args=[arc_campaign.slug]), HTTP_ACCEPT_LANGUAGE="ca"
        ).content.decode()
    assert "Original (Anglès)" in page and "Traducció automàtica (Espanyol)" in page


def test_organize_pages_are_hidden_from_other_organizers(client, arc_campaign):
    other = UserFactory()
    other.user_permissions.add(Permission.objects.get(codename="add_campaign"))
    client.force_login(other)
    for name in ("campaign_manage", "campaign_preview", "campaign_settings"):
        assert client.get(reverse(name, args=[arc_campaign.slug])).status_code == 404
    response = client.post(
        reverse("campaign_status", args=[arc_campaign.slug]), {"status": "paused"}
    )
    assert response.status_code == 404
    arc_campaign.refresh_from_db()
    assert arc_campaign.status == Campaign.Status.ACTIVE


def test_organize_lifecycle_moves_only_along_allowed_steps(client, organizer, arc_campaign):
    client.force_login(organizer)
    url = reverse("campaign_status", args=[arc_campaign.slug])
    client.post(url, {"status": "paused"})
    arc_campaign.refresh_from_db()
    assert arc_campaign.status == Campaign.Status.PAUSED
    client.post(url, {"status": "draft"})
    arc_campaign.refresh_from_db()
    assert arc_campaign.status == Campaign.Status.PAUSED
    client.post(url, {"status": "closed"})
    client.post(url, {"status": "active"})
    arc_campaign.refresh_from_db()
    assert arc_campaign.status == Campaign.Status.CLOSED


def test_organize_settings_change_overlap_and_question_titles(client, organizer, arc_campaign):
    client.force_login(organizer)
    url = reverse("campaign_settings", args=[arc_campaign.slug])
    page = client.get(url)
    questions = list(page.context["questions"].queryset)
    data = {
        "name": arc_campaign.name,
        "description": "Nueva descripción",
        "overlap": 3,
        "source_language": "en",
        "target_language": "es",
        "is_public": "on",
        "questions-TOTAL_FORMS": len(questions),
        "questions-INITIAL_FORMS": len(questions),
    }
    for index, question in enumerate(questions):
        data[f"questions-{index}-id"] = question.pk
        data[f"questions-{index}-title"] = (
            "¿Está bien?" if question.name == "verdict" else question.title
        )
        data[f"questions-{index}-description"] = ""
        if question.required:
            data[f"questions-{index}-required"] = "on"
    response = client.post(url, data)
    assert response.status_code == 302
    arc_campaign.refresh_from_db()
    assert (arc_campaign.overlap, arc_campaign.description) == (3, "Nueva descripción")
    assert arc_campaign.questions.get(name="verdict").title == "¿Está bien?"


def test_organize_reimport_updates_and_reports_counts(client, organizer, arc_campaign):
    client.force_login(organizer)
    response = client.post(
        reverse("campaign_import", args=[arc_campaign.slug]),
        {
            "source_file": _upload("arc_challenge_validation_en.jsonl"),
            "translation_file": _upload("okapi_arc_challenge_validation_es.jsonl"),
        },
        follow=True,
    )
    assert "0 registros nuevos y 25 actualizados" in response.content.decode()
    assert Record.objects.filter(campaign=arc_campaign).count() == 25


def test_organize_staff_makes_organizers(client, arc_campaign, volunteer):
    staff = UserFactory(is_staff=True)
    client.force_login(staff)
    client.post(
        reverse("campaign_organizers", args=[arc_campaign.slug]), {"email": volunteer.email}
    )
    assert arc_campaign.organizers.filter(pk=volunteer.pk).exists()


def test_organize_only_staff_make_organizers(client, organizer, arc_campaign, volunteer):
    client.force_login(organizer)
    response = client.post(
        reverse("campaign_organizers", args=[arc_campaign.slug]), {"email": volunteer.email}
    )
    assert response.status_code == 403
    assert not arc_campaign.organizers.filter(pk=volunteer.pk).exists()


def _settings_data(campaign, **overrides) -> dict:
    """The settings form as its page sends it, with every question as it is."""
    questions = list(campaign.questions.order_by("position", "id"))
    data = {
        "name": campaign.name,
        "description": campaign.description,
        "overlap": campaign.overlap,
        "source_language": campaign.source_language,
        "target_language": campaign.target_language,
        "is_public": "on",
        "questions-TOTAL_FORMS": len(questions),
        "questions-INITIAL_FORMS": len(questions),
    }
    for index, question in enumerate(questions):
        data[f"questions-{index}-id"] = question.pk
        data[f"questions-{index}-title"] = question.title
        data[f"questions-{index}-description"] = question.description
        if question.required:
            data[f"questions-{index}-required"] = "on"
    data.update(overrides)
    return data


@pytest.mark.parametrize("overlap", [0, 21, 32767, 999999999999])
def test_organize_settings_validate_overlap_as_the_create_form(
    client, organizer, arc_campaign, overlap
):
    client.force_login(organizer)
    response = client.post(
        reverse("campaign_settings", args=[arc_campaign.slug]),
        _settings_data(arc_campaign, overlap=overlap, description="Otra"),
    )
    assert response.status_code == 400
    assert "overlap" in response.context["form"].errors
    arc_campaign.refresh_from_db()
    assert (arc_campaign.overlap, arc_campaign.description) == (2, "")
    assert client.get(reverse("campaign_dashboard", args=[arc_campaign.slug])).status_code == 200


def test_organize_settings_take_the_highest_overlap_the_create_form_takes(
    client, organizer, arc_campaign
):
    client.force_login(organizer)
    url = reverse("campaign_settings", args=[arc_campaign.slug])
    assert client.post(url, _settings_data(arc_campaign, overlap=20)).status_code == 302
    arc_campaign.refresh_from_db()
    assert arc_campaign.overlap == 20


def test_organize_settings_refuse_an_extra_question_form_and_save_nothing(
    client, organizer, arc_campaign
):
    client.force_login(organizer)
    data = _settings_data(arc_campaign, description="Cambiada")
    extra = data["questions-TOTAL_FORMS"]
    assert extra == arc_campaign.questions.count()
    data |= {
        "questions-TOTAL_FORMS": extra + 1,
        f"questions-{extra}-title": "¿Pregunta nueva?",
        f"questions-{extra}-description": "",
    }
    data["questions-0-title"] = "Título cambiado"
    response = client.post(reverse("campaign_settings", args=[arc_campaign.slug]), data)
    assert response.status_code == 400
    assert "no son las de esta campaña" in response.content.decode()
    arc_campaign.refresh_from_db()
    assert arc_campaign.description == ""
    assert not Question.objects.filter(title__in=["Título cambiado", "¿Pregunta nueva?"])
    assert arc_campaign.questions.count() == extra


def test_organize_settings_refuse_another_campaigns_question_and_save_nothing(
    client, organizer, arc_campaign
):
    other = arc_campaign_build(slug="otra", records=False)
    foreign = other.questions.get(name="verdict")
    client.force_login(organizer)
    data = _settings_data(arc_campaign, description="Cambiada")
    data["questions-0-id"] = foreign.pk
    data["questions-0-title"] = "Secuestrada"
    response = client.post(reverse("campaign_settings", args=[arc_campaign.slug]), data)
    assert response.status_code == 400
    assert "no son las de esta campaña" in response.content.decode()
    arc_campaign.refresh_from_db()
    foreign.refresh_from_db()
    assert arc_campaign.description == ""
    assert foreign.title != "Secuestrada"
    assert not Question.objects.filter(title="Secuestrada").exists()


def test_campaign_settings_save_is_one_transaction(arc_campaign):
    other = arc_campaign_build(slug="otra", records=False)
    mine = arc_campaign.questions.get(name="verdict")
    foreign = other.questions.get(name="verdict")
    with pytest.raises(QuestionNotInCampaign):
        campaign_settings_save(
            campaign=arc_campaign,
            fields={"description": "Cambiada", "overlap": 3},
            questions={mine.pk: {"title": "Cambiado"}, foreign.pk: {"title": "Secuestrada"}},
        )
    arc_campaign.refresh_from_db()
    mine.refresh_from_db()
    foreign.refresh_from_db()
    assert (arc_campaign.description, arc_campaign.overlap) == ("", 2)
    assert "Cambiado" not in (mine.title, foreign.title)
    assert foreign.title != "Secuestrada"


def test_campaign_settings_save_keeps_a_status_changed_meanwhile(arc_campaign):
    stale = Campaign.objects.get(pk=arc_campaign.pk)
    campaign_status_change(campaign=arc_campaign, status=Campaign.Status.PAUSED)
    campaign_settings_save(campaign=stale, fields={"description": "Nueva"}, questions={})
    arc_campaign.refresh_from_db()
    assert (arc_campaign.status, arc_campaign.description) == (Campaign.Status.PAUSED, "Nueva")


def test_organize_index_shows_what_waits_for_the_organizers(client, organizer, arc_campaign):
    record = arc_campaign.records.order_by("id").first()
    for corrected in ("Una corrección", "Otra corrección"):
        response_submit(
            record=record,
            user=UserFactory(),
            values={"verdict": "minor_fixes", "question_corrected": corrected},
        )
    guide = arc_campaign.guide
    asker = UserFactory()
    question_ask(guide=guide, user=asker, text="¿Abierta?")
    question_answer(
        question=question_ask(guide=guide, user=asker, text="¿Respondida?"),
        user=organizer,
        answer="Sí.",
    )
    client.force_login(organizer)
    page = client.get(reverse("organize_index")).content.decode()
    queue = reverse("campaign_review_queue", args=[arc_campaign.slug])
    inbox = reverse("guide_inbox", args=[arc_campaign.slug])
    assert "En disputa" in page and "Preguntas abiertas" in page
    # One disputed record, one question still open: each a link to where it is dealt with.
    assert f'<a href="{queue}">1</a>' in page
    assert f'<a href="{inbox}?status=open">1</a>' in page
