"""The webhook endpoint: only signed, fresh, first-seen deliveries change anything."""

from __future__ import annotations

import base64
import json
import uuid
from datetime import UTC, datetime, timedelta

import pytest
from standardwebhooks import Webhook

from annotation.argilla.models import (
    ArgillaAnswerProblem,
    ArgillaDatasetLink,
    ArgillaWebhook,
    WebhookDelivery,
)
from annotation.models import Response
from annotation.recount import counters_recompute
from campaigns.models import Campaign, Record
from campaigns.services import campaign_status_change
from dashboards.models import CampaignCounter
from tests.argilla.conftest import hf_volunteer

pytestmark = pytest.mark.django_db

SECRET = base64.b64encode(b"s" * 32).decode()


@pytest.fixture
def linked(arc_campaign):
    arc_campaign.argilla_workspace, arc_campaign.argilla_dataset = "ws", "arc"
    arc_campaign.save()
    ArgillaWebhook.objects.create(argilla_id=uuid.uuid4(), url="http://x/", secret=SECRET)
    return ArgillaDatasetLink.objects.create(
        campaign=arc_campaign, workspace_id=uuid.uuid4(), dataset_id=uuid.uuid4()
    )


def _delivery(
    link,
    record,
    username: str,
    *,
    at: datetime | None = None,
    secret=SECRET,
    verdict: str = "correct",
    edited: datetime | None = None,
    user_id: str | None = None,
    status: str = "submitted",
    values: dict | None = None,
    event: str = "response.created",
):
    now = datetime.now(UTC)
    edited = edited or now
    values = {"verdict": verdict} if values is None else values
    body = json.dumps(
        {
            "type": event,
            "version": 1,
            "timestamp": now.strftime("%Y-%m-%dT%H:%M:%S.%fZ"),
            "data": {
                "id": str(uuid.uuid4()),
                "values": {name: {"value": value} for name, value in values.items()},
                "status": status,
                "record": {
                    "id": str(uuid.uuid4()),
                    "external_id": record.external_id,
                    "dataset": {"id": str(link.dataset_id)},
                },
                "user": {"id": user_id or str(uuid.uuid4()), "username": username},
                "inserted_at": edited.replace(tzinfo=None).isoformat(),
                "updated_at": edited.replace(tzinfo=None).isoformat(),
            },
        }
    )
    message_id = f"msg_{uuid.uuid4().hex}"
    signed_at = at or now
    signature = Webhook(secret).sign(message_id, signed_at, body)
    headers = {
        "HTTP_WEBHOOK_ID": message_id,
        "HTTP_WEBHOOK_TIMESTAMP": str(int(signed_at.timestamp())),
        "HTTP_WEBHOOK_SIGNATURE": signature,
    }
    return body, headers


def _post(client, body, headers):
    return client.post("/argilla/webhook/", data=body, content_type="application/json", **headers)


def test_webhook_applies_a_signed_delivery_once(client, linked):
    record = Record.objects.filter(campaign=linked.campaign).first()
    volunteer = hf_volunteer("julia-hook")
    body, headers = _delivery(linked, record, "julia-hook")

    first = _post(client, body, headers)
    replay = _post(client, body, headers)

    assert first.status_code == 200
    assert replay.status_code == 409
    assert Response.objects.get(user=volunteer, record=record).origin == "argilla"
    assert CampaignCounter.objects.get(campaign=linked.campaign).responses_submitted == 1
    assert WebhookDelivery.objects.count() == 1


@pytest.mark.parametrize("problem", ["unsigned", "wrong secret", "stale", "tampered"])
def test_webhook_rejects_bad_and_stale_deliveries(client, linked, problem):
    record = Record.objects.filter(campaign=linked.campaign).first()
    other = base64.b64encode(b"o" * 32).decode()
    body, headers = _delivery(
        linked,
        record,
        "karl-hook",
        at=datetime.now(UTC) - timedelta(minutes=10) if problem == "stale" else None,
        secret=other if problem == "wrong secret" else SECRET,
    )
    if problem == "unsigned":
        headers.pop("HTTP_WEBHOOK_SIGNATURE")
    if problem == "tampered":
        body = body.replace('"correct"', '"wrong"')

    response = _post(client, body, headers)

    assert response.status_code == 401
    assert not Response.objects.exists()
    assert not WebhookDelivery.objects.exists()


