"""The one module that speaks to Argilla: the argilla SDK to set things up, REST for bulk work.

Callers pass Somos objects or plain values and get plain dataclasses back; no SDK type, wire
format or HTTP detail leaves this module. Failures come out as two exceptions only:
ArgillaUnavailable (down, timing out, 5xx: try again later) and ArgillaRejected (4xx: a retry
will not help).
"""

from __future__ import annotations

import json
import re
import secrets
import threading
import warnings
from collections.abc import Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from uuid import UUID

import httpx
from django.conf import settings
from standardwebhooks import Webhook, WebhookVerificationError

from campaigns.importers.presets import preset_get
from campaigns.models import Campaign, Question

# Argilla refuses bulk requests of more than 500 records. Records go 256 at a time, the SDK's
# own batch: on argilla-server 2.8.0 that measured faster than 500 (bench/argilla_bench.py).
MAX_BULK = 500
PUSH_BATCH = 256
LIST_PAGE = 1000
EVENTS = ("response.created", "response.updated", "response.deleted", "record.completed")
MACHINE_TRANSLATION_AGENT = "machine-translation"

_NAME_BAD = re.compile(r"[^a-z0-9_-]+")


class ArgillaUnavailable(RuntimeError):
    """Argilla did not answer, or failed on its side: try again later."""


class ArgillaRejected(RuntimeError):
    """Argilla refused the request: trying again will not help."""


class WebhookRejected(ValueError):
    """A delivery that Argilla did not sign, or that is too old or too new."""


class WebhookMalformed(ValueError):
    """A signed delivery whose body is not the event Argilla sends."""


@dataclass(frozen=True)
class CampaignSchema:
    """How a campaign's records and answers are named in its Argilla dataset."""

    pieces: tuple[str, ...]
    # Somos question name → (Argilla question name, kind).
    questions: dict[str, tuple[str, str]]
    metadata_terms: tuple[str, ...]

    def question_for(self, argilla_name: str) -> tuple[str, str] | None:
        for name, (other, kind) in self.questions.items():
            if other == argilla_name:
                return name, kind
        return None


@dataclass(frozen=True)
class DatasetState:
    id: UUID
    workspace_id: UUID
    last_activity_at: datetime | None
    # Argilla question name → question id (suggestions name questions by id).
    question_ids: dict[str, UUID]


@dataclass(frozen=True)
class ArgillaResponse:
    user_id: UUID
    username: str
    status: str
    # In Somos form: {question name: value}.
    values: dict
    updated_at: datetime


@dataclass(frozen=True)
class ArgillaRecord:
    id: UUID
    external_id: str
    responses: tuple[ArgillaResponse, ...]


@dataclass(frozen=True)
class ArgillaUser:
    id: UUID
    username: str
    role: str


@dataclass(frozen=True)
class ResponseWrite:
    """One answer to write in Argilla as the given Argilla user's."""

    record_id: UUID
    user_id: UUID
    status: str
    values: dict


@dataclass(frozen=True)
class ArgillaEvent:
    type: str
    timestamp: datetime
    dataset_id: UUID
    record_id: UUID
    external_id: str
    response: ArgillaResponse | None


def configured() -> bool:
    """Say whether this site is connected to an Argilla server."""
    return bool(settings.ARGILLA_API_URL and settings.ARGILLA_API_KEY)


def campaign_is_linked(campaign: Campaign) -> bool:
    """Say whether the campaign is to be kept in sync with Argilla."""
    return configured() and bool(campaign.argilla_workspace and campaign.argilla_dataset)


# ---------------------------------------------------------------------------------------------
# Transport


_local = threading.local()


def _http() -> httpx.Client:
    key = (settings.ARGILLA_API_URL, settings.ARGILLA_API_KEY)
    client = getattr(_local, "client", None)
    if client is None or getattr(_local, "key", None) != key:
        # One client per thread: keep-alive connections make bulk pushes faster.
        client = httpx.Client(
            base_url=settings.ARGILLA_API_URL.rstrip("/"),
            headers={"X-Argilla-Api-Key": settings.ARGILLA_API_KEY},
            timeout=httpx.Timeout(120.0, connect=5.0),
        )
        _local.client, _local.key = client, key
    return client


def _request(method: str, path: str, **kwargs: object) -> httpx.Response:
    try:
        response = _http().request(method, path, **kwargs)
    except httpx.TransportError as exc:
        raise ArgillaUnavailable(f"{method} {path}: {exc.__class__.__name__}: {exc}") from exc
    if response.status_code >= 500 or response.status_code in (408, 429):
        raise ArgillaUnavailable(f"{method} {path}: {response.status_code} {response.text[:300]}")
    if response.status_code >= 400:
        raise ArgillaRejected(f"{method} {path}: {response.status_code} {response.text[:500]}")
    return response


