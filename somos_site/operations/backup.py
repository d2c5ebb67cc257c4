"""One campaign's rows as a Django fixture, and putting them back; docs/backup.md explains when.

A campaign's rows are exactly what deleting the campaign would delete: the rows that reach it
through cascading foreign keys (records, answers and their revisions, counters, days, guide,
import and sync history, …), found from the models rather than listed, so a model added later
is backed up too. Users are shared by every campaign and stay out: answers name their author by
username, so a restore needs the same people in the database (the whole-database backup has them).
A backup written before consensus and the leaderboard registry left campaigns is brought up to
date as it is restored (fixture_upgrade).
"""

from __future__ import annotations

import datetime
import json
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import IO

from django.apps import apps
from django.core import serializers
from django.core.management import call_command
from django.core.serializers.base import DeserializationError
from django.core.serializers.json import DjangoJSONEncoder
from django.db import IntegrityError, connection, models, transaction
from django.utils.translation import gettext as _

from annotation.recount import Drift, counters_recompute
from campaigns.models import Campaign
from leaderboard.models import LeaderboardDataset


class RestoreRefused(ValueError):
    """The backup cannot be loaded into this database without overwriting other rows."""


class _ExactEncoder(DjangoJSONEncoder):
    """Django's encoder, but times keep their microseconds (it cuts them to milliseconds)."""

    def default(self, o: object) -> object:
        # Rankings break ties and sync compares answers by these times: restore them exactly.
        if isinstance(o, datetime.datetime | datetime.time):
            return o.isoformat()
        return super().default(o)


def campaign_querysets(campaign: Campaign) -> list[models.QuerySet]:
    """Return a queryset per model of the campaign's rows, each model after those it needs."""
    querysets = [Campaign.objects.filter(pk=campaign.pk)]
    seen: set[type[models.Model]] = {Campaign}
    # Breadth first, so each model is reached by its shortest path to the campaign.
    queue: list[tuple[type[models.Model], str]] = [(Campaign, "")]
    while queue:
        model, path = queue.pop(0)
        for relation in model._meta.get_fields(include_hidden=True):
            if relation.concrete or not (relation.one_to_many or relation.one_to_one):
                continue
            child = relation.related_model
            # Many-to-many link tables travel inside their owner (Campaign.organizers).
            if relation.on_delete is not models.CASCADE or child._meta.auto_created:
                continue
            if child in seen:
                continue
            seen.add(child)
            child_path = f"{relation.field.name}__{path}" if path else relation.field.name
            querysets.append(child._default_manager.filter(**{child_path: campaign}))
            queue.append((child, child_path))
    return querysets


def campaign_backup(*, campaign: Campaign, stream: IO[str]) -> int:
    """Write the campaign's rows to the stream as a fixture, from one snapshot; return how many."""
    written = 0

    def rows() -> Iterator[models.Model]:
        nonlocal written
        for queryset in campaign_querysets(campaign):
            for row in queryset.order_by("pk").iterator(chunk_size=2000):
                written += 1
                yield row

    outermost = not connection.in_atomic_block
    with transaction.atomic():
        if outermost and connection.vendor == "postgresql":
            # Every table read as of one moment, while volunteers keep answering.
            with connection.cursor() as cursor:
                cursor.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
        serializers.serialize(
            "json", rows(), stream=stream, use_natural_foreign_keys=True, cls=_ExactEncoder
        )
    return written


def campaign_restore(*, path: Path, replace: bool = False) -> tuple[Campaign, Drift]:
    """Load a campaign backup in one transaction; return the campaign and its counter check.

    A campaign of the same slug is deleted first when `replace` is given, refused otherwise.
    Rows keep their ids, so the backup goes back into the database it came from (PostgreSQL
    never hands out an id twice) or a copy of it; ids taken by other rows are refused rather
    than overwritten.
    """
    fixture = json.loads(path.read_text(encoding="utf-8"))
    slug = next(row["fields"]["slug"] for row in fixture if row["model"] == "campaigns.campaign")
    with transaction.atomic():
        existing = Campaign.objects.filter(slug=slug).first()
        if existing is not None:
            if not replace:
                raise RestoreRefused(
                    _("Campaign %(slug)s exists; give --replace to put the backup in its place.")
                    % {"slug": slug}
                )
            existing.delete()
        fixture = fixture_upgrade(fixture)
        _ids_free(fixture)
        try:
            _fixture_load(fixture)
        except (DeserializationError, IntegrityError) as error:
            # Most often a person the answers name is no longer in this database.
            raise RestoreRefused(
                _("The backup does not fit this database: %(error)s") % {"error": error}
            ) from error
        campaign = Campaign.objects.get(slug=slug)
        return campaign, counters_recompute(campaign=campaign)


# Where the models that left campaigns live now, for backups written before they moved.
MOVED_MODELS = {
    "campaigns.consensus": "annotation.consensus",
    "campaigns.leaderboarddataset": "leaderboard.leaderboarddataset",
    "campaigns.leaderboarddatasetversion": "leaderboard.leaderboarddatasetversion",
}


def fixture_upgrade(fixture: list[dict]) -> list[dict]:
    """Return a backup's rows in the current models' terms, however old the backup.

    Backups written before the redesign name consensus rows campaigns.consensus, and their
    campaign row holds the target dataset that is now a leaderboard.CampaignTarget row. The
    registry is not part of a campaign backup, so a target naming a dataset this database
    does not have is dropped rather than refused.
    """
    upgraded = []
    for row in fixture:
        row = {**row, "model": MOVED_MODELS.get(row["model"], row["model"])}
        if row["model"] != "campaigns.campaign" or "target_leaderboard" not in row["fields"]:
            upgraded.append(row)
            continue
        fields = dict(row["fields"])
        dataset = fields.pop("target_leaderboard")
        upgraded.append({**row, "fields": fields})
        if dataset is not None and LeaderboardDataset.objects.filter(pk=dataset).exists():
            target = {"model": "leaderboard.campaigntarget", "pk": row["pk"]}
            upgraded.append({**target, "fields": {"dataset": dataset}})
    return upgraded


def _fixture_load(fixture: list[dict]) -> None:
    """Load the rows with loaddata, which reads files: the upgraded rows go to a scratch file."""
    with tempfile.TemporaryDirectory() as scratch:
        path = Path(scratch) / "campaign.json"
        path.write_text(json.dumps(fixture), encoding="utf-8")
        call_command("loaddata", str(path), verbosity=0)


def _ids_free(fixture: list[dict]) -> None:
    ids: dict[str, list] = {}
    for row in fixture:
        ids.setdefault(row["model"], []).append(row["pk"])
    for label, pks in ids.items():
        model = apps.get_model(label)
        taken: list = []
        for start in range(0, len(pks), 10_000):
            chunk = pks[start : start + 10_000]
            taken += model._default_manager.filter(pk__in=chunk).values_list("pk", flat=True)[:5]
        if taken:
            raise RestoreRefused(
                _(
                    "Ids of the backup are taken in this database (%(model)s %(ids)s): restore"
                    " it into the database it came from or a copy of it."
                )
                % {"model": label, "ids": ", ".join(map(str, taken[:5]))}
            )
