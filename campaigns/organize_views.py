"""Organizer pages: create, import, preview, adjust and launch campaigns."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from campaigns.access import can_create_campaigns, creator_required, organizer_required
from campaigns.forms import (
    FILE_TOO_LARGE,
    CampaignCreateForm,
    CampaignSettingsForm,
    ImportForm,
    OrganizerAddForm,
    QuestionFormSet,
    SourceFields,
)
from campaigns.jobs.selectors import campaign_jobs
from campaigns.jobs.services import import_job_start
from campaigns.models import Campaign, Job
from campaigns.selectors import campaigns_to_organize, records_preview
from campaigns.services import (
    ALLOWED_TRANSITIONS,
    QuestionNotInCampaign,
    TransitionNotAllowed,
    campaign_organizer_add,
    campaign_settings_save,
    campaign_status_change,
)


@require_GET
@login_required
def organize_index(request: HttpRequest) -> HttpResponse:
    """Campaign creators and organizers: the campaigns they organize."""
    campaigns = campaigns_to_organize(user=request.user)
    may_create = can_create_campaigns(request.user)
    if not may_create and not campaigns.exists():
        raise PermissionDenied
    return render(
        request,
        "campaigns/organize/index.html",
        {"campaigns": campaigns, "may_create": may_create},
    )


@require_http_methods(["GET", "POST"])
@creator_required
def campaign_new(request: HttpRequest) -> HttpResponse:
    """Campaign creators: a new campaign from a preset and an uploaded or linked source."""
    if request.method == "POST":
        form = CampaignCreateForm(request.POST, request.FILES)
    else:
        form = CampaignCreateForm()
    import_errors: list[str] = []
    if form.is_bound and form.is_valid():
        data = form.cleaned_data
        job = import_job_start(
            user=request.user,
            create={
                "slug": data["slug"],
                "name": data["name"],
                "preset": data["preset"],
                "description": data["description"],
                "overlap": data["overlap"],
                "source_language": data["source_language"],
                "target_language": data["target_language"],
                "field_mapping": data["field_mapping"],
            },
            **_job_sources(data),
        )
        if not job.finished:
            # The import runs in the background; its page shows the progress and goes on to
            # the preview when it ends.
            return redirect("job_detail", job_id=job.pk)
        if job.status == Job.Status.SUCCEEDED:
            _imported(request, job)
            return redirect("campaign_preview", slug=job.campaign.slug)
        # Nothing was created: the form comes back with its fields as sent (files must
        # be chosen again: browsers never refill a file input) and the data's errors.
        import_errors = job.messages
    if import_errors:
        status = 400
    elif form.is_bound:
        status = _refused_status(form)
    else:
        status = 200
    return render(
        request,
        "campaigns/organize/new.html",
        {"form": form, "import_errors": import_errors},
        status=status,
    )


def _refused_status(form: SourceFields) -> int:
    """Return 413 when an upload is too large, else 400, for a form that was refused."""
    too_large = any(
        form.has_error(name, FILE_TOO_LARGE) for name in ("source_file", "translation_file")
    )
    return 413 if too_large else 400


def _job_sources(data: dict) -> dict:
    """The form's uploads, or else its hub dataset, as import_job_start takes them."""
    if data.get("source_file") is not None:
        return {"files": [data.get("source_file"), data.get("translation_file")]}
    return {"hub": {"name": data["hub_name"], "config": data["hub_config"], "split": data["split"]}}


def _imported(request: HttpRequest, job: Job) -> None:
    messages.success(
        request,
        _("Imported %(created)s new and %(updated)s updated records.")
        % {"created": job.result["created"], "updated": job.result["updated"]},
    )


def _import(request: HttpRequest, campaign: Campaign, data: dict) -> bool:
    """Start importing the form's source; say what happened. A failed run keeps its errors."""
    job = import_job_start(user=request.user, campaign=campaign, **_job_sources(data))
    if not job.finished:
        messages.success(
            request, _("The import has started; its progress is shown under Background jobs.")
        )
    elif job.status == Job.Status.SUCCEEDED:
        _imported(request, job)
    else:
        messages.error(
            request,
            _("The data was not imported: nothing changed. See the errors below."),
        )
        return False
    return True


@require_GET
@organizer_required
def campaign_manage(request: HttpRequest, campaign: Campaign) -> HttpResponse:
    """Organizers: status, counts, lifecycle actions and the import history."""
    return _manage_page(request, campaign)