def _sdk():
    # The SDK takes seconds to import; only the calls that need it pay for it.
    import argilla as rg

    key = (settings.ARGILLA_API_URL, settings.ARGILLA_API_KEY)
    client = getattr(_local, "sdk", None)
    if client is None or getattr(_local, "sdk_key", None) != key:
        client = rg.Argilla(api_url=key[0], api_key=key[1], timeout=120, retries=0)
        _local.sdk, _local.sdk_key = client, key
    return rg, client


@contextmanager
def _sdk_errors() -> Iterator[None]:
    from argilla._exceptions import ArgillaAPIError, ArgillaError

    try:
        yield
    except httpx.TransportError as exc:
        raise ArgillaUnavailable(f"{exc.__class__.__name__}: {exc}") from exc
    except ArgillaAPIError as exc:
        status = getattr(exc, "status_code", None) or 0
        if status >= 500 or status in (408, 429):
            raise ArgillaUnavailable(str(exc)) from exc
        raise ArgillaRejected(str(exc)) from exc
    except ArgillaError as exc:
        raise ArgillaRejected(str(exc)) from exc


def _parse_time(value: str | None) -> datetime | None:
    if not value:
        return None
    parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    # Argilla stores naive UTC times.
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


# ---------------------------------------------------------------------------------------------
# Naming: how Somos campaigns look in Argilla


def argilla_name(name: str) -> str:
    """Return a name Argilla accepts for a field, question or metadata property."""
    cleaned = _NAME_BAD.sub("_", name.lower()).strip("_") or "x"
    return cleaned[:200]


def _field_names(piece: str) -> tuple[str, str]:
    base = argilla_name(piece)
    return f"{base}_source", f"{base}_translation"


def campaign_schema(*, campaign: Campaign, with_metadata: bool = False) -> CampaignSchema:
    """Describe how the campaign's records and answers are named in Argilla."""
    preset = preset_get(campaign.preset)
    pieces = list(preset.pieces_for(campaign.field_mapping or None))
    questions = list(campaign.questions.all())
    for question in questions:
        if question.field and question.field not in pieces:
            pieces.append(question.field)
    terms: list[str] = []
    sample = campaign.records.order_by("id").values_list("metadata", flat=True)
    # Metadata only matters when records are sent; answers need no look at them.
    for metadata in sample[:200] if with_metadata else []:
        for key, value in (metadata or {}).items():
            if isinstance(value, str) and key not in terms and argilla_name(key) == key:
                terms.append(key)
    return CampaignSchema(
        pieces=tuple(pieces),
        questions={q.name: (argilla_name(q.name), q.kind) for q in questions},
        metadata_terms=tuple(terms),
    )


def _settings(rg, campaign: Campaign, schema: CampaignSchema, guidelines: str):
    source, target = campaign.source_language.upper(), campaign.target_language.upper()
    preset = preset_get(campaign.preset)
    fields = []
    for piece in schema.pieces:
        source_name, translation_name = _field_names(piece)
        label = str(preset.piece_label(piece))
        fields.append(rg.TextField(name=source_name, title=f"{label} ({source})", required=False))
        fields.append(
            rg.TextField(name=translation_name, title=f"{label} ({target})", required=False)
        )
    questions = []
    for question in campaign.questions.all():
        common = {
            "name": argilla_name(question.name),
            "title": question.title[:500],
            "description": question.description or None,
            "required": question.required,
        }
        labels = {str(o["value"]): str(o.get("text") or o["value"]) for o in question.options}
        if question.kind == Question.Kind.LABEL:
            questions.append(rg.LabelQuestion(labels=labels, **common))
        elif question.kind == Question.Kind.MULTI_LABEL:
            questions.append(rg.MultiLabelQuestion(labels=labels, **common))
        elif question.kind == Question.Kind.RATING:
            values = sorted(int(o["value"]) for o in question.options) or [1, 2, 3, 4, 5]
            questions.append(rg.RatingQuestion(values=values, **common))
        else:
            questions.append(rg.TextQuestion(use_markdown=False, **common))
    return rg.Settings(
        fields=fields,
        questions=questions,
        metadata=[
            rg.TermsMetadataProperty(name=name, title=name) for name in schema.metadata_terms
        ],
        guidelines=guidelines or None,
        allow_extra_metadata=True,
        distribution=rg.TaskDistribution(min_submitted=campaign.overlap),
    )


