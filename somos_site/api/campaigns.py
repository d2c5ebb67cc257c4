"""Campaigns: list, create, read, change, launch and close them; import, export, rank."""

from __future__ import annotations

from django import forms
from django.contrib.auth.models import AbstractBaseUser
from django.core.exceptions import ObjectDoesNotExist, PermissionDenied
from django.http import Http404, HttpRequest
from django.urls import reverse
from django.utils.translation import gettext as _
from ninja import File, Form, Query, Router, Status
from ninja.files import UploadedFile

from campaigns.access import can_create_campaigns, can_organize, may_see, public_campaigns
from campaigns.forms import FILE_TOO_LARGE, CampaignFields, CampaignSettingsForm, ImportForm
from campaigns.importers.presets import mapping_parse
from campaigns.jobs.services import import_job_start
from campaigns.models import CAMPAIGN_SETTINGS, Campaign
from campaigns.selectors import campaigns_organized_by
from campaigns.services import (
    TransitionNotAllowed,
    campaign_create,
    campaign_settings_update,
    campaign_status_change,
)
from dashboards.models import CampaignCounter
from dashboards.selectors import progress_of, ranking_for_campaign
from leaderboard.export.jobs import export_job_start
from somos_site.api.errors import ApiError, form_refused
from somos_site.api.jobs import job_json
from somos_site.api.schemas import (
    CampaignIn,
    CampaignListOut,
    CampaignOut,
    CampaignPatch,
    ErrorOut,
    ExportIn,
    JobOut,
    RankingOut,
    StatusIn,
    Window,
)

router = Router(tags=["campaigns"])

# The errors each route may answer, for the OpenAPI document.
ANYONE = {400: ErrorOut, 401: ErrorOut, 429: ErrorOut}
SEEING = {**ANYONE, 404: ErrorOut}
ORGANIZING = {**SEEING, 403: ErrorOut}

# Each action: the status it leads to and, where two actions lead to the same one, the
# status it starts from (launch a draft, resume a paused campaign).
ACTIONS = {
    "launch": (Campaign.Status.ACTIVE, Campaign.Status.DRAFT),
    "pause": (Campaign.Status.PAUSED, None),
    "resume": (Campaign.Status.ACTIVE, Campaign.Status.PAUSED),
    "close": (Campaign.Status.CLOSED, None),
}
# The import form's fields as the API names them.
IMPORT_FIELDS = {"source_file": "source", "translation_file": "translation"}


def _campaign(user: AbstractBaseUser, slug: str, *, organize: bool = False) -> Campaign:
    """The campaign if the user may see it (404 otherwise); 403 if they may not organize it."""
    campaign = Campaign.objects.select_related("counter").filter(slug=slug).first()
    if campaign is None or not may_see(user, campaign):
        raise Http404
    if organize and not can_organize(user, campaign):
        raise PermissionDenied
    return campaign


def _progress(campaign: Campaign) -> dict:
    try:
        counter = campaign.counter
    except ObjectDoesNotExist:
        counter = CampaignCounter(campaign=campaign)
    return progress_of(counter)


def campaign_json(request: HttpRequest, campaign: Campaign, *, organizer: bool) -> dict:
    """The campaign as the API shows it; its Argilla names only to its organizers."""
    progress = _progress(campaign)
    return {
        "slug": campaign.slug,
        "name": campaign.name,
        "description": campaign.description,
        "kind": campaign.kind,
        "preset": campaign.preset,
        "status": campaign.status,
        "source_language": campaign.source_language,
        "target_language": campaign.target_language,
        "overlap": campaign.overlap,
        "is_public": campaign.is_public,
        "triage_first": campaign.triage_first,
        "records": progress["records_total"],
        "progress": progress,
        "created_at": campaign.created_at,
        "launched_at": campaign.launched_at,
        "url": request.build_absolute_uri(reverse("campaign_detail", args=[campaign.slug])),
        "argilla_workspace": campaign.argilla_workspace if organizer else None,
        "argilla_dataset": campaign.argilla_dataset if organizer else None,
    }


@router.get("/campaigns", response={200: CampaignListOut, **ANYONE}, summary="List campaigns")
def campaign_list(
    request: HttpRequest, limit: int = Query(50, ge=1, le=200), offset: int = Query(0, ge=0)
):
    """The campaigns the caller may see: public ones past their draft, and those they organize."""
    user = request.user
    campaigns = (
        (public_campaigns() | campaigns_organized_by(user=user))
        .distinct()
        .select_related("counter")
        .order_by("-created_at", "-pk")
    )
    page = list(campaigns[offset : offset + limit])
    return {
        "count": campaigns.count(),
        "items": [
            campaign_json(request, campaign, organizer=can_organize(user, campaign))
            for campaign in page
        ],
    }


class _CampaignCreateForm(CampaignFields):
    """The new-campaign page's rules for the campaign's own fields, with its slug."""

    slug = forms.SlugField(max_length=80)

    def clean_slug(self) -> str:
        slug = self.cleaned_data["slug"]
        if Campaign.objects.filter(slug=slug).exists():
            raise forms.ValidationError(_("A campaign with this short name exists already."))
        return slug


