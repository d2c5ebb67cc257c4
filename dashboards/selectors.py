"""Reads shared by dashboard pages, endpoints and consumers: counters only, never response scans."""

from __future__ import annotations

import json
import math
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from itertools import islice

from django.contrib.auth.models import AbstractBaseUser
from django.core.cache import cache
from django.core.serializers.json import DjangoJSONEncoder
from django.db import connection
from django.db.models import Case, Count, Max, Q, QuerySet, Sum, Value, When
from django.utils import timezone

from campaigns.access import may_see, public_campaigns
from campaigns.languages import languages_in_order
from campaigns.models import Campaign, Record
from dashboards.models import CampaignCounter, CampaignDay, ContributorCounter, ContributorDay
from dashboards.signals import suspect_fixed_asked
from somos_site.accounts.selectors import public_names

WINDOWS = {"all": None, "7d": 7, "30d": 30}
MILESTONE_EVERY = 50


def campaign_progress_visible_to(*, slug: str, user: object) -> bool:
    """Say whether this user may watch the campaign's progress (websockets and charts)."""
    campaign = Campaign.objects.filter(slug=slug).only("id", "is_public", "status").first()
    return campaign is not None and may_see(user, campaign)


def campaigns_for_home(*, languages_first: Sequence[str] = ()) -> QuerySet[Campaign]:
    """Active public campaigns with counters: those into languages_first first, then newest."""
    campaigns = public_campaigns().filter(status=Campaign.Status.ACTIVE).select_related("counter")
    newest = ("-launched_at", "-created_at")
    if not languages_first:
        return campaigns.order_by(*newest)
    into_theirs = Case(
        When(target_language__in=list(languages_first), then=Value(0)), default=Value(1)
    )
    return campaigns.order_by(into_theirs, *newest)


# How many of their campaigns the home page offers a returning volunteer to go on with.
CONTINUE_CAMPAIGNS = 3


def campaigns_to_continue(*, user: AbstractBaseUser) -> list[ContributorCounter]:
    """The active campaigns the volunteer has answered in and may still see, latest first.

    Each with the volunteer's counter (their answers) and the campaign's counter (progress).
    """
    if not getattr(user, "is_authenticated", False):
        return []
    counters = (
        ContributorCounter.objects.filter(
            user=user, submitted__gt=0, campaign__status=Campaign.Status.ACTIVE
        )
        .select_related("campaign", "campaign__counter")
        .order_by("-last_submitted_at")
    )
    # A private campaign the volunteer answered in may since have closed its doors to them.
    seen = (counter for counter in counters.iterator() if may_see(user, counter.campaign))
    return list(islice(seen, CONTINUE_CAMPAIGNS))


# Campaigns still taking answers first, then those that will again, then the finished ones.
_OPEN_FIRST = Case(
    When(status=Campaign.Status.ACTIVE, then=Value(0)),
    When(status=Campaign.Status.PAUSED, then=Value(1)),
    default=Value(2),
)


def campaigns_listed(*, language: str = "", kind: str = "") -> QuerySet[Campaign]:
    """Campaigns anyone may see, with their counters: active, paused, closed; newest first in each.

    An empty language or kind filters nothing.
    """
    campaigns = public_campaigns().select_related("counter")
    if language:
        campaigns = campaigns.filter(target_language=language)
    if kind:
        campaigns = campaigns.filter(kind=kind)
    # The primary key last: pages of the list must not share or lose a campaign.
    return campaigns.order_by(_OPEN_FIRST, "-launched_at", "-created_at", "-pk")


def campaign_target_languages() -> list[str]:
    """The target languages of the campaigns anyone may see, the project's languages first."""
    return languages_in_order(
        public_campaigns().order_by().values_list("target_language", flat=True).distinct()
    )


def campaigns_totals(campaigns: list[Campaign]) -> dict:
    """Records, completed records and answers summed over the campaigns' counters."""
    return CampaignCounter.objects.filter(campaign__in=campaigns).aggregate(
        records=Sum("records_total"),
        completed=Sum("records_completed"),
        responses=Sum("responses_submitted"),
    )


def campaign_progress(*, campaign: Campaign) -> dict:
    """Return the campaign's progress figures from its counter."""
    counter = CampaignCounter.objects.filter(campaign=campaign).first() or CampaignCounter(
        campaign=campaign
    )
    return progress_of(counter)


# The annotate page's two figures in one statement: it is shown after every answer.
_PROGRESS_AND_MINE = """
    SELECT counter.records_total, counter.records_completed, counter.records_validated,
           counter.records_disputed, counter.responses_submitted, counter.contributors,
           (SELECT mine.submitted FROM dashboards_contributorcounter mine
            WHERE mine.campaign_id = %(campaign)s AND mine.user_id = %(user)s)
    FROM dashboards_campaigncounter counter WHERE counter.campaign_id = %(campaign)s
"""


