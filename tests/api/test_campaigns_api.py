"""The campaigns API: create, read, change, launch; import and export jobs; rankings; limits."""

from __future__ import annotations

import json

import pytest
from asgiref.sync import async_to_sync
from channels.testing import HttpCommunicator
from django.core.files.uploadedfile import SimpleUploadedFile

from annotation.services import response_submit
from campaigns.models import Campaign, Job
from somos_site.accounts.services import profile_update
from somos_site.asgi import application
from tests.campaigns.files import ARC_EN, ARC_ES
from tests.factories import UserFactory, arc_campaign_build

pytestmark = pytest.mark.django_db

API = "/api/v1"


def _json(client, method: str, path: str, body: object = None, **headers):
    send = getattr(client, method.lower())
    if method == "GET":
        return send(API + path, **headers)
    data = "" if body is None else json.dumps(body)
    return send(API + path, data, content_type="application/json", **headers)


def _fields(response) -> set[str | None]:
    return {error["field"] for error in response.json()["errors"]}


@pytest.fixture
def private(organizer) -> Campaign:
    return arc_campaign_build(slug="privada", organizers=[organizer], public=False, records=False)


@pytest.fixture
def draft(organizer) -> Campaign:
    return arc_campaign_build(slug="borrador", organizers=[organizer], launch=False, records=False)


# --------------------------------------------------------------------------------------------
# Reading


def test_api_campaign_list_shows_what_the_caller_may_see(
    client, bearer, arc_campaign, private, draft, organizer, volunteer
):
    seen = _json(client, "GET", "/campaigns", **bearer(volunteer)).json()
    assert [item["slug"] for item in seen["items"]] == [arc_campaign.slug]
    assert seen["count"] == 1
    mine = _json(client, "GET", "/campaigns", **bearer(organizer)).json()
    assert {item["slug"] for item in mine["items"]} == {"arc-test", "privada", "borrador"}
    page = _json(client, "GET", "/campaigns?limit=1&offset=1", **bearer(organizer)).json()
    assert page["count"] == 3 and len(page["items"]) == 1


def test_api_campaign_detail_has_records_status_and_progress(
    client, bearer, arc_campaign, volunteer
):
    record = arc_campaign.records.order_by("id").first()
    response_submit(record=record, user=volunteer, values={"verdict": "correct"})
    body = _json(client, "GET", f"/campaigns/{arc_campaign.slug}", **bearer(volunteer)).json()
    assert body["records"] == 25
    assert body["status"] == "active"
    assert body["progress"]["responses_submitted"] == 1
    assert body["progress"]["records_total"] == 25
    assert body["url"] == f"http://testserver/campaigns/{arc_campaign.slug}/"
    # Organizer-only settings stay with the organizers.
    assert body["argilla_workspace"] is None


def test_api_private_and_draft_campaigns_are_hidden_from_others(
    client, bearer, private, draft, organizer, volunteer
):
    for campaign in (private, draft):
        assert _json(client, "GET", f"/campaigns/{campaign.slug}").status_code == 401
        hidden = _json(client, "GET", f"/campaigns/{campaign.slug}", **bearer(volunteer))
        assert hidden.status_code == 404
        assert hidden.json()["detail"]
        for path in ("/ranking", "/status", "/exports"):
            method = "GET" if path == "/ranking" else "POST"
            body = {"action": "pause"} if path == "/status" else None
            refused = _json(
                client, method, f"/campaigns/{campaign.slug}{path}", body, **bearer(volunteer)
            )
            assert refused.status_code == 404, path
        shown = _json(client, "GET", f"/campaigns/{campaign.slug}", **bearer(organizer))
        assert shown.status_code == 200


