"""Reads the volunteer pages share."""

from __future__ import annotations

from django.contrib.auth.models import AbstractBaseUser
from django.db import connection

from annotation import rows
from annotation.assignment import HELD_OR_ANSWERED
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


# The record, if it is this volunteer's to open (assignment.HELD_OR_ANSWERED). Written out
# for the same reason as the assignment's statements.
_VOLUNTEER_RECORD = f"""
    SELECT {rows.columns(Record, "record")} FROM campaigns_record record
    WHERE record.id = %(record)s AND record.campaign_id = %(campaign)s
      AND {HELD_OR_ANSWERED}
"""  # noqa: S608 (model columns)


def volunteer_record(
    *, campaign: Campaign, record_id: int, user: AbstractBaseUser
) -> Record | None:
    """The campaign's record if the volunteer holds or answered it, else None."""
    with connection.cursor() as cursor:
        cursor.execute(
            _VOLUNTEER_RECORD, {"record": record_id, "campaign": campaign.pk, "user": user.pk}
        )
        found = cursor.fetchone()
    return rows.instance_from(Record, "record", found) if found else None


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
    response, values = _response_and_values(record=record, user=user, values=values)
    progress, my_submitted = campaign_progress_and_mine(campaign=campaign, user=user)
    return {
        "campaign": campaign,
        "record": record,
        "response": response,
        **record_shown(campaign=campaign, record=record, values=values),
        "is_edit": response is not None and response.status == Response.Status.SUBMITTED,
        "my_submitted": my_submitted,
        "progress": progress,
        **_guide_panel(campaign),
    }


def annotation_next(*, campaign: Campaign, record: Record, user: AbstractBaseUser) -> dict:
    """What the annotate page's script needs to show the next record in place.

    The page's frame (guide, shortcuts, questions) stays; only the record, its draft values
    and the counts change.
    """
    # Never an answer already submitted: assignment offers only records still to answer.
    _response, values = _response_and_values(record=record, user=user, values=None)
    progress, my_submitted = campaign_progress_and_mine(campaign=campaign, user=user)
    return {
        **record_shown(campaign=campaign, record=record, values=values),
        "my_submitted": my_submitted,
        "progress": progress,
    }


def _response_and_values(
    *, record: Record, user: AbstractBaseUser, values: dict | None
) -> tuple[Response | None, dict]:
    fresh = getattr(record, "assigned_fresh", False)
    response = None if fresh else Response.objects.filter(record=record, user=user).first()
    if values is None:
        values = dict(response.values) if response else {}
    return response, values


def record_shown(*, campaign: Campaign, record: Record, values: dict) -> dict:
    """The record's pieces as the annotate page shows them, with the answer's values."""
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
    return {"pieces": pieces, "record_reasons": reasons.get("", []), "general_questions": general}


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