def campaign_progress_and_mine(*, campaign: Campaign, user: AbstractBaseUser) -> tuple[dict, int]:
    """Return the campaign's progress figures and how many answers this volunteer gave."""
    with connection.cursor() as cursor:
        cursor.execute(_PROGRESS_AND_MINE, {"campaign": campaign.pk, "user": user.pk})
        row = cursor.fetchone()
    if row is None:
        return progress_of(CampaignCounter(campaign=campaign)), 0
    *figures, mine = row
    counter = CampaignCounter(
        campaign=campaign,
        **dict(zip(_PROGRESS_FIELDS, figures, strict=True)),
    )
    return progress_of(counter), mine or 0


_PROGRESS_FIELDS = (
    "records_total",
    "records_completed",
    "records_validated",
    "records_disputed",
    "responses_submitted",
    "contributors",
)


def progress_of(counter: CampaignCounter) -> dict:
    """Return the progress figures a counter row gives."""
    return {
        "records_total": counter.records_total,
        "records_completed": counter.records_completed,
        "records_validated": counter.records_validated,
        "records_disputed": counter.records_disputed,
        "responses_submitted": counter.responses_submitted,
        "contributors": counter.contributors,
        "percent_completed": counter.percent_completed,
    }


@dataclass(frozen=True)
class RankingRow:
    rank: int
    user_id: int
    display_name: str
    submitted: int
    corrections: int

    def as_json(self) -> dict:
        return {
            "rank": self.rank,
            "display_name": self.display_name,
            "submitted": self.submitted,
            "corrections": self.corrections,
        }


def ranking_for_campaign(*, campaign: Campaign, window: str = "all", limit: int = 50) -> list:
    """The top contributors; ties go to whoever got there first. Opted-out people stay unnamed."""
    days = WINDOWS[window]
    if days is None:
        top = (
            ContributorCounter.objects.filter(campaign=campaign, submitted__gt=0)
            .order_by("-submitted", "last_submitted_at", "user_id")
            .values_list("user_id", "submitted", "corrections")[:limit]
        )
    else:
        since = timezone.now().date() - timedelta(days=days - 1)
        # Aggregate the window first and name only the winners: joining names before the
        # GROUP BY would join every day row of the window.
        top = (
            ContributorDay.objects.filter(campaign=campaign, day__gte=since)
            .values("user_id")
            .annotate(
                total=Sum("submitted"),
                fixed=Sum("corrections"),
                reached=Max("last_submitted_at"),
            )
            .filter(total__gt=0)
            .order_by("-total", "reached", "user_id")
            .values_list("user_id", "total", "fixed")[:limit]
        )
    top = list(top)
    # Public names follow the one rule in somos_site.accounts (opt-in; chosen, proved or
    # pseudonymous; never the e-mail), told apart when two in this list read alike.
    names = public_names(user_ids=[user_id for user_id, _total, _fixed in top])
    return [
        RankingRow(
            rank=position,
            user_id=user_id,
            display_name=names[user_id],
            submitted=submitted,
            corrections=max(corrections or 0, 0),
        )
        for position, (user_id, submitted, corrections) in enumerate(top, start=1)
    ]


def live_snapshot(*, campaign: Campaign) -> dict:
    """What live viewers receive on every change: progress and the top fifty."""
    return {
        **campaign_progress(campaign=campaign),
        "ranking": [row.as_json() for row in ranking_for_campaign(campaign=campaign, limit=50)],
    }


# The snapshot a connecting viewer starts from, as the JSON text viewers receive. The
# broadcast stores each one it sends; a burst of viewers joining at once (a launch, a
# reconnect after a restart) then costs one query, not one each.
LIVE_SNAPSHOT_SECONDS = 5


def live_snapshot_json(*, campaign: Campaign) -> str:
    """The campaign's latest live snapshot as JSON text, built if none is cached."""
    text = cache.get(_live_snapshot_key(campaign.pk))
    return live_snapshot_refresh(campaign=campaign) if text is None else text


def live_snapshot_refresh(*, campaign: Campaign) -> str:
    """Build the campaign's live snapshot as JSON text, and keep it for those who join next."""
    text = json.dumps(live_snapshot(campaign=campaign), cls=DjangoJSONEncoder)
    cache.set(_live_snapshot_key(campaign.pk), text, LIVE_SNAPSHOT_SECONDS)
    return text


def _live_snapshot_key(campaign_id: int) -> str:
    return f"somos:live-snapshot:{campaign_id}"


def top_share(*, campaign: Campaign, fraction: float = 0.1) -> float | None:
    """The share of all submitted answers given by the top `fraction` of contributors."""
    counter = CampaignCounter.objects.filter(campaign=campaign).first()
    if counter is None or not counter.contributors or not counter.responses_submitted:
        return None
    top = max(1, math.ceil(counter.contributors * fraction))
    top_total = sum(
        ContributorCounter.objects.filter(campaign=campaign, submitted__gt=0)
        .order_by("-submitted")
        .values_list("submitted", flat=True)[:top]
    )
    return top_total / counter.responses_submitted