def test_api_ranking_is_the_public_ranking(client, bearer, arc_campaign, volunteer):
    named, shy = UserFactory(), UserFactory()
    profile_update(user=named, display_name="Lucía", public_ranking=True)
    records = list(arc_campaign.records.order_by("id")[:2])
    for user, count in ((named, 2), (shy, 1)):
        for record in records[:count]:
            response_submit(record=record, user=user, values={"verdict": "correct"})

    ranking = _json(client, "GET", f"/campaigns/{arc_campaign.slug}/ranking", **bearer(volunteer))
    assert ranking.status_code == 200
    rows = ranking.json()["ranking"]
    assert [(row["rank"], row["submitted"]) for row in rows] == [(1, 2), (2, 1)]
    assert rows[0]["display_name"] == "Lucía"
    # Who did not opt in is not named, and no e-mail shows.
    assert shy.email not in json.dumps(rows) and rows[1]["display_name"] != shy.username
    public = client.get(f"/api/campaigns/{arc_campaign.slug}/ranking").json()
    assert public["ranking"] == rows

    week = _json(
        client, "GET", f"/campaigns/{arc_campaign.slug}/ranking?window=7d", **bearer(volunteer)
    )
    assert week.json()["window"] == "7d"
    wrong = _json(
        client, "GET", f"/campaigns/{arc_campaign.slug}/ranking?window=year", **bearer(volunteer)
    )
    assert wrong.status_code == 400 and _fields(wrong) == {"window"}


def test_api_public_json_endpoints_still_answer_without_a_token(client, arc_campaign):
    assert client.get(f"/api/campaigns/{arc_campaign.slug}/progress").status_code == 200
    assert client.get(f"/api/campaigns/{arc_campaign.slug}/ranking").status_code == 200


# --------------------------------------------------------------------------------------------
# Creating and changing


NEW = {
    "slug": "arc-api",
    "name": "ARC por la API",
    "preset": "okapi_arc",
    "source_language": "en",
    "target_language": "ca",
    "overlap": 3,
}


def test_api_campaign_create_makes_a_draft_organized_by_its_creator(client, bearer, creator):
    created = _json(client, "POST", "/campaigns", NEW, **bearer(creator))
    assert created.status_code == 201, created.json()
    body = created.json()
    assert (body["slug"], body["status"], body["overlap"], body["records"]) == (
        "arc-api",
        "draft",
        3,
        0,
    )
    campaign = Campaign.objects.get(slug="arc-api")
    assert list(campaign.organizers.all()) == [creator]
    assert campaign.target_language == "ca"
    assert campaign.questions.exists()


def test_api_campaign_create_is_for_campaign_creators(client, bearer, volunteer, organizer):
    assert _json(client, "POST", "/campaigns", NEW).status_code == 401
    for user in (volunteer, organizer):
        assert _json(client, "POST", "/campaigns", NEW, **bearer(user)).status_code == 403
    staff = UserFactory(is_staff=True)
    assert _json(client, "POST", "/campaigns", NEW, **bearer(staff)).status_code == 201
    assert not Campaign.objects.filter(organizers=volunteer).exists()


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"overlap": 0}, "overlap"),
        ({"overlap": 21}, "overlap"),
        ({"overlap": "muchos"}, "overlap"),
        ({"slug": "con espacios"}, "slug"),
        ({"slug": "arc-test"}, "slug"),
        ({"name": ""}, "name"),
        ({"name": 5}, "name"),
        ({"preset": "desconocido"}, "preset"),
        ({"target_language": "xx-nope"}, "target_language"),
        ({"colour": "rojo"}, "colour"),
        ({"preset": "generic"}, "field_mapping"),
        ({"preset": "generic", "field_mapping": {"id": "id", "pairs": []}}, "field_mapping"),
        ({"field_mapping": {"id": "id", "pairs": [["a", "b"]]}}, "field_mapping"),
    ],
)
def test_api_campaign_create_refuses_bad_fields_naming_them(
    client, bearer, creator, arc_campaign, changes, field
):
    refused = _json(client, "POST", "/campaigns", {**NEW, **changes}, **bearer(creator))
    assert refused.status_code == 400, refused.json()
    assert _fields(refused) == {field}
    assert all(error["message"] for error in refused.json()["errors"])
    assert not Campaign.objects.filter(slug="arc-api").exists()


