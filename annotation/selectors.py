"""Reads the volunteer pages share."""

from __future__ import annotations

from django.contrib.auth.models import AbstractBaseUser

from annotation.models import Response
from campaigns.access import public_campaigns
from campaigns.importers.presets import preset_get
from campaigns.models import Campaign, Record
from campaigns.selectors import campaign_questions
from campaigns.triage.checks import reason_text
from dashboards.models import ContributorCounter
from dashboards.selectors import MILESTONE_EVERY, campaign_progress_and_mine
from guides.selectors import current_version_of, rendered_version


def volunteer_submitted_count(*, campaign: Campaign, user: AbstractBaseUser) -> int:
    """How many answers this volunteer has submitted in the campaign."""
    return (
        ContributorCounter.objects.filter(campaign=campaign, user=user)
        .values_list("submitted", flat=True)
        .first()
        or 0
    )


# The record, if this volunteer holds it or has answered it: records are handed out by
# assignment, so nobody opens or answers someone else's slot. One statement on every
# submit, written out for the same reason as the assignment's.
_VOLUNTEER_RECORD = """
    SELECT record.* FROM campaigns_record record
    WHERE record.id = %(record)s AND record.campaign_id = %(campaign)s
      AND (EXISTS (SELECT 1 FROM annotation_lease lease
                   WHERE lease.record_id = record.id AND lease.user_id = %(user)s)
           OR EXISTS (SELECT 1 FROM annotation_response answer
                      WHERE answer.record_id = record.id AND answer.user_id = %(user)s))
"""


def volunteer_record(
    *, campaign: Campaign, record_id: int, user: AbstractBaseUser
) -> Record | None:
    """The campaign's record if the volunteer holds or answered it, else None."""
    found = list(
        Record.objects.raw(
            _VOLUNTEER_RECORD, {"record": record_id, "campaign": campaign.pk, "user": user.pk}
        )
    )
    return found[0] if found else None


def other_active_campaigns(*, campaign: Campaign, user: AbstractBaseUser) -> list[Campaign]:
    """Active public campaigns other than this one, to suggest when this one is done."""
    return list(
        public_campaigns()
        .filter(status=Campaign.Status.ACTIVE)
        .exclude(pk=campaign.pk)
        .select_related("counter")
        .order_by("-launched_at")[:5]
    )


def annotation_context(
    *, campaign: Campaign, record: Record, user: AbstractBaseUser, values: dict | None
) -> dict:
    """Everything the annotate page shows for one record and one volunteer."""
    fresh = getattr(record, "assigned_fresh", False)
    response = None if fresh else Response.objects.filter(record=record, user=user).first()
    if values is None:
        values = dict(response.values) if response else {}
    questions = campaign_questions(campaign)
    correction_for = {q.field: q for q in questions if q.kind == q.Kind.TEXT and q.field}
    preset = preset_get(campaign.preset)
    correct = preset.correct_piece(record.metadata)
    reasons: dict[str, list[str]] = {}
    for flag in record.triage_flags:
        reasons.setdefault(flag.get("piece", ""), []).append(reason_text(flag))
    pieces = []
    for piece in record.fields:
        question = correction_for.get(piece["name"])
        pieces.append(
            {
                **piece,
                "label": preset.piece_label(piece["name"]),
                "question": question,
                "corrected": values.get(question.name, piece["translation"]) if question else None,
                "is_correct_answer": piece["name"] == correct,
                "reasons": reasons.get(piece["name"], []),
            }
        )
    general = [
        {"question": q, "value": values.get(q.name)}
        for q in questions
        if not (q.kind == q.Kind.TEXT and q.field)
    ]
    progress, my_submitted = campaign_progress_and_mine(campaign=campaign, user=user)
    return {
        "campaign": campaign,
        "record": record,
        "response": response,
        "pieces": pieces,
        "record_reasons": reasons.get("", []),
        "general_questions": general,
        "is_edit": response is not None and response.status == Response.Status.SUBMITTED,
        "my_submitted": my_submitted,
        "progress": progress,
        **_guide_panel(campaign),
    }


def _guide_panel(campaign: Campaign) -> dict:
    version = current_version_of(campaign)
    return {
        "guide_version": version,
        "guide_rendered": rendered_version(version) if version else None,
    }


def contributions_for(*, user: AbstractBaseUser) -> dict:
    """The volunteer's counts per campaign, milestones and recent answers."""
    counters = list(
        ContributorCounter.objects.filter(user=user)
        .select_related("campaign")
        .order_by("-last_submitted_at")
    )
    total = sum(counter.submitted for counter in counters)
    reached = total // MILESTONE_EVERY
    recent = (
        Response.objects.filter(user=user)
        .exclude(status=Response.Status.DISCARDED)
        .select_related("record", "campaign")
        .order_by("-updated_at")[:15]
    )
    skipped = Response.objects.filter(user=user, status=Response.Status.DISCARDED).count()
    corrections = sum(counter.corrections for counter in counters)
    return {
        "counters": counters,
        "total_submitted": total,
        "total_corrections": corrections,
        "skipped": skipped,
        "milestones": [MILESTONE_EVERY * n for n in range(1, reached + 1)],
        "next_milestone": MILESTONE_EVERY * (reached + 1),
        "to_next_milestone": MILESTONE_EVERY * (reached + 1) - total,
        "milestone_percent": int(100 * (total % MILESTONE_EVERY) / MILESTONE_EVERY),
        "recent": recent,
    }