# ---------------------------------------------------------------------------------------------
# Workspaces and datasets


def workspace_ensure(*, name: str) -> UUID:
    """Return the id of the named workspace, creating it if missing."""
    rg, client = _sdk()
    with _sdk_errors(), warnings.catch_warnings():
        # The SDK warns when the name is not found; that is the case handled here.
        warnings.simplefilter("ignore", UserWarning)
        workspace = client.workspaces(name=name)
        if workspace is None:
            workspace = rg.Workspace(name=name, client=client).create()
        return workspace.id


def dataset_ensure(
    *, campaign: Campaign, schema: CampaignSchema, workspace_id: UUID, guidelines: str
) -> DatasetState:
    """Create the campaign's dataset if missing; bring guidelines and overlap up to date."""
    found = _dataset_find(workspace_id=workspace_id, name=campaign.argilla_dataset)
    if found is not None and found["status"] != "ready":
        # A creation cut short leaves an unpublished dataset without records: start again.
        _request("DELETE", f"/api/v1/datasets/{found['id']}")
        found = None
    if found is None:
        rg, client = _sdk()
        with _sdk_errors():
            dataset = rg.Dataset(
                name=campaign.argilla_dataset,
                workspace=client.workspaces(id=workspace_id),
                settings=_settings(rg, campaign, schema, guidelines),
                client=client,
            ).create()
        found = _request("GET", f"/api/v1/datasets/{dataset.id}").json()
    changes: dict[str, object] = {}
    if (found.get("guidelines") or "") != (guidelines or ""):
        changes["guidelines"] = guidelines or None
    distribution = {"strategy": "overlap", "min_submitted": campaign.overlap}
    if found.get("distribution") != distribution:
        changes["distribution"] = distribution
    if changes:
        found = _request("PATCH", f"/api/v1/datasets/{found['id']}", json=changes).json()
    return _dataset_state(found)


def dataset_get(*, dataset_id: UUID) -> DatasetState | None:
    """Return the dataset's current state, or None if it no longer exists."""
    try:
        found = _request("GET", f"/api/v1/datasets/{dataset_id}").json()
    except ArgillaRejected:
        return None
    return _dataset_state(found)


def _dataset_find(*, workspace_id: UUID, name: str) -> dict | None:
    for dataset in _request("GET", "/api/v1/me/datasets").json()["items"]:
        if dataset["name"] == name and dataset["workspace_id"] == str(workspace_id):
            return dataset
    return None


def _dataset_state(found: dict) -> DatasetState:
    questions = _request("GET", f"/api/v1/datasets/{found['id']}/questions").json()["items"]
    return DatasetState(
        id=UUID(found["id"]),
        workspace_id=UUID(found["workspace_id"]),
        last_activity_at=_parse_time(found.get("last_activity_at")),
        question_ids={question["name"]: UUID(question["id"]) for question in questions},
    )


# ---------------------------------------------------------------------------------------------
# Records and responses


def records_upsert(
    *, dataset: DatasetState, schema: CampaignSchema, records: Sequence[Mapping]
) -> dict[str, UUID]:
    """Create or update up to 500 records by external id; return their Argilla ids."""
    if len(records) > MAX_BULK:
        raise ValueError(f"at most {MAX_BULK} records per request")
    if not records:
        return {}
    corrections = {
        piece: dataset.question_ids.get(argilla_question)
        for name, (argilla_question, kind) in schema.questions.items()
        for piece in [_question_piece(schema, name)]
        if kind == Question.Kind.TEXT and piece
    }
    items = [_record_item(record, schema, corrections) for record in records]
    body = _request("PUT", f"/api/v1/datasets/{dataset.id}/records/bulk", json={"items": items})
    return {item["external_id"]: UUID(item["id"]) for item in body.json()["items"]}


def _question_piece(schema: CampaignSchema, name: str) -> str | None:
    # Correction questions are named after their piece: "<piece>_corrected".
    piece = name.removesuffix("_corrected")
    return piece if piece != name and piece in schema.pieces else None


def _record_item(record: Mapping, schema: CampaignSchema, corrections: dict) -> dict:
    fields: dict[str, str] = {}
    suggestions = []
    for piece in record["fields"]:
        source_name, translation_name = _field_names(piece["name"])
        if piece.get("source") is not None:
            fields[source_name] = str(piece["source"])
        translation = piece.get("translation")
        if translation is not None:
            fields[translation_name] = str(translation)
            question_id = corrections.get(piece["name"])
            if question_id and str(translation).strip():
                suggestions.append(
                    {
                        "question_id": str(question_id),
                        "value": str(translation),
                        "agent": MACHINE_TRANSLATION_AGENT,
                        "type": "model",
                    }
                )
    metadata = dict(record.get("metadata") or {})
    for key in schema.metadata_terms:
        # A terms property only takes text; anything else is sent as its text.
        if key in metadata and metadata[key] is not None and not isinstance(metadata[key], str):
            metadata[key] = str(metadata[key])
    return {
        "external_id": record["external_id"],
        "fields": fields,
        "metadata": metadata,
        "suggestions": suggestions,
    }