def test_api_campaign_create_generic_with_a_mapping(client, bearer, creator):
    mapping = {"id": "id", "pairs": [["text_en", "text_es"]], "metadata": ["topic"]}
    body = {**NEW, "preset": "generic", "field_mapping": mapping}
    assert _json(client, "POST", "/campaigns", body, **bearer(creator)).status_code == 201
    assert Campaign.objects.get(slug="arc-api").field_mapping == mapping


def test_api_validation_messages_speak_the_callers_language(client, bearer, creator):
    refused = _json(
        client,
        "POST",
        "/campaigns",
        {**NEW, "overlap": 0},
        HTTP_ACCEPT_LANGUAGE="en",
        **bearer(creator),
    )
    assert "greater than or equal to 1" in refused.json()["errors"][0]["message"]
    spanish = _json(client, "POST", "/campaigns", {"slug": "x"}, **bearer(creator))
    assert "Este campo es obligatorio." in {e["message"] for e in spanish.json()["errors"]}


def test_api_campaign_patch_changes_settings_by_the_settings_page_rules(
    client, bearer, arc_campaign, organizer, volunteer
):
    path = f"/campaigns/{arc_campaign.slug}"
    changed = _json(client, "PATCH", path, {"overlap": 3, "is_public": False}, **bearer(organizer))
    assert changed.status_code == 200, changed.json()
    assert (changed.json()["overlap"], changed.json()["is_public"]) == (3, False)
    arc_campaign.refresh_from_db()
    assert (arc_campaign.overlap, arc_campaign.is_public, arc_campaign.name) == (
        3,
        False,
        "ARC test",
    )

    half = _json(client, "PATCH", path, {"argilla_workspace": "somos"}, **bearer(organizer))
    assert half.status_code == 400 and _fields(half) == {"argilla_dataset"}
    wrong = _json(client, "PATCH", path, {"overlap": 99, "status": "closed"}, **bearer(organizer))
    assert wrong.status_code == 400 and _fields(wrong) == {"status"}
    too_many = _json(client, "PATCH", path, {"overlap": 99}, **bearer(organizer))
    assert too_many.status_code == 400 and _fields(too_many) == {"overlap"}
    arc_campaign.refresh_from_db()
    assert arc_campaign.overlap == 3


def test_api_campaign_patch_is_for_its_organizers(client, bearer, arc_campaign, volunteer):
    path = f"/campaigns/{arc_campaign.slug}"
    assert _json(client, "PATCH", path, {"overlap": 3}).status_code == 401
    denied = _json(client, "PATCH", path, {"overlap": 3}, **bearer(volunteer))
    assert denied.status_code == 403
    assert denied.json()["detail"]
    other = UserFactory()
    arc_campaign_build(slug="otra", organizers=[other], records=False)
    assert _json(client, "PATCH", path, {"overlap": 3}, **bearer(other)).status_code == 403
    arc_campaign.refresh_from_db()
    assert arc_campaign.overlap == 2


def test_api_campaign_status_walks_the_lifecycle(client, bearer, draft, organizer):
    path = f"/campaigns/{draft.slug}/status"
    headers = bearer(organizer)
    for action, status in (
        ("launch", "active"),
        ("pause", "paused"),
        ("resume", "active"),
        ("close", "closed"),
    ):
        response = _json(client, "POST", path, {"action": action}, **headers)
        assert response.status_code == 200, response.json()
        assert response.json()["status"] == status
    draft.refresh_from_db()
    assert draft.launched_at is not None
    again = _json(client, "POST", path, {"action": "launch"}, **headers)
    assert again.status_code == 409 and _fields(again) == {"action"}
    unknown = _json(client, "POST", path, {"action": "explode"}, **headers)
    assert unknown.status_code == 400 and _fields(unknown) == {"action"}


@pytest.mark.parametrize("action", ["launch", "resume"])
def test_api_campaign_status_refuses_an_action_that_does_not_fit(
    client, bearer, arc_campaign, organizer, action
):
    refused = _json(
        client,
        "POST",
        f"/campaigns/{arc_campaign.slug}/status",
        {"action": action},
        **bearer(organizer),
    )
    assert refused.status_code == 409
    assert "«Activa»" in refused.json()["detail"]
    arc_campaign.refresh_from_db()
    assert arc_campaign.status == Campaign.Status.ACTIVE


