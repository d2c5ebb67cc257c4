"""Writes on the leaderboard registry: its seed, and which dataset a campaign feeds."""

from __future__ import annotations

from django.contrib.auth.models import AbstractBaseUser
from django.db import transaction
from django.utils.text import slugify

from campaigns.models import Campaign
from leaderboard.export.layouts import Layout
from leaderboard.models import CampaignTarget, LeaderboardDataset, LeaderboardDatasetVersion
from leaderboard.registry import TABLE_5

# Registry entries of the paper's Table 5 that a preset's campaign feeds by default, by
# (preset, target language): they are Spanish datasets, so only a campaign into Spanish does.
PRESET_LEADERBOARD = {
    ("okapi_arc", "es"): "ARC-C_es",
    ("okapi_mmlu", "es"): "MMLU_es",
    ("okapi_hellaswag", "es"): "HellaSwag_es",
}


def leaderboard_registry_seed() -> int:
    """Add any missing dataset of the paper's Table 5 to the registry; return how many."""
    added = 0
    for entry in TABLE_5:
        _dataset, created = LeaderboardDataset.objects.get_or_create(
            name=entry.name,
            defaults={
                "slug": slugify(entry.name),
                "languages": list(entry.languages),
                "domain": entry.domain,
                "task": entry.task,
            },
        )
        added += created
    return added


def campaign_target_set(*, campaign: Campaign, dataset: LeaderboardDataset) -> CampaignTarget:
    """Make the campaign's next exports versions of this leaderboard dataset."""
    target, _created = CampaignTarget.objects.update_or_create(
        campaign=campaign, defaults={"dataset": dataset}
    )
    return target


@transaction.atomic
def campaign_target_ensure(
    *, campaign: Campaign, layout: Layout, user: AbstractBaseUser | None = None
) -> LeaderboardDataset:
    """Return the dataset the campaign feeds, choosing one (or registering a new one) if unset.

    A preset's campaign into Spanish feeds its benchmark's entry of Table 5; any other feeds
    the entry of its own name (in its target language), made on its first export. Only staff
    and operators (user None) attach the campaign to it for good; an organizer's export only
    proposes a version of it.
    """
    target = CampaignTarget.objects.select_related("dataset").filter(campaign=campaign).first()
    if target is not None:
        return target.dataset
    default = PRESET_LEADERBOARD.get((campaign.preset, campaign.target_language))
    dataset = LeaderboardDataset.objects.filter(name=default).first() if default else None
    if dataset is None:
        dataset = LeaderboardDataset.objects.filter(name=campaign.name).first()
    if dataset is None:
        slug = slugify(campaign.slug)
        if LeaderboardDataset.objects.filter(slug=slug).exists():
            slug = f"{slug}-{campaign.pk}"
        dataset = LeaderboardDataset.objects.create(
            name=campaign.name,
            slug=slug,
            description=campaign.description,
            languages=[campaign.target_language],
            task=campaign.get_kind_display(),
            donor=layout.source,
            license=layout.license,
        )
    if user is None or user.is_staff:
        campaign_target_set(campaign=campaign, dataset=dataset)
    return dataset


def version_publish(*, version: LeaderboardDatasetVersion) -> LeaderboardDatasetVersion:
    """Show an organizer's proposed version in the public registry (a staff decision)."""
    version.published = True
    version.save(update_fields=["published"])
    return version
