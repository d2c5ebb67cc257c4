"""Reads that campaign pages share."""

from __future__ import annotations

from django.db.models import Count, Q, QuerySet

from campaigns.access import may_see
from campaigns.importers.presets import preset_get
from campaigns.models import Campaign, Question, Record
from somos_site.cache import cached, forget, model_from_row, model_row

# Every annotate request reads the campaign and its questions; organizers change them once
# in a while, and the changes are forgotten when they commit (campaigns/apps.py).
CAMPAIGN_SECONDS = 60
QUESTIONS_SECONDS = 600


def campaign_visible_to(*, slug: str, user: object) -> Campaign | None:
    """Return the campaign if this user may see its pages."""
    campaign = Campaign.objects.filter(slug=slug).first()
    return campaign if campaign is not None and may_see(user, campaign) else None


def campaigns_organized_by(*, user) -> QuerySet[Campaign]:
    """Campaigns this user organizes (every campaign for staff), newest first."""
    campaigns = Campaign.objects.all()
    if not user.is_staff:
        campaigns = campaigns.filter(organizers=user)
    return campaigns.order_by("-created_at")


def campaigns_to_organize(*, user) -> QuerySet[Campaign]:
    """campaigns_organized_by, each with what waits for its organizers.

    `questions_open` counts the guide's unanswered questions; the disputed records are on the
    campaign's counter.
    """
    waiting = Q(guide__questions__status="open")
    return (
        campaigns_organized_by(user=user)
        .select_related("counter")
        .annotate(questions_open=Count("guide__questions", filter=waiting))
    )


def records_preview(*, campaign: Campaign, limit: int) -> list[dict]:
    """The campaign's first records with each piece's human label, as volunteers see them."""
    preset = preset_get(campaign.preset)
    return [
        {
            "external_id": record.external_id,
            "pieces": [
                {**piece, "label": preset.piece_label(piece["name"])} for piece in record.fields
            ],
        }
        for record in campaign.records.order_by("id")[:limit]
    ]


def active_campaign(slug: str) -> Campaign | None:
    """The active campaign with this slug; every annotate request asks, so cached briefly.

    A status change in another process reaches here within the cache's LOCAL_SECONDS; the
    answer itself is safe meanwhile, since the response's transaction reads the status again.
    """

    def load() -> tuple | None:
        found = Campaign.objects.filter(slug=slug).first()
        return model_row(found) if found else None

    row = cached(_campaign_key(slug), load, timeout=CAMPAIGN_SECONDS)
    if row is None:
        return None
    # A new instance per request: related objects it caches must not outlive the request.
    campaign = model_from_row(Campaign, row)
    return campaign if campaign.status == Campaign.Status.ACTIVE else None


def campaign_questions(campaign: Campaign) -> list[Question]:
    """The campaign's questions in order; every annotate request reads them, so cached."""
    return cached(
        _questions_key(campaign.pk),
        lambda: list(campaign.questions.all()),
        timeout=QUESTIONS_SECONDS,
    )


def campaign_cache_forget(*, slug: str, campaign_id: int) -> None:
    """Forget the cached campaign and its questions once the change commits."""
    forget(_campaign_key(slug), _questions_key(campaign_id))


def _campaign_key(slug: str) -> str:
    return f"campaign:{slug}"


def _questions_key(campaign_id: int) -> str:
    return f"questions:{campaign_id}"


def most_suspect_records(*, campaign: Campaign, top: int) -> list[Record]:
    """The campaign's most suspect records, most suspect first (then by id)."""
    return list(
        Record.objects.filter(campaign=campaign, suspicion__gt=0)
        .order_by("-suspicion", "id")
        .only("id", "external_id", "suspicion", "triage_flags")[:top]
    )