def responses_upsert(
    *, dataset_id: UUID, schema: CampaignSchema, writes: Sequence[ResponseWrite]
) -> None:
    """Write answers in Argilla as their users' (at most 500 records per request)."""
    by_record: dict[UUID, list[dict]] = {}
    for write in writes:
        by_record.setdefault(write.record_id, []).append(
            {
                "user_id": str(write.user_id),
                "status": write.status,
                "values": _values_to_argilla(schema, write.values) or None,
            }
        )
    items = [{"id": str(record_id), "responses": rs} for record_id, rs in by_record.items()]
    for start in range(0, len(items), MAX_BULK):
        chunk = items[start : start + MAX_BULK]
        _request("PUT", f"/api/v1/datasets/{dataset_id}/records/bulk", json={"items": chunk})


def records_with_responses(
    *, dataset_id: UUID, schema: CampaignSchema, offset: int, limit: int = LIST_PAGE
) -> tuple[list[ArgillaRecord], int]:
    """Return one page of the dataset's records with every user's answers, and the total."""
    body = _request(
        "GET",
        f"/api/v1/datasets/{dataset_id}/records",
        params={"include": "responses", "offset": offset, "limit": limit},
    ).json()
    return [_record_from(item, schema) for item in body["items"]], body["total"]


def record_get(*, record_id: UUID, schema: CampaignSchema) -> ArgillaRecord | None:
    """Return one record with its answers, or None if Argilla has no such record."""
    try:
        body = _request("GET", f"/api/v1/records/{record_id}", params={"include": "responses"})
    except ArgillaRejected:
        return None
    return _record_from(body.json(), schema)


def _record_from(item: dict, schema: CampaignSchema) -> ArgillaRecord:
    return ArgillaRecord(
        id=UUID(item["id"]),
        external_id=item.get("external_id") or "",
        responses=tuple(
            ArgillaResponse(
                user_id=UUID(response["user_id"]),
                username="",
                status=response["status"],
                values=_values_from_argilla(schema, response.get("values")),
                updated_at=_parse_time(response["updated_at"]),
            )
            for response in item.get("responses") or []
        ),
    )


def _values_to_argilla(schema: CampaignSchema, values: Mapping) -> dict:
    result = {}
    for name, value in values.items():
        if name not in schema.questions or value in (None, "", []):
            continue
        argilla_question, kind = schema.questions[name]
        if kind == Question.Kind.RATING:
            value = int(value)
        result[argilla_question] = {"value": value}
    return result


def _values_from_argilla(schema: CampaignSchema, values: Mapping | None) -> dict:
    result = {}
    for argilla_question, answer in (values or {}).items():
        found = schema.question_for(argilla_question)
        if found is None or not isinstance(answer, Mapping):
            continue
        name, kind = found
        value = answer.get("value")
        result[name] = str(value) if kind == Question.Kind.RATING and value is not None else value
    return result


# ---------------------------------------------------------------------------------------------
# Users


def user_get(*, user_id: UUID | None = None, username: str = "") -> ArgillaUser | None:
    """Return the Argilla user with that id or username, or None."""
    if user_id is not None:
        try:
            return _user_from(_request("GET", f"/api/v1/users/{user_id}").json())
        except ArgillaRejected:
            return None
    for item in _request("GET", "/api/v1/users").json()["items"]:
        if item["username"] == username:
            return _user_from(item)
    return None


def user_create(*, username: str, password: str, role: str = "annotator") -> ArgillaUser:
    """Create an Argilla user (an annotator unless told otherwise)."""
    rg, client = _sdk()
    with _sdk_errors():
        user = rg.User(
            username=username, first_name=username, password=password, role=role, client=client
        ).create()
    role = getattr(user.role, "value", user.role)
    return ArgillaUser(id=user.id, username=user.username, role=str(role))


def user_password_set(*, user_id: UUID, password: str) -> None:
    """Give an Argilla user a new password."""
    _request("PATCH", f"/api/v1/users/{user_id}", json={"password": password})