def pace(*, campaign: Campaign, days: int = 7) -> dict:
    """Answers per day over the last days, and when the campaign should be complete."""
    today = timezone.now().date()
    recent = (
        CampaignDay.objects.filter(
            campaign=campaign, day__gt=today - timedelta(days=days)
        ).aggregate(total=Sum("submitted"))["total"]
        or 0
    )
    per_day = recent / days
    progress = campaign_progress(campaign=campaign)
    needed = max(progress["records_total"] * campaign.overlap - progress["responses_submitted"], 0)
    eta: date | None = None
    days_left = math.ceil(needed / per_day) if needed and per_day else 0
    # Beyond the calendar is no date at all (a campaign at a trickle can get there).
    if days_left and days_left <= (date.max - today).days:
        eta = today + timedelta(days=days_left)
    return {"per_day": round(per_day, 1), "answers_needed": needed, "eta": eta}


def daily_series(*, campaign: Campaign) -> list[tuple[date, int]]:
    """Submitted answers per day, oldest first."""
    return list(
        CampaignDay.objects.filter(campaign=campaign)
        .order_by("day")
        .values_list("day", "submitted")
    )


def contributors_by(*, campaign: Campaign, field: str) -> list[tuple[str, int, int]]:
    """Contributors and their answers grouped by a profile field (country or variety)."""
    rows = (
        ContributorCounter.objects.filter(campaign=campaign, submitted__gt=0)
        .values(f"user__profile__{field}")
        .annotate(people=Count("user_id"), answers=Sum("submitted"))
        .order_by("-answers")
    )
    return [(row[f"user__profile__{field}"] or "", row["people"], row["answers"]) for row in rows]


def personal_standing(*, campaign: Campaign, user) -> dict | None:
    """The signed-in volunteer's rank, counts and next milestone in the campaign."""
    if not getattr(user, "is_authenticated", False):
        return None
    mine = ContributorCounter.objects.filter(campaign=campaign, user=user).first()
    if mine is None or not mine.submitted:
        return {"rank": None, "submitted": 0, "corrections": 0, "next_milestone": MILESTONE_EVERY}
    ahead = ContributorCounter.objects.filter(campaign=campaign).filter(
        Q(submitted__gt=mine.submitted)
        | Q(submitted=mine.submitted, last_submitted_at__lt=mine.last_submitted_at)
    )
    return {
        "rank": ahead.count() + 1,
        "submitted": mine.submitted,
        "corrections": mine.corrections,
        "next_milestone": MILESTONE_EVERY * (mine.submitted // MILESTONE_EVERY + 1),
    }


def global_overview() -> dict:
    """Totals across public campaigns: people, records validated, each benchmark's coverage."""
    campaigns = list(public_campaigns().select_related("counter").order_by("name"))
    people = (
        ContributorCounter.objects.filter(campaign__in=campaigns, submitted__gt=0)
        .values("user_id")
        .distinct()
        .count()
    )
    totals = CampaignCounter.objects.filter(campaign__in=campaigns).aggregate(
        records=Sum("records_total"),
        completed=Sum("records_completed"),
        validated=Sum("records_validated"),
        answers=Sum("responses_submitted"),
    )
    return {
        "campaigns": campaigns,
        "people": people,
        "records": totals["records"] or 0,
        "completed": totals["completed"] or 0,
        "validated": totals["validated"] or 0,
        "answers": totals["answers"] or 0,
        "by_language": figures_by_language(campaigns),
    }


@dataclass(frozen=True)
class LanguageFigures:
    language: str
    campaigns: int
    records_validated: int
    contributors: int


def figures_by_language(campaigns: list[Campaign]) -> list[LanguageFigures]:
    """Campaigns, records validated and contributors for each target language of the campaigns.

    The campaigns come with their counters. Someone who answered in two campaigns into one
    language is one contributor to it: one query counts them all, grouped by language.
    """
    contributors = dict(
        ContributorCounter.objects.filter(campaign__in=campaigns, submitted__gt=0)
        .values("campaign__target_language")
        .annotate(people=Count("user_id", distinct=True))
        .values_list("campaign__target_language", "people")
    )
    counted: dict[str, int] = {}
    validated: dict[str, int] = {}
    for campaign in campaigns:
        language = campaign.target_language
        counter = getattr(campaign, "counter", None)
        counted[language] = counted.get(language, 0) + 1
        validated[language] = validated.get(language, 0) + (
            counter.records_validated if counter else 0
        )
    return [
        LanguageFigures(
            language=language,
            campaigns=counted[language],
            records_validated=validated[language],
            contributors=contributors.get(language, 0),
        )
        for language in languages_in_order(counted)
    ]


def triage_figures(*, campaign: Campaign) -> dict[str, int]:
    """Suspect translations of the campaign (campaigns.triage): all, still waiting, corrected."""
    if not campaign.suspect_records:
        return {"suspect": 0, "suspect_waiting": 0, "suspect_fixed": 0}
    suspect = Record.objects.filter(campaign=campaign, suspicion__gt=0)
    answers = suspect_fixed_asked.send(sender=Campaign, campaign=campaign)
    return {
        "suspect": suspect.count(),
        "suspect_waiting": suspect.filter(status=Record.Status.PENDING).count(),
        "suspect_fixed": sum(count for _receiver, count in answers if count),
    }
