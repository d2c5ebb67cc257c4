"""Review pages: the disputed-records queue, side-by-side answers and the final decision;
agreement for organizers."""

from __future__ import annotations

from django.contrib import messages
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods

from annotation.agreement import (
    campaign_agreement,
    contributors_agreement,
    disputes_per_guide_version,
)
from annotation.consensus.rule import CORRECTION_SUFFIX, VERDICT, reason_label, text_normalise
from annotation.consensus.services import ReviewRejected, consensus_decide
from annotation.models import Consensus, Response
from campaigns.access import organizer_required, reviewer_required
from campaigns.importers.presets import preset_get
from campaigns.models import Campaign, Record

QUEUE_PAGE_SIZE = 50
CUSTOM = "__custom__"


@require_GET
@reviewer_required
def review_queue(request: HttpRequest, campaign: Campaign) -> HttpResponse:
    """Reviewers, organizers and staff: the campaign's disputed records, oldest first."""
    disputed = (
        campaign.records.filter(status=Record.Status.DISPUTED)
        .select_related("consensus")
        .order_by("id")
    )
    page = Paginator(disputed, QUEUE_PAGE_SIZE).get_page(request.GET.get("page"))
    for record in page:
        consensus = getattr(record, "consensus", None)
        record.reason_text = reason_label(consensus.reason) if consensus else ""
    return render(
        request,
        "annotation/review/queue.html",
        {"campaign": campaign, "page": page, "count": page.paginator.count},
    )


@require_http_methods(["GET", "POST"])
@reviewer_required
def review_record(request: HttpRequest, campaign: Campaign, record_id: int) -> HttpResponse:
    """Reviewers, organizers and staff: every answer side by side, and the final decision."""
    record = get_object_or_404(campaign.records.select_related("consensus"), pk=record_id)
    consensus: Consensus | None = getattr(record, "consensus", None)
    if request.method == "POST":
        return _decide(request, campaign, record, consensus)
    answers = list(
        Response.objects.filter(record=record, status=Response.Status.SUBMITTED).order_by("id")
    )
    verdict_question = campaign.questions.filter(name=VERDICT).first()
    verdicts = verdict_question.options if verdict_question else []
    labels = {option["value"]: option["text"] for option in verdicts}
    return render(
        request,
        "annotation/review/record.html",
        {
            "campaign": campaign,
            "record": record,
            "consensus": consensus,
            "reason": reason_label(consensus.reason) if consensus else "",
            "decidable": record.status == Record.Status.DISPUTED
            and not (consensus and consensus.reviewed),
            "answers": [
                {"number": number, "verdict": labels.get(answer.values.get(VERDICT), "—")}
                for number, answer in enumerate(answers, start=1)
            ],
            "pieces": _pieces(campaign, record, answers, consensus),
            "verdicts": verdicts,
            "chosen_verdict": consensus.verdict if consensus else "",
            "custom": CUSTOM,
        },
    )


def _pieces(
    campaign: Campaign, record: Record, answers: list[Response], consensus: Consensus | None
) -> list[dict]:
    """Return each piece with every answer's text and the distinct texts to choose from."""
    preset = preset_get(campaign.preset)
    decided = consensus.pieces if consensus else {}
    pieces = []
    for piece in record.fields:
        name, machine = piece["name"], piece["translation"]
        machine_key = text_normalise(machine)
        texts = []
        options: dict[str, dict] = {machine_key: {"text": machine, "count": 0, "machine": True}}
        for answer in answers:
            given = answer.values.get(name + CORRECTION_SUFFIX)
            text = given if isinstance(given, str) and given.strip() else machine
            key = text_normalise(text)
            option = options.setdefault(key, {"text": text.strip(), "count": 0, "machine": False})
            option["count"] += 1
            texts.append({"text": text, "changed": key != machine_key})
        chosen = decided.get(name) or machine
        chosen_key = text_normalise(chosen)
        pieces.append(
            {
                "name": name,
                "label": preset.piece_label(name),
                "source": piece["source"],
                "translation": machine,
                "answers": texts,
                "options": [
                    {**option, "chosen": key == chosen_key} for key, option in options.items()
                ],
                "custom_text": "" if chosen_key in options else chosen,
            }
        )
    return pieces


def _decide(
    request: HttpRequest, campaign: Campaign, record: Record, consensus: Consensus | None
) -> HttpResponse:
    pieces = {}
    for piece in record.fields:
        field = f"piece-{piece['name']}"
        choice = request.POST.get(field, "")
        pieces[piece["name"]] = (
            request.POST.get(f"{field}-custom", "") if choice == CUSTOM else choice
        )
    try:
        consensus_decide(
            record=record,
            reviewer=request.user,
            verdict=request.POST.get("verdict", ""),
            pieces=pieces,
            note=request.POST.get("note", ""),
        )
    except ReviewRejected as rejection:
        messages.error(request, str(rejection))
        return redirect("campaign_review_record", slug=campaign.slug, record_id=record.pk)
    messages.success(
        request, _("Decision recorded for %(record)s.") % {"record": record.external_id}
    )
    following = (
        campaign.records.filter(status=Record.Status.DISPUTED, pk__gt=record.pk)
        .order_by("id")
        .values_list("pk", flat=True)
        .first()
    )
    if following:
        return redirect("campaign_review_record", slug=campaign.slug, record_id=following)
    return redirect("campaign_review_queue", slug=campaign.slug)


@require_GET
@organizer_required
def campaign_agreement_view(request: HttpRequest, campaign: Campaign) -> HttpResponse:
    """Organizers: agreement per question and each contributor's agreement with consensus."""
    return render(
        request,
        "annotation/review/agreement.html",
        {
            "campaign": campaign,
            "agreement": campaign_agreement(campaign=campaign),
            "contributors": [
                {
                    "counter": counter,
                    "rate": counter.agreements / counter.agreement_checks,
                }
                for counter in contributors_agreement(campaign=campaign)
            ],
            "guide_versions": disputes_per_guide_version(campaign=campaign),
        },
    )