def test_api_campaign_status_is_for_its_organizers(client, bearer, arc_campaign, volunteer):
    path = f"/campaigns/{arc_campaign.slug}/status"
    assert _json(client, "POST", path, {"action": "pause"}).status_code == 401
    assert _json(client, "POST", path, {"action": "pause"}, **bearer(volunteer)).status_code == 403


# --------------------------------------------------------------------------------------------
# Jobs: imports and exports


def _upload(path, name: str | None = None) -> SimpleUploadedFile:
    return SimpleUploadedFile(name or path.name, path.read_bytes())


def test_api_import_answers_202_with_the_job_and_the_job_can_be_followed(
    client, bearer, draft, organizer, volunteer
):
    headers = bearer(organizer)
    started = client.post(
        f"{API}/campaigns/{draft.slug}/imports",
        {"source": _upload(ARC_EN), "translation": _upload(ARC_ES)},
        **headers,
    )
    assert started.status_code == 202, started.json()
    job = started.json()
    # The test settings run jobs inside the request: it has ended already.
    assert (job["kind"], job["status"], job["campaign"]) == ("import", "succeeded", draft.slug)
    assert job["result"]["created"] == 25 and job["errors"] == [] and job["result_url"] is None

    followed = _json(client, "GET", f"/jobs/{job['id']}", **headers)
    assert followed.status_code == 200
    assert followed.json()["percent"] == 100
    assert _json(client, "GET", f"/campaigns/{draft.slug}", **headers).json()["records"] == 25
    assert _json(client, "GET", f"/jobs/{job['id']}", **bearer(volunteer)).status_code == 404
    assert _json(client, "GET", f"/jobs/{job['id']}").status_code == 401


def test_api_import_with_bad_data_fails_its_job_with_errors(client, bearer, draft, organizer):
    broken = SimpleUploadedFile("es.jsonl", b'{"id": "x"\n')
    started = client.post(
        f"{API}/campaigns/{draft.slug}/imports",
        {"source": _upload(ARC_EN), "translation": broken},
        **bearer(organizer),
    )
    assert started.status_code == 202
    job = started.json()
    assert job["status"] == "failed"
    assert job["errors"] and any("es.jsonl" in message for message in job["errors"])
    assert draft.records.count() == 0


@pytest.mark.parametrize(
    ("files", "field"),
    [
        ({}, "source"),
        ({"source": ARC_EN}, "translation"),
        ({"hub_name": "no es un nombre"}, "hub_name"),
    ],
)
def test_api_import_refuses_missing_files_naming_the_field(
    client, bearer, draft, organizer, files, field
):
    data = {key: _upload(value) if key != "hub_name" else value for key, value in files.items()}
    refused = client.post(f"{API}/campaigns/{draft.slug}/imports", data, **bearer(organizer))
    assert refused.status_code == 400, refused.json()
    assert field in _fields(refused)
    assert not Job.objects.exists()


def test_api_import_too_large_gets_413_as_json(client, bearer, draft, organizer, settings):
    settings.SOMOS_MAX_UPLOAD_BYTES = 1000
    refused = client.post(
        f"{API}/campaigns/{draft.slug}/imports",
        {"source": _upload(ARC_EN), "translation": _upload(ARC_ES)},
        **bearer(organizer),
    )
    assert refused.status_code == 413
    assert refused["Content-Type"].startswith("application/json")
    assert _fields(refused) == {"source", "translation"}
    assert not Job.objects.exists()


def test_api_json_body_too_large_gets_413(client, bearer, creator, settings):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 1000
    refused = _json(
        client, "POST", "/campaigns", {**NEW, "description": "x" * 5000}, **bearer(creator)
    )
    assert refused.status_code == 413
    assert refused.json()["detail"]


async def _asgi_post(path: str, headers: list[tuple[bytes, bytes]]) -> dict:
    communicator = HttpCommunicator(application, "POST", path, headers=headers)
    return await communicator.get_response(timeout=10)


