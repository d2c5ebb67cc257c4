"""One volunteer, one record, both UIs: one answer, the newest wins, the older kept."""

from __future__ import annotations

import pytest

from annotation.argilla.models import ArgillaDatasetLink
from annotation.argilla.sync import argilla_sync
from annotation.models import Response
from annotation.services import response_submit
from campaigns.models import Record
from dashboards.models import CampaignCounter, CampaignDay
from tests.argilla.conftest import hf_volunteer, wait_for

pytestmark = pytest.mark.django_db(transaction=True)


def _argilla_verdicts(owner, record) -> list[str]:
    item = owner.get(f"/api/v1/records/{record.argilla_id}", include="responses")
    return [r["values"]["verdict"]["value"] for r in item["responses"]]


def test_same_volunteer_in_both_uis_keeps_one_answer_newest_wins(
    linked_campaign, annotator, argilla_owner, live_server, argilla_on
):
    argilla_on.ARGILLA_WEBHOOK_URL = f"{live_server.url}/argilla/webhook/"
    argilla_sync(campaign=linked_campaign, push=True, pull=False)
    link = ArgillaDatasetLink.objects.get(campaign=linked_campaign)
    record = Record.objects.filter(campaign=linked_campaign).order_by("id").first()
    gabi = hf_volunteer("gabi-both")
    _user, as_gabi = annotator(link.workspace_id, username="gabi-both")

    # 1. In Somos first: it reaches Argilla as gabi's own answer.
    response_submit(record=record, user=gabi, values={"verdict": "correct"})
    assert _argilla_verdicts(argilla_owner, record) == ["correct"]

    # 2. Then in Argilla: the webhook brings the newer answer; the Somos one becomes a revision.
    as_gabi.answer(record.argilla_id, {"verdict": "wrong"})
    wait_for(
        lambda: Response.objects.get(record=record, user=gabi).values["verdict"] == "wrong",
        timeout=5,
    )

    # 3. Then in Somos again: newest wins in Argilla too.
    response_submit(
        record=record,
        user=gabi,
        values={"verdict": "minor_fixes", "question_corrected": "Una pregunta mejor."},
    )
    assert _argilla_verdicts(argilla_owner, record) == ["minor_fixes"]

    # 4. A late, older copy of step 2 changes nothing; a reconciliation finds both sides equal.
    run = argilla_sync(campaign=linked_campaign, push=False, pull=True)
    assert (run.responses_pulled, run.responses_pushed) == (0, 0)

    answer = Response.objects.get(record=record, user=gabi)
    assert answer.values == {"verdict": "minor_fixes", "question_corrected": "Una pregunta mejor."}
    assert answer.origin == Response.Origin.WEB
    history = list(answer.revisions.order_by("number").values_list("values__verdict", "origin"))
    assert history == [("correct", "web"), ("wrong", "argilla")]
    assert Response.objects.filter(record=record).count() == 1
    assert CampaignCounter.objects.get(campaign=linked_campaign).responses_submitted == 1
    record.refresh_from_db()
    assert record.submitted_count == 1
    item = argilla_owner.get(f"/api/v1/records/{record.argilla_id}", include="responses")
    assert len(item["responses"]) == 1
    assert item["responses"][0]["values"]["question_corrected"]["value"] == "Una pregunta mejor."


def test_an_answer_deleted_in_argilla_is_withdrawn_here_but_kept(
    linked_campaign, annotator, argilla_owner
):
    argilla_sync(campaign=linked_campaign, push=True, pull=False)
    link = ArgillaDatasetLink.objects.get(campaign=linked_campaign)
    record = Record.objects.filter(campaign=linked_campaign).order_by("id").first()
    hana = hf_volunteer("hana-delete")
    _user, as_hana = annotator(link.workspace_id, username="hana-delete")
    created = as_hana.answer(record.argilla_id, {"verdict": "correct"})
    argilla_sync(campaign=linked_campaign, push=False, pull=True)
    assert CampaignCounter.objects.get(campaign=linked_campaign).responses_submitted == 1

    as_hana.send("DELETE", f"/api/v1/responses/{created['id']}")
    run = argilla_sync(campaign=linked_campaign, push=False, pull=True)

    assert run.responses_withdrawn == 1
    answer = Response.objects.get(record=record, user=hana)
    assert answer.status == Response.Status.DRAFT
    assert answer.revisions.filter(values__verdict="correct", status="submitted").exists()
    counter = CampaignCounter.objects.get(campaign=linked_campaign)
    assert (counter.responses_submitted, counter.contributors) == (0, 0)
    assert sum(CampaignDay.objects.values_list("submitted", flat=True)) == 0
    assert _argilla_verdicts(argilla_owner, record) == []
