"""What the API takes and answers, as its OpenAPI document describes them."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from ninja import Field, Schema
from pydantic import ConfigDict

from campaigns.importers.presets import PRESETS
from campaigns.models import Campaign, Job
from dashboards.selectors import WINDOWS
from leaderboard.export.services import INCLUDE_CHOICES

Preset = Literal[tuple(PRESETS)]  # type: ignore[valid-type]
CampaignStatus = Literal[tuple(Campaign.Status.values)]  # type: ignore[valid-type]
JobStatus = Literal[tuple(Job.Status.values)]  # type: ignore[valid-type]
Window = Literal[tuple(WINDOWS)]  # type: ignore[valid-type]
Include = Literal[tuple(INCLUDE_CHOICES)]  # type: ignore[valid-type]
Action = Literal["launch", "pause", "resume", "close"]


class _Strict(Schema):
    # A misspelt field is refused, not ignored: a PATCH must not seem to change what it did not.
    model_config = ConfigDict(extra="forbid")


class FieldError(Schema):
    field: str | None = Field(description="The field the message is about; null for the request.")
    message: str


class ErrorOut(Schema):
    detail: str
    errors: list[FieldError] = []


class ProgressOut(Schema):
    records_total: int
    records_completed: int
    records_validated: int
    records_disputed: int
    responses_submitted: int
    contributors: int
    percent_completed: int


class CampaignOut(Schema):
    slug: str
    name: str
    description: str
    kind: str
    preset: str
    status: CampaignStatus
    source_language: str
    target_language: str
    overlap: int
    is_public: bool
    triage_first: bool
    records: int = Field(description="How many records the campaign holds.")
    progress: ProgressOut
    created_at: datetime
    launched_at: datetime | None
    url: str = Field(description="The campaign's page on the site.")
    argilla_workspace: str | None = Field(description="Shown to its organizers only.")
    argilla_dataset: str | None = Field(description="Shown to its organizers only.")


class CampaignListOut(Schema):
    count: int
    items: list[CampaignOut]


class FieldMapping(Schema):
    id: str = Field(description="The column that identifies each row.")
    pairs: list[list[str]] = Field(description="[source column, translation column] pairs.")
    metadata: list[str] = []


class CampaignIn(_Strict):
    slug: str = Field(description="Letters, digits, hyphens and underscores; the campaign's URL.")
    name: str
    preset: Preset = Field(description="The dataset layout its records are read in.")
    description: str = ""
    source_language: str = "en"
    target_language: str = "es"
    overlap: int = Field(2, description="How many answers each record needs.")
    field_mapping: FieldMapping | None = Field(None, description="For the generic preset only.")


class CampaignPatch(_Strict):
    name: str | None = None
    description: str | None = None
    overlap: int | None = None
    source_language: str | None = None
    target_language: str | None = None
    is_public: bool | None = None
    triage_first: bool | None = None
    argilla_workspace: str | None = None
    argilla_dataset: str | None = None


class StatusIn(_Strict):
    action: Action = Field(
        description="launch (a draft), pause (an active campaign), resume (a paused one), close."
    )


class ExportIn(_Strict):
    include: Include = Field(
        "validated", description="validated: records with consensus; pending: every record."
    )


class JobOut(Schema):
    id: int
    kind: str
    status: JobStatus
    campaign: str | None
    done: int
    total: int | None
    percent: int | None
    rows_per_s: float | None
    seconds_left: int | None
    messages: list[str]
    errors: list[str] = Field(description="Why it failed; empty unless it did.")
    result: dict[str, Any]
    result_url: str | None = Field(description="Where a finished export's archive is downloaded.")
    created_at: datetime
    started_at: datetime | None
    finished_at: datetime | None


class RankingRowOut(Schema):
    rank: int
    display_name: str = Field(description="A public name, or a pseudonym for who did not opt in.")
    submitted: int
    corrections: int


class RankingOut(Schema):
    window: Window
    ranking: list[RankingRowOut]
