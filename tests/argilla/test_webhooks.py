"""The webhook endpoint: only signed, fresh, first-seen deliveries change anything."""

from __future__ import annotations

import base64
import json
import uuid
from datetime import UTC, datetime, timedelta

import pytest
from standardwebhooks import Webhook

from annotation.argilla.models import ArgillaDatasetLink, ArgillaWebhook, WebhookDelivery
from annotation.models import Response
from campaigns.models import Record
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
):
    now = datetime.now(UTC)
    edited = edited or now
    body = json.dumps(
        {
            "type": "response.created",
            "version": 1,
            "timestamp": now.strftime("%Y-%m-%dT%H:%M:%S.%fZ"),
            "data": {
                "id": str(uuid.uuid4()),
                "values": {"verdict": {"value": verdict}},
                "status": "submitted",
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