def workspace_user_add(*, workspace_id: UUID, user_id: UUID) -> None:
    """Make the user a member of the workspace (already one is fine)."""
    try:
        _request("POST", f"/api/v1/workspaces/{workspace_id}/users", json={"user_id": str(user_id)})
    except ArgillaRejected as exc:
        if " 409 " not in str(exc):
            raise


def password_new() -> str:
    """Return a new random password that Argilla accepts."""
    return secrets.token_urlsafe(12)


def _user_from(item: dict) -> ArgillaUser:
    return ArgillaUser(id=UUID(item["id"]), username=item["username"], role=item["role"])


# ---------------------------------------------------------------------------------------------
# Webhooks


def webhook_create(*, url: str) -> tuple[UUID, str]:
    """Register a webhook for answer events at url, dropping older ones there; return id, secret."""
    rg, client = _sdk()
    with _sdk_errors():
        for webhook in client.webhooks.list():
            # A webhook there whose secret Somos lost can never be verified: replace it.
            if webhook.url == url:
                webhook.delete()
        created = rg.Webhook(
            url=url, events=list(EVENTS), description="Somos sync", _client=client
        ).create()
    return created.id, created.secret


def webhook_exists(*, webhook_id: UUID) -> bool:
    """Say whether Argilla still has that webhook, enabled."""
    for item in _request("GET", "/api/v1/webhooks").json()["items"]:
        if item["id"] == str(webhook_id):
            return bool(item.get("enabled", True))
    return False


def webhook_verify(*, body: bytes, headers: Mapping[str, str], secrets_: Iterable[str]) -> dict:
    """Check the Standard Webhooks signature and age; return the verified payload."""
    wanted = {
        name: headers.get(name, "")
        for name in ("webhook-id", "webhook-timestamp", "webhook-signature")
    }
    error = "no webhook secret is configured"
    for secret in secrets_:
        try:
            # verify() also refuses a timestamp more than five minutes off either way.
            Webhook(secret).verify(body, wanted, json_parse=False)
        except WebhookVerificationError as exc:
            error = str(exc)
        except ValueError:
            # The library trusts its input: a body that is not UTF-8, or a signature
            # header that is not "v1,<base64>", raises instead of failing verification.
            error = "malformed signature header or body"
        else:
            return _webhook_payload(body)
    raise WebhookRejected(error)


def _webhook_payload(body: bytes) -> dict:
    try:
        payload = json.loads(body)
    except (ValueError, RecursionError) as exc:
        raise WebhookMalformed(f"the body is not JSON ({exc})") from None
    if not isinstance(payload, dict):
        raise WebhookMalformed("the body is not a JSON object")
    return payload


def event_parse(payload: Mapping, *, schema_for) -> ArgillaEvent | None:
    """Turn a verified payload into an event; None for event types Somos does not use.

    schema_for(dataset_id) returns the campaign schema of that dataset, or None. A payload
    of a used type without the fields and types Argilla sends raises WebhookMalformed.
    """
    kind = payload.get("type")
    if kind not in EVENTS:
        return None
    try:
        return _event_from(kind, payload, schema_for)
    except (KeyError, TypeError, ValueError, AttributeError) as exc:
        raise WebhookMalformed(f"{kind} without the expected fields ({exc!r})") from None


def _event_from(kind: str, payload: Mapping, schema_for) -> ArgillaEvent | None:
    data = payload.get("data") or {}
    record = data.get("record") if kind.startswith("response.") else data
    dataset_id = UUID(record["dataset"]["id"])
    schema = schema_for(dataset_id)
    if schema is None:
        return None
    response = None
    if kind.startswith("response."):
        response = ArgillaResponse(
            user_id=UUID(data["user"]["id"]),
            username=_text(data["user"]["username"]),
            status=_text(data["status"]),
            values=_values_from_argilla(schema, data.get("values")),
            updated_at=_parse_time(data["updated_at"]),
        )
    return ArgillaEvent(
        type=kind,
        timestamp=_parse_time(payload.get("timestamp")) or datetime.now(UTC),
        dataset_id=dataset_id,
        record_id=UUID(record["id"]),
        external_id=_text(record.get("external_id") or ""),
        response=response,
    )


def _text(value: object) -> str:
    if not isinstance(value, str):
        raise TypeError(f"expected text, not {type(value).__name__}")
    if "\x00" in value:
        # Names and ids are stored as they come; PostgreSQL refuses NUL characters.
        raise ValueError("text with a NUL character")
    return value


def public_url() -> str:
    """Return the address where people open Argilla (its UI shares the API's base URL)."""
    return settings.ARGILLA_API_URL.rstrip("/")
