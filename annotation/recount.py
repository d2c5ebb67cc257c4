"""Recompute every counter from the responses themselves, to find and mend drift.

This is the one place allowed to scan responses for counts: an audit run by hand or on a
schedule, never by a page. What it mends, it writes through dashboards.counters.
"""

from __future__ import annotations

from collections import Counter as Tally
from collections import defaultdict
from dataclasses import dataclass, field

from django.db import transaction
from django.db.models import Count, Max, Min, Q, Sum
from django.utils.translation import gettext as _

from annotation.models import Response
from campaigns.models import Campaign, Record
from campaigns.progress import Progress, no_progress
from dashboards.counters import (
    ContributorFigures,
    campaign_counter_set,
    campaign_day_set,
    contributor_counter_set,
    contributor_day_set,
)
from dashboards.models import CampaignCounter, CampaignDay, ContributorCounter, ContributorDay

SUBMITTED = Q(status=Response.Status.SUBMITTED)


@dataclass
class Drift:
    campaign: str
    differences: list[str] = field(default_factory=list)

    @property
    def clean(self) -> bool:
        return not self.differences


@transaction.atomic
def counters_recompute(
    *, campaign: Campaign, fix: bool = False, progress: Progress | None = None
) -> Drift:
    """Compare (and with fix=True, overwrite) the campaign's counters with the true figures.

    `progress` hears of the steps done (campaign, contributors, records, days) out of four;
    when it raises, the repairs made so far roll back with the transaction.
    """
    report = progress or no_progress
    drift = Drift(campaign=campaign.slug)
    responses = Response.objects.filter(campaign=campaign)
    steps = (_campaign_counter, _contributor_counters, _record_counts, _daily)
    report(0, len(steps))
    for done, step in enumerate(steps, start=1):
        step(campaign, responses, drift, fix)
        report(done, len(steps))
    return drift


def _compare(drift: Drift, label: str, stored, true) -> bool:
    if stored != true:
        # The label names the counter's column: it stays as the database spells it.
        drift.differences.append(
            _("%(label)s: stored %(stored)s, true %(true)s")
            % {"label": label, "stored": stored, "true": true}
        )
        return True
    return False


def _campaign_counter(campaign, responses, drift: Drift, fix: bool) -> None:
    counter = CampaignCounter.objects.select_for_update().filter(campaign=campaign).first()
    counter = counter or CampaignCounter(campaign=campaign)
    statuses = Tally(
        dict(Record.objects.filter(campaign=campaign).values_list("status").annotate(n=Count("id")))
    )
    submitted = responses.filter(SUBMITTED).aggregate(
        n=Count("id"), corrections=Sum("corrections"), people=Count("user", distinct=True)
    )
    true = {
        "records_total": sum(statuses.values()),
        "records_completed": statuses[Record.Status.COMPLETED]
        + statuses[Record.Status.VALIDATED]
        + statuses[Record.Status.DISPUTED],
        "records_validated": statuses[Record.Status.VALIDATED],
        "records_disputed": statuses[Record.Status.DISPUTED],
        "responses_submitted": submitted["n"],
        "corrections": submitted["corrections"] or 0,
        "contributors": submitted["people"],
    }
    changed = [
        name
        for name, value in true.items()
        if _compare(drift, f"campaign {name}", getattr(counter, name), value)
    ]
    if fix and changed:
        campaign_counter_set(
            campaign_id=campaign.pk, figures={name: true[name] for name in changed}
        )


def _contributor_counters(campaign, responses, drift: Drift, fix: bool) -> None:
    true = {
        row["user_id"]: row
        for row in responses.filter(SUBMITTED)
        .values("user_id")
        .annotate(
            submitted=Count("id"),
            corrections=Sum("corrections"),
            first=Min("first_submitted_at"),
            last=Max("first_submitted_at"),
        )
    }
    stored = {c.user_id: c for c in ContributorCounter.objects.filter(campaign=campaign)}
    for user_id in set(true) | set(stored):
        row = true.get(user_id, {"submitted": 0, "corrections": 0})
        counter = stored.get(user_id) or ContributorCounter(campaign=campaign, user_id=user_id)
        bad = _compare(drift, f"user {user_id} submitted", counter.submitted, row["submitted"])
        bad |= _compare(
            drift, f"user {user_id} corrections", counter.corrections, row["corrections"] or 0
        )
        if fix and bad:
            contributor_counter_set(
                campaign_id=campaign.pk,
                user_id=user_id,
                figures=ContributorFigures(
                    submitted=row["submitted"],
                    corrections=row["corrections"] or 0,
                    first_submitted_at=row.get("first"),
                    last_submitted_at=row.get("last"),
                ),
            )


def _record_counts(campaign, responses, drift: Drift, fix: bool) -> None:
    true = dict(responses.filter(SUBMITTED).values_list("record_id").annotate(n=Count("id")))
    for record in Record.objects.filter(campaign=campaign).only("id", "submitted_count"):
        if (
            _compare(
                drift,
                f"record {record.pk} submitted",
                record.submitted_count,
                true.get(record.pk, 0),
            )
            and fix
        ):
            Record.objects.filter(pk=record.pk).update(submitted_count=true.get(record.pk, 0))


def _daily(campaign, responses, drift: Drift, fix: bool) -> None:
    # Day rows count submissions by the day they were first submitted.
    by_day: Tally = Tally()
    by_person_day: dict[tuple[int, object], int] = defaultdict(int)
    for user_id, submitted_at in responses.filter(SUBMITTED).values_list(
        "user_id", "first_submitted_at"
    ):
        by_day[submitted_at.date()] += 1
        by_person_day[(user_id, submitted_at.date())] += 1
    stored_days = dict(
        CampaignDay.objects.filter(campaign=campaign).values_list("day", "submitted")
    )
    for day in set(by_day) | set(stored_days):
        if _compare(drift, f"day {day} submitted", stored_days.get(day, 0), by_day[day]) and fix:
            campaign_day_set(campaign_id=campaign.pk, day=day, submitted=by_day[day])
    stored_person_days = {
        (user_id, day): submitted
        for user_id, day, submitted in ContributorDay.objects.filter(campaign=campaign).values_list(
            "user_id", "day", "submitted"
        )
    }
    for key in set(by_person_day) | set(stored_person_days):
        true = by_person_day.get(key, 0)
        if (
            _compare(
                drift, f"user {key[0]} on {key[1]} submitted", stored_person_days.get(key, 0), true
            )
            and fix
        ):
            contributor_day_set(campaign_id=campaign.pk, user_id=key[0], day=key[1], submitted=true)