def _manage_page(request: HttpRequest, campaign: Campaign, *, status: int = 200) -> HttpResponse:
    return render(
        request,
        "campaigns/organize/manage.html",
        {
            "campaign": campaign,
            "import_form": ImportForm(),
            "organizer_form": OrganizerAddForm() if request.user.is_staff else None,
            "transitions": ALLOWED_TRANSITIONS[Campaign.Status(campaign.status)],
            "import_runs": campaign.import_runs.select_related("created_by")[:20],
            "jobs": campaign_jobs(campaign=campaign),
            "organizers": campaign.organizers.all(),
        },
        status=status,
    )


@require_POST
@organizer_required
def campaign_import(request: HttpRequest, campaign: Campaign) -> HttpResponse:
    """Organizers: import more records, or new versions of existing ones."""
    form = ImportForm(request.POST, request.FILES)
    if form.is_valid():
        form.check_translation_for(campaign.preset)
    if not form.is_valid():
        for errors in form.errors.values():
            for error in errors:
                messages.error(request, error)
        return _manage_page(request, campaign, status=_refused_status(form))
    if not _import(request, campaign, form.cleaned_data):
        return _manage_page(request, campaign, status=400)
    return redirect("campaign_manage", slug=campaign.slug)


@require_GET
@organizer_required
def campaign_preview(request: HttpRequest, campaign: Campaign) -> HttpResponse:
    """Organizers: the first records as volunteers will see them."""
    return render(
        request,
        "campaigns/organize/preview.html",
        {
            "campaign": campaign,
            "records": records_preview(campaign=campaign, limit=5),
            "questions": campaign.questions.all(),
        },
    )


@require_http_methods(["GET", "POST"])
@organizer_required
def campaign_settings(request: HttpRequest, campaign: Campaign) -> HttpResponse:
    """Organizers: description, overlap, languages, leaderboard target and questions."""
    form = CampaignSettingsForm(request.POST or None, instance=campaign)
    questions = QuestionFormSet(
        request.POST or None, queryset=campaign.questions.all(), prefix="questions"
    )
    if request.method == "POST" and form.is_valid() and questions.is_valid():
        try:
            campaign_settings_save(
                campaign=campaign,
                fields={name: form.cleaned_data[name] for name in form.changed_data},
                questions={
                    question_form.instance.pk: {
                        name: question_form.cleaned_data[name]
                        for name in question_form.changed_data
                    }
                    for question_form in questions.forms
                    if question_form.changed_data
                },
            )
        except QuestionNotInCampaign:
            # A question removed since the page was loaded (the formset checked the rest).
            messages.error(
                request,
                _(
                    "The questions sent are not this campaign's questions; nothing was "
                    "saved. Reload the page and try again."
                ),
            )
        else:
            messages.success(request, _("Settings saved."))
            return redirect("campaign_manage", slug=campaign.slug)
    if request.method == "POST":
        # The form wrote what it was sent onto the instance; the page shows the saved name.
        campaign.refresh_from_db()
    return render(
        request,
        "campaigns/organize/settings.html",
        {"campaign": campaign, "form": form, "questions": questions},
        status=400 if request.method == "POST" else 200,
    )


@require_POST
@organizer_required
def campaign_status(request: HttpRequest, campaign: Campaign) -> HttpResponse:
    """Organizers: launch, pause, resume or close the campaign."""
    try:
        status = Campaign.Status(request.POST.get("status", ""))
    except ValueError:
        messages.error(request, _("Unknown status."))
        return redirect("campaign_manage", slug=campaign.slug)
    try:
        campaign_status_change(campaign=campaign, status=status)
    except TransitionNotAllowed as error:
        messages.error(request, str(error))
    else:
        messages.success(request, _("The campaign is now %(status)s.") % {"status": status.label})
    return redirect("campaign_manage", slug=campaign.slug)


@require_POST
@organizer_required
def campaign_organizers(request: HttpRequest, campaign: Campaign) -> HttpResponse:
    """Staff: give someone organizer rights on this campaign."""
    if not request.user.is_staff:
        raise PermissionDenied
    form = OrganizerAddForm(request.POST)
    if form.is_valid():
        campaign_organizer_add(campaign=campaign, user=form.cleaned_data["user"])
        messages.success(
            request, _("%(email)s is now an organizer.") % {"email": form.cleaned_data["email"]}
        )
    else:
        for error in form.errors["email"]:
            messages.error(request, error)
    return redirect("campaign_manage", slug=campaign.slug)