@router.post(
    "/campaigns",
    response={201: CampaignOut, 403: ErrorOut, 413: ErrorOut, **ANYONE},
    summary="Create a campaign (a draft, without records)",
)
def campaign_new(request: HttpRequest, payload: CampaignIn):
    """Campaign creators: a draft campaign with the preset's questions; import records next."""
    user = request.user
    if not can_create_campaigns(user):
        raise PermissionDenied
    data = payload.model_dump()
    form = _CampaignCreateForm(data)
    if not form.is_valid():
        raise form_refused(form)
    mapping: dict = {}
    if payload.preset == "generic":
        mapping = data["field_mapping"]
        try:
            mapping_parse(mapping)
        except ValueError as error:
            raise ApiError(
                400, _("The request is not valid."), [("field_mapping", str(error))]
            ) from None
    elif payload.field_mapping is not None:
        raise ApiError(
            400,
            _("The request is not valid."),
            [("field_mapping", _("Only the generic preset takes a column mapping."))],
        )
    fields = {name: form.cleaned_data[name] for name in ("slug", "name", "description", "overlap")}
    campaign = campaign_create(
        **fields,
        preset=payload.preset,
        source_language=form.cleaned_data["source_language"],
        target_language=form.cleaned_data["target_language"],
        field_mapping=mapping,
        organizers=[user],
    )
    campaign = _campaign(user, campaign.slug)
    return Status(201, campaign_json(request, campaign, organizer=True))


@router.get("/campaigns/{slug}", response={200: CampaignOut, **SEEING}, summary="Read a campaign")
def campaign_detail(request: HttpRequest, slug: str):
    """Anyone who may see the campaign: its settings, status, records and progress."""
    campaign = _campaign(request.user, slug)
    return campaign_json(request, campaign, organizer=can_organize(request.user, campaign))


@router.patch(
    "/campaigns/{slug}", response={200: CampaignOut, **ORGANIZING}, summary="Change its settings"
)
def campaign_settings(request: HttpRequest, slug: str, payload: CampaignPatch):
    """Organizers: change the settings the settings page changes, by the same rules."""
    campaign = _campaign(request.user, slug, organize=True)
    changes = payload.model_dump(exclude_unset=True)
    current = {name: getattr(campaign, name) for name in CAMPAIGN_SETTINGS}
    form = CampaignSettingsForm({**current, **changes}, instance=campaign)
    if not form.is_valid():
        raise form_refused(form)
    if changes:
        campaign_settings_update(
            campaign=campaign, **{name: form.cleaned_data[name] for name in changes}
        )
    campaign = _campaign(request.user, slug)
    return campaign_json(request, campaign, organizer=True)


@router.post(
    "/campaigns/{slug}/status",
    response={200: CampaignOut, 409: ErrorOut, **ORGANIZING},
    summary="Launch, pause, resume or close",
)
def campaign_status(request: HttpRequest, slug: str, payload: StatusIn):
    """Organizers: move the campaign along draft → active ⇄ paused → closed."""
    campaign = _campaign(request.user, slug, organize=True)
    status, starts_from = ACTIONS[payload.action]
    if starts_from is not None and campaign.status != starts_from:
        raise ApiError(
            409,
            _("“%(action)s” does not apply to a campaign in status “%(status)s”.")
            % {"action": payload.action, "status": campaign.get_status_display()},
            [("action", _("Not possible now."))],
        )
    try:
        campaign_status_change(campaign=campaign, status=status)
    except TransitionNotAllowed as refusal:
        raise ApiError(409, str(refusal), [("action", _("Not possible now."))]) from None
    campaign = _campaign(request.user, slug)
    return campaign_json(request, campaign, organizer=True)


@router.post(
    "/campaigns/{slug}/imports",
    response={202: JobOut, 413: ErrorOut, **ORGANIZING},
    summary="Import records (files or a Hugging Face dataset)",
)
def campaign_import(
    request: HttpRequest,
    slug: str,
    source: File[UploadedFile] = None,
    translation: File[UploadedFile] = None,
    hub_name: Form[str] = "",
    hub_config: Form[str] = "",
    split: Form[str] = "",
):
    """Organizers: import more records, or new versions of the same, in the background.

    Send `source` (JSONL, JSON, CSV or Parquet) and, for the Okapi presets, `translation`
    as multipart files; or name a Hugging Face dataset in `hub_name` (owner/name). The
    answer is the job: follow it at /api/v1/jobs/{id}.
    """
    campaign = _campaign(request.user, slug, organize=True)
    form = ImportForm(
        {"hub_name": hub_name, "hub_config": hub_config, "split": split},
        {"source_file": source, "translation_file": translation},
    )
    if form.is_valid():
        form.check_translation_for(campaign.preset)
    if not form.is_valid():
        too_large = any(form.has_error(name, FILE_TOO_LARGE) for name in IMPORT_FIELDS)
        raise form_refused(form, status=413 if too_large else 400, names=IMPORT_FIELDS)
    data = form.cleaned_data
    if data["source_file"] is not None:
        sources = {"files": [data["source_file"], data["translation_file"]]}
    else:
        sources = {
            "hub": {"name": data["hub_name"], "config": data["hub_config"], "split": data["split"]}
        }
    job = import_job_start(user=request.user, campaign=campaign, **sources)
    return Status(202, job_json(request, job))


@router.post(
    "/campaigns/{slug}/exports",
    response={202: JobOut, **ORGANIZING},
    summary="Export the validated dataset",
)
def campaign_export(request: HttpRequest, slug: str, payload: ExportIn | None = None):
    """Organizers: export the campaign to the leaderboard layout in the background.

    The finished job's `result_url` downloads the archive.
    """
    campaign = _campaign(request.user, slug, organize=True)
    include = payload.include if payload is not None else ExportIn().include
    job = export_job_start(campaign=campaign, include=include, user=request.user)
    return Status(202, job_json(request, job))


@router.get(
    "/campaigns/{slug}/ranking", response={200: RankingOut, **SEEING}, summary="The ranking"
)
def campaign_ranking(request: HttpRequest, slug: str, window: Window = "all"):
    """Anyone who may see the campaign: its top 50, public names only (all, 7d or 30d)."""
    campaign = _campaign(request.user, slug)
    rows = ranking_for_campaign(campaign=campaign, window=window, limit=50)
    return {"window": window, "ranking": [row.as_json() for row in rows]}
