"""An Argilla answer is never lost: what cannot be applied whole is kept, shown and retried."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

import pytest
from django.urls import reverse

from annotation.argilla import gateway
from annotation.argilla.answers import Applied, response_apply
from annotation.argilla.models import (
    ArgillaAnswerProblem,
    ArgillaDatasetLink,
    ArgillaSyncRun,
    WebhookDelivery,
)
from annotation.argilla.sync import argilla_sync
from annotation.models import Response
from campaigns.models import Record
from campaigns.services import questions_update
from dashboards.models import CampaignCounter
from tests.argilla.conftest import hf_volunteer, wait_for
from tests.factories import UserFactory

T0 = datetime(2026, 1, 5, 10, 0, tzinfo=UTC)


def _submitted(campaign) -> int:
    return CampaignCounter.objects.get(campaign=campaign).responses_submitted


def _organizer_page(client, campaign) -> str:
    client.force_login(campaign.organizers.get())
    response = client.get(reverse("campaign_manage", kwargs={"slug": campaign.slug}))
    assert response.status_code == 200
    return response.content.decode()


def _require(campaign, name: str, required: bool) -> None:
    question = campaign.questions.get(name=name)
    questions_update(campaign=campaign, changes={question.pk: {"required": required}})


def _quiet(link: ArgillaDatasetLink) -> bool:
    link.refresh_from_db()
    state = gateway.dataset_get(dataset_id=link.dataset_id)
    return state.last_activity_at == link.pulled_activity_at


@pytest.mark.django_db(transaction=True)
def test_an_answer_correcting_a_piece_the_record_lacks_arrives_with_its_verdict_after_one_pull(
    linked_campaign, annotator, client
):
    argilla_sync(campaign=linked_campaign, push=True, pull=False)
    link = ArgillaDatasetLink.objects.get(campaign=linked_campaign)
    record = Record.objects.filter(campaign=linked_campaign).order_by("id").first()
    assert "option_e" not in {piece["name"] for piece in record.fields}  # four options
    sara = hf_volunteer("sara-option-e")
    _user, as_sara = annotator(link.workspace_id, username="sara-option-e")
    # Argilla shows the option E correction box on every record: Sara filled it.
    as_sara.answer(
        record.argilla_id,
        {
            "verdict": "minor_fixes",
            "question_corrected": "Una pregunta mejor.",
            "option_e_corrected": "Una quinta opción que no existe.",
        },
    )

    run = argilla_sync(campaign=linked_campaign, push=False, pull=True)

    answer = Response.objects.get(record=record, user=sara)
    assert answer.status == Response.Status.SUBMITTED
    assert answer.values == {"verdict": "minor_fixes", "question_corrected": "Una pregunta mejor."}
    assert _submitted(linked_campaign) == 1
    assert (run.status, run.responses_pulled, run.errors) == ("succeeded", 1, [])
    assert len(run.warnings) == 1 and "option_e_corrected" in run.warnings[0]
    problem = ArgillaAnswerProblem.objects.get(record=record)
    assert problem.kind == ArgillaAnswerProblem.Kind.PARTIAL
    assert "option_e_corrected" in _organizer_page(client, linked_campaign)

    # The next pull finds both sides agreeing: nothing pulled, pushed or warned again.
    again = argilla_sync(campaign=linked_campaign, push=False, pull=True)
    assert (again.responses_pulled, again.responses_pushed, again.warnings) == (0, 0, [])

    # Sara empties the box: the answer applies whole and the warning goes.
    as_sara.answer(
        record.argilla_id, {"verdict": "minor_fixes", "question_corrected": "Una pregunta mejor."}
    )
    argilla_sync(campaign=linked_campaign, push=False, pull=True)
    assert not ArgillaAnswerProblem.objects.exists()
    assert _submitted(linked_campaign) == 1


@pytest.mark.django_db(transaction=True)
def test_an_answer_that_cannot_be_applied_stays_pending_shown_and_retried_while_quiet(
    linked_campaign, annotator, client
):
    argilla_sync(campaign=linked_campaign, push=True, pull=False)
    link = ArgillaDatasetLink.objects.get(campaign=linked_campaign)
    record = Record.objects.filter(campaign=linked_campaign).order_by("id").first()
    # Somos asks for more than the Argilla dataset does (its questions were set at creation).
    _require(linked_campaign, "question_corrected", True)
    teo = hf_volunteer("teo-pending")
    _user, as_teo = annotator(link.workspace_id, username="teo-pending")
    as_teo.answer(record.argilla_id, {"verdict": "wrong"})

    first = argilla_sync(campaign=linked_campaign, push=False, pull=True)

    assert not Response.objects.filter(record=record, user=teo).exists()
    assert len(first.errors) == 1 and record.external_id in first.errors[0]
    problem = ArgillaAnswerProblem.objects.get(record=record)
    assert (problem.kind, problem.attempts) == (ArgillaAnswerProblem.Kind.PENDING, 1)
    page = _organizer_page(client, linked_campaign)
    assert record.external_id in page and problem.detail in page

    # Nothing moved in Argilla: the dataset looks quiet, and the answer is tried again anyway.
    assert _quiet(link)
    second = argilla_sync(campaign=linked_campaign, push=False, pull=True)
    assert len(second.errors) == 1
    problem.refresh_from_db()
    assert problem.attempts == 2

    # Teo completes the answer in Argilla: the next pull applies it and the problem goes.
    as_teo.answer(record.argilla_id, {"verdict": "wrong", "question_corrected": "Otra."})
    third = argilla_sync(campaign=linked_campaign, push=False, pull=True)
    assert (third.responses_pulled, third.errors) == (1, [])
    assert Response.objects.get(record=record, user=teo).values["verdict"] == "wrong"
    assert not ArgillaAnswerProblem.objects.exists()
    assert _submitted(linked_campaign) == 1
    assert "teo-pending" not in _organizer_page(client, linked_campaign)


@pytest.mark.django_db(transaction=True)
def test_a_webhook_answer_that_cannot_be_applied_is_applied_by_a_quiet_pull_once_it_fits(
    linked_campaign, annotator, live_server, argilla_on
):
    argilla_on.ARGILLA_WEBHOOK_URL = f"{live_server.url}/argilla/webhook/"
    argilla_sync(campaign=linked_campaign, push=True, pull=False)
    link = ArgillaDatasetLink.objects.get(campaign=linked_campaign)
    record = Record.objects.filter(campaign=linked_campaign).order_by("id").first()
    _require(linked_campaign, "question_corrected", True)
    uma = hf_volunteer("uma-webhook")
    _user, as_uma = annotator(link.workspace_id, username="uma-webhook")

    as_uma.answer(record.argilla_id, {"verdict": "correct"})
    wait_for(lambda: WebhookDelivery.objects.filter(status="pending").exists(), timeout=5)
    assert ArgillaAnswerProblem.objects.get(record=record).kind == "pending"
    argilla_sync(campaign=linked_campaign, push=False, pull=True)  # still does not fit
    assert ArgillaAnswerProblem.objects.get(record=record).attempts == 2

    # The organizers relax the question; nothing happens in Argilla.
    _require(linked_campaign, "question_corrected", False)
    assert _quiet(link)
    run = argilla_sync(campaign=linked_campaign, push=False, pull=True)

    assert (run.responses_pulled, run.errors) == (1, [])
    assert Response.objects.get(record=record, user=uma).values == {"verdict": "correct"}
    assert not ArgillaAnswerProblem.objects.exists()
    assert _submitted(linked_campaign) == 1


@pytest.mark.django_db(transaction=True)
def test_a_pending_answer_deleted_in_argilla_is_forgotten(linked_campaign, annotator):
    argilla_sync(campaign=linked_campaign, push=True, pull=False)
    link = ArgillaDatasetLink.objects.get(campaign=linked_campaign)
    record = Record.objects.filter(campaign=linked_campaign).order_by("id").first()
    _require(linked_campaign, "question_corrected", True)
    _user, as_vera = annotator(link.workspace_id, username="vera-gone")
    created = as_vera.answer(record.argilla_id, {"verdict": "correct"})
    argilla_sync(campaign=linked_campaign, push=False, pull=True)
    assert ArgillaAnswerProblem.objects.filter(kind="pending").count() == 1

    as_vera.send("DELETE", f"/api/v1/responses/{created['id']}")
    run = argilla_sync(campaign=linked_campaign, push=False, pull=True)

    assert run.errors == []
    assert not ArgillaAnswerProblem.objects.exists()
    assert ArgillaSyncRun.objects.filter(campaign=linked_campaign).count() == 3


@pytest.mark.django_db
def test_response_apply_keeps_then_clears_the_problem_of_one_answer(arc_campaign):
    record = arc_campaign.records.order_by("id").first()
    volunteer, who = UserFactory(), uuid.uuid4()

    def incoming(at, **values) -> gateway.ArgillaResponse:
        return gateway.ArgillaResponse(who, "", "submitted", values, at)

    bad = response_apply(record=record, user=volunteer, incoming=incoming(T0, verdict="maybe"))
    assert bad.outcome == Applied.PENDING and "verdict" in bad.problem
    partial = response_apply(
        record=record,
        user=volunteer,
        incoming=incoming(T0 + timedelta(1), verdict="correct", option_e_corrected="E"),
    )
    assert partial.outcome == Applied.APPLIED and "option_e_corrected" in partial.warning
    problem = ArgillaAnswerProblem.objects.get()
    assert (problem.kind, problem.attempts) == (ArgillaAnswerProblem.Kind.PARTIAL, 1)
    whole = response_apply(
        record=record, user=volunteer, incoming=incoming(T0 + timedelta(2), verdict="wrong")
    )
    assert whole.outcome == Applied.APPLIED and not whole.warning
    assert not ArgillaAnswerProblem.objects.exists()


@pytest.mark.django_db
def test_a_late_copy_of_an_older_version_keeps_the_problem_of_the_newer_one(arc_campaign):
    record = arc_campaign.records.order_by("id").first()
    volunteer, who = UserFactory(), uuid.uuid4()

    def incoming(at, **values) -> gateway.ArgillaResponse:
        return gateway.ArgillaResponse(who, "", "submitted", values, at)

    first = incoming(T0, verdict="correct")
    assert response_apply(record=record, user=volunteer, incoming=first).outcome == "applied"
    newer = incoming(T0 + timedelta(2), verdict="maybe")
    assert response_apply(record=record, user=volunteer, incoming=newer).outcome == "pending"

    late = response_apply(record=record, user=volunteer, incoming=first)

    assert late.outcome == Applied.SAME
    problem = ArgillaAnswerProblem.objects.get()
    assert (problem.kind, problem.argilla_updated_at) == ("pending", T0 + timedelta(2))