@pytest.mark.django_db(transaction=True)
def test_api_body_over_the_sites_cap_gets_413_as_json_unread(settings):
    settings.SOMOS_MAX_REQUEST_BYTES = 10_000
    response = async_to_sync(_asgi_post)(
        f"{API}/campaigns/x/imports",
        [(b"host", b"localhost"), (b"content-length", b"5000000000")],
    )
    assert response["status"] == 413
    assert (b"content-type", b"application/json") in response["headers"]
    assert json.loads(response["body"])["detail"].startswith("Esta petición es demasiado grande")


def test_api_import_is_for_its_organizers(client, bearer, arc_campaign, volunteer):
    path = f"{API}/campaigns/{arc_campaign.slug}/imports"
    assert client.post(path, {"source": _upload(ARC_EN)}).status_code == 401
    denied = client.post(path, {"source": _upload(ARC_EN)}, **bearer(volunteer))
    assert denied.status_code == 403
    assert not Job.objects.exists()


def test_api_export_answers_202_and_its_archive_downloads_with_the_token(
    client, bearer, arc_campaign, organizer, volunteer
):
    headers = bearer(organizer)
    started = _json(
        client, "POST", f"/campaigns/{arc_campaign.slug}/exports", {"include": "pending"}, **headers
    )
    assert started.status_code == 202, started.json()
    job = started.json()
    assert (job["kind"], job["status"]) == ("export", "succeeded")
    assert job["result_url"] == f"http://testserver{API}/jobs/{job['id']}/result"

    download = client.get(job["result_url"], **headers)
    assert download.status_code == 200
    assert b"".join(download.streaming_content)[:2] == b"PK"
    assert client.get(job["result_url"], **bearer(volunteer)).status_code == 404
    assert client.get(job["result_url"]).status_code == 401


def test_api_export_defaults_and_checks_its_include(client, bearer, arc_campaign, organizer):
    path = f"/campaigns/{arc_campaign.slug}/exports"
    default = _json(client, "POST", path, **bearer(organizer))
    assert default.status_code == 202, default.json()
    assert Job.objects.get(pk=default.json()["id"]).parameters["include"] == "validated"
    wrong = _json(client, "POST", path, {"include": "todo"}, **bearer(organizer))
    assert wrong.status_code == 400 and _fields(wrong) == {"include"}


def test_api_export_is_for_its_organizers(client, bearer, arc_campaign, volunteer):
    path = f"/campaigns/{arc_campaign.slug}/exports"
    assert _json(client, "POST", path, {}).status_code == 401
    assert _json(client, "POST", path, {}, **bearer(volunteer)).status_code == 403
    assert not Job.objects.exists()


def test_api_job_cancel_cancels_a_waiting_job(client, bearer, arc_campaign, organizer, volunteer):
    job = Job.objects.create(kind=Job.Kind.IMPORT, campaign=arc_campaign, created_by=organizer)
    assert _json(client, "POST", f"/jobs/{job.pk}/cancel", **bearer(volunteer)).status_code == 404
    cancelled = _json(client, "POST", f"/jobs/{job.pk}/cancel", **bearer(organizer))
    assert cancelled.status_code == 200
    assert cancelled.json()["status"] == "cancelled"


# --------------------------------------------------------------------------------------------
# Rate limits


def test_api_rate_limit_answers_429_per_user(client, bearer, arc_campaign, volunteer, settings):
    settings.SOMOS_RATE_LIMITS = {**settings.SOMOS_RATE_LIMITS, "api": "3/m"}
    headers = bearer(volunteer)
    for _ in range(3):
        assert _json(client, "GET", "/campaigns", **headers).status_code == 200
    refused = _json(client, "GET", "/campaigns", **headers)
    assert refused.status_code == 429
    assert int(refused["Retry-After"]) > 0
    assert refused.json()["detail"]
    # Counted per user: someone else goes on.
    assert _json(client, "GET", "/campaigns", **bearer(UserFactory())).status_code == 200
