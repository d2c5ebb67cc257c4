"""Versions, acknowledgements and the question loop."""

from __future__ import annotations

import pytest
from django.core import mail
from django.urls import reverse

from guides.models import GuideQuestion
from guides.selectors import acknowledgement_needed, questions_per_version
from guides.services import (
    guide_acknowledge,
    guide_draft_publish,
    guide_draft_save,
    guide_version_publish,
    question_answer,
    question_ask,
    question_promote_to_draft,
    question_promote_to_faq,
)
from somos_site.accounts.services import profile_update

pytestmark = pytest.mark.django_db


def test_acknowledgement_needed_first_then_only_for_important_versions(guide, volunteer, organizer):
    assert acknowledgement_needed(guide=guide, user=volunteer).needed
    guide_acknowledge(user=volunteer, version=guide.versions.get(number=1))
    assert not acknowledgement_needed(guide=guide, user=volunteer).needed
    guide_version_publish(
        guide=guide, body="## Reglas\n\nUna. Dos.", changelog="Dos", user=organizer
    )
    need = acknowledgement_needed(guide=guide, user=volunteer)
    assert not need.needed and [v.number for v in need.changes] == [2]
    guide_version_publish(guide=guide, body="## Reglas\n\nTres.", important=True, user=organizer)
    need = acknowledgement_needed(guide=guide, user=volunteer)
    assert need.needed and [v.number for v in need.changes] == [3, 2]


def test_drafts_are_invisible_until_published(
    client, guide, organizer, volunteer, django_capture_on_commit_callbacks
):
    guide_draft_save(
        guide=guide,
        body="## Borrador secreto",
        changelog="",
        video_url="",
        important=False,
        user=organizer,
    )
    page = client.get(reverse("guide", args=[guide.campaign.slug])).content.decode()
    assert "Borrador secreto" not in page
    # Visitors' kept copy of the page is forgotten once the publication commits.
    with django_capture_on_commit_callbacks(execute=True):
        version = guide_draft_publish(guide=guide)
    assert version.number == 2
    assert (
        "Borrador secreto"
        in client.get(reverse("guide", args=[guide.campaign.slug])).content.decode()
    )
    old = client.get(reverse("guide", args=[guide.campaign.slug]), {"version": 1}).content.decode()
    assert "Una." in old


def test_annotating_waits_for_the_guide(
    client, guide, volunteer, django_capture_on_commit_callbacks
):
    client.force_login(volunteer)
    response = client.get(reverse("annotate", args=[guide.campaign.slug]))
    assert response.status_code == 302 and "/guide/" in response["Location"]
    with django_capture_on_commit_callbacks(execute=True):
        client.post(reverse("guide_acknowledge", args=[guide.campaign.slug]), {"version": 1})
    assert client.get(reverse("annotate", args=[guide.campaign.slug])).status_code == 200


def test_question_answer_notifies_and_promotes(guide, volunteer, organizer):
    profile_update(user=volunteer, email_notifications=True)
    record = guide.campaign.records.first()
    question = question_ask(guide=guide, user=volunteer, text="¿Y las unidades?", record=record)
    assert question.version.number == 1 and question.record == record
    question_answer(question=question, user=organizer, answer="Se convierten.")
    question.refresh_from_db()
    assert question.status == GuideQuestion.Status.ANSWERED and not question.answer_seen
    question_promote_to_faq(question=question)
    draft = question_promote_to_draft(question=question, user=organizer)
    assert "### ¿Y las unidades?" in draft.body and draft.published_at is None


def test_question_answer_emails_the_asker_who_opted_in(
    guide, volunteer, organizer, django_capture_on_commit_callbacks
):
    profile_update(user=volunteer, email_notifications=True)
    question = question_ask(guide=guide, user=volunteer, text="¿Mayúsculas?")
    with django_capture_on_commit_callbacks(execute=True):
        question_answer(question=question, user=organizer, answer="Como en el original.")
    assert len(mail.outbox) == 1 and mail.outbox[0].to == [volunteer.email]
    assert "Como en el original." in mail.outbox[0].body


def test_questions_per_version_counts_questions_asked_against_each(guide, volunteer, organizer):
    question_ask(guide=guide, user=volunteer, text="Duda")
    guide_version_publish(guide=guide, body="## Reglas\n\nDos.", user=organizer)
    question_ask(guide=guide, user=volunteer, text="Otra")
    question_ask(guide=guide, user=volunteer, text="Y otra")
    assert [(version.number, asked) for version, asked in questions_per_version(guide=guide)] == [
        (2, 2),
        (1, 1),
    ]


def test_guide_pages_are_for_organizers_only(client, guide, volunteer):
    client.force_login(volunteer)
    assert client.get(reverse("guide_edit", args=[guide.campaign.slug])).status_code == 404
    assert client.get(reverse("guide_inbox", args=[guide.campaign.slug])).status_code == 404


def test_question_inbox_filters_by_status_and_marks_the_filter_shown(
    client, guide, volunteer, organizer
):
    open_one = question_ask(guide=guide, user=volunteer, text="¿Sigue abierta?")
    answered = question_ask(guide=guide, user=volunteer, text="¿Ya respondida?")
    question_answer(question=answered, user=organizer, answer="Sí.")
    client.force_login(organizer)
    url = reverse("guide_inbox", args=[guide.campaign.slug])

    page = client.get(url, {"status": "answered"}).content.decode()
    assert answered.text in page and open_one.text not in page
    assert '<a class="tab" href="?status=answered" aria-current="page">' in page
    assert page.count('aria-current="page"') == 1

    every = client.get(url).content.decode()
    assert answered.text in every and open_one.text in every
    assert '<a class="tab" href="?" aria-current="page">' in every


def test_question_ask_twice_files_one_question_until_it_is_answered(guide, volunteer, organizer):
    first = question_ask(guide=guide, user=volunteer, text="¿Y los decimales? ")
    # The same form sent again (a double click, a retry): the same question.
    assert question_ask(guide=guide, user=volunteer, text="¿Y los decimales?") == first
    assert GuideQuestion.objects.filter(guide=guide).count() == 1
    # Someone else asking the same, or the same person asking something else: new questions.
    question_ask(guide=guide, user=organizer, text="¿Y los decimales?")
    question_ask(guide=guide, user=volunteer, text="¿Y las comas?")
    assert GuideQuestion.objects.filter(guide=guide).count() == 3
    # Once answered, asking again is a new question (the answer did not settle it).
    question_answer(question=first, user=organizer, answer="Con coma.")
    again = question_ask(guide=guide, user=volunteer, text="¿Y los decimales?")
    assert again != first and GuideQuestion.objects.filter(guide=guide).count() == 4