def test_webhook_out_of_order_delivery_keeps_the_newer_argilla_answer(client, linked):
    record = Record.objects.filter(campaign=linked.campaign).first()
    volunteer = hf_volunteer("lola-hook")
    user_id = str(uuid.uuid4())
    now = datetime.now(UTC)
    newer = _delivery(linked, record, "lola-hook", verdict="wrong", edited=now, user_id=user_id)
    older = _delivery(
        linked,
        record,
        "lola-hook",
        verdict="correct",
        edited=now - timedelta(seconds=2),
        user_id=user_id,
    )

    assert _post(client, *newer).status_code == 200
    assert _post(client, *older).status_code == 200  # a retry of an earlier version, late

    answer = Response.objects.get(user=volunteer, record=record)
    assert answer.values == {"verdict": "wrong"}
    assert answer.revisions.count() == 0


def test_webhook_answer_correcting_a_piece_the_record_lacks_applies_the_rest(client, linked):
    record = Record.objects.filter(campaign=linked.campaign).order_by("id").first()
    assert "option_e" not in {piece["name"] for piece in record.fields}
    volunteer = hf_volunteer("nora-hook")
    values = {"verdict": "minor_fixes", "option_e_corrected": "Una quinta opción."}

    response = _post(client, *_delivery(linked, record, "nora-hook", values=values))

    assert response.status_code == 200
    answer = Response.objects.get(user=volunteer, record=record)
    assert (answer.status, answer.values) == ("submitted", {"verdict": "minor_fixes"})
    problem = ArgillaAnswerProblem.objects.get(record=record)
    assert problem.kind == ArgillaAnswerProblem.Kind.PARTIAL
    assert "option_e_corrected" in problem.detail
    assert "option_e_corrected" in WebhookDelivery.objects.get().detail


def test_webhook_answer_that_cannot_be_applied_is_kept_pending(client, linked):
    record = Record.objects.filter(campaign=linked.campaign).order_by("id").first()
    volunteer = hf_volunteer("omar-hook")

    response = _post(client, *_delivery(linked, record, "omar-hook", verdict="maybe"))

    # Argilla is not asked to retry the same body: the next pull tries the answer again.
    assert response.status_code == 200
    assert not Response.objects.filter(record=record).exists()
    delivery = WebhookDelivery.objects.get()
    assert delivery.status == WebhookDelivery.Status.PENDING
    problem = ArgillaAnswerProblem.objects.get(record=record)
    assert (problem.kind, problem.attempts) == (ArgillaAnswerProblem.Kind.PENDING, 1)
    assert "verdict" in problem.detail and problem.who == str(volunteer)


def test_webhook_answer_for_a_paused_campaign_is_kept_pending(client, linked):
    campaign = linked.campaign
    campaign_status_change(campaign=campaign, status=Campaign.Status.PAUSED)
    record = Record.objects.filter(campaign=campaign).order_by("id").first()
    hf_volunteer("pia-hook")

    assert _post(client, *_delivery(linked, record, "pia-hook")).status_code == 200

    assert not Response.objects.filter(record=record).exists()
    problem = ArgillaAnswerProblem.objects.get(record=record)
    assert problem.kind == ArgillaAnswerProblem.Kind.PENDING


def test_webhook_discard_takes_back_a_submitted_argilla_answer(client, linked):
    record = Record.objects.filter(campaign=linked.campaign).order_by("id").first()
    volunteer = hf_volunteer("quim-hook")
    user_id = str(uuid.uuid4())
    at = datetime.now(UTC) - timedelta(seconds=5)
    _post(client, *_delivery(linked, record, "quim-hook", user_id=user_id, edited=at))
    assert CampaignCounter.objects.get(campaign=linked.campaign).responses_submitted == 1

    discard = _delivery(
        linked,
        record,
        "quim-hook",
        user_id=user_id,
        status="discarded",
        event="response.updated",
        edited=at + timedelta(seconds=2),
    )
    assert _post(client, *discard).status_code == 200

    answer = Response.objects.get(user=volunteer, record=record)
    assert answer.status == Response.Status.DISCARDED
    assert answer.revisions.get().status == Response.Status.SUBMITTED
    assert CampaignCounter.objects.get(campaign=linked.campaign).responses_submitted == 0
    assert counters_recompute(campaign=linked.campaign).clean
