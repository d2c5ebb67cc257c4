"""Read what an export writes: records with their final text, and every answer.

A few flat queries (see campaigns.bulk_reads): the final text comes back piece by piece
as plain text columns; machine translations are read only where needed; answer values
are decoded once per distinct text and kept as read for the answers dataset.
"""

from __future__ import annotations

import hashlib
import hmac
import json
from collections import Counter, defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from django.conf import settings
from django.db import connection, transaction
from django.db.models import BigIntegerField
from django.db.models.fields.json import KeyTextTransform, KeyTransform
from django.db.models.functions import Cast, Extract

from annotation.consensus.bulk import translations_of
from annotation.consensus.rule import VERDICT
from annotation.models import Response
from campaigns.bulk_reads import json_decode, spans_of, values_columns
from campaigns.importers.presets import preset_get
from campaigns.models import Campaign, Record
from leaderboard.export.layouts import ExportRecord, Layout
from somos_site.accounts.models import Profile

INCLUDE_VALIDATED = "validated"
INCLUDE_PENDING = "pending"
INCLUDE_CHOICES = (INCLUDE_VALIDATED, INCLUDE_PENDING)
# The key of Loaded.counts holding how many validated records a reviewer settled.
REVIEWED = "reviewed"
_dumps = json.JSONEncoder(ensure_ascii=False, separators=(",", ":")).encode


@dataclass(slots=True)
class Loaded:
    """What the export read: records to write, answers, and the texts agreement compares."""

    records: list[ExportRecord]
    answers: dict[int, Sequence[dict]]
    translations: dict[int, Mapping[str, str]]
    responses: dict[str, list]
    counts: dict[str, int]


@transaction.atomic
def export_load(*, campaign: Campaign, layout: Layout, include: str) -> Loaded:
    """Read the records, their final text and every answer, in a few flat queries.

    One transaction, so records and answers come from the same moment; on PostgreSQL with
    room to sort and join in memory.

    The final text comes back piece by piece as plain text columns, not as JSON to decode.
    Machine translations are read only where needed: records not validated (written with
    them when every record is exported, and compared by agreement), reviewed ones, and those
    with a correction. Elsewhere a validated record's final text is its translation.
    """
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SET LOCAL work_mem = '64MB'")
    names = preset_get(campaign.preset).pieces_for(campaign.field_mapping or None)
    records = (
        Record.objects.filter(campaign=campaign)
        .order_by("id")
        .annotate(
            **{
                f"piece_{index}": KeyTextTransform(name, "consensus__pieces")
                for index, name in enumerate(names)
            }
        )
    )
    columns = ["id", "external_id", "status", "consensus__reviewed", "consensus__verdict"]
    columns += ["metadata", *(f"piece_{index}" for index in range(len(names)))]
    if layout.original_key:
        records = records.annotate(original=KeyTransform(layout.original_key, "source_row"))
        columns.append("original")
    json_columns = [5] + ([len(columns) - 1] if layout.original_key else [])
    loaded = values_columns(records.values_list(*columns), json_columns=json_columns)
    record_ids, external_ids, statuses, reviewed, verdicts, metadata = loaded[:6]
    texts = loaded[6 : 6 + len(names)]
    originals = loaded[-1] if layout.original_key else None
    validated = [status == Record.Status.VALIDATED for status in statuses]
    info = {
        record_id: (external_id, status, verdict if is_validated else "")
        for record_id, external_id, status, verdict, is_validated in zip(
            record_ids, external_ids, statuses, verdicts, validated, strict=True
        )
    }
    answers, responses, corrected = _responses_load(campaign=campaign, info=info)

    counts: dict[str, int] = defaultdict(int, Counter(statuses))
    counts[REVIEWED] = sum(
        bool(is_validated and was_reviewed)
        for is_validated, was_reviewed in zip(validated, reviewed, strict=True)
    )
    wanted = [
        record_id
        for record_id, is_validated, was_reviewed in zip(
            record_ids, validated, reviewed, strict=True
        )
        if (
            was_reviewed or record_id in corrected
            if is_validated
            else include == INCLUDE_PENDING or len(answers.get(record_id, ())) > 1
        )
    ]
    translations: dict[int, Mapping[str, str]] = dict(translations_of(wanted))

    exported: list[ExportRecord] = []
    for index, record_id in enumerate(record_ids):
        if validated[index]:
            text = {
                name: column[index]
                for name, column in zip(names, texts, strict=True)
                if column[index] is not None
            }
            translations.setdefault(record_id, text)
        elif include == INCLUDE_VALIDATED:
            continue
        else:
            text = translations[record_id]
        exported.append(
            ExportRecord(
                external_id=external_ids[index],
                metadata=metadata[index] or {},
                original=(originals[index] if originals is not None else None) or {},
                text=text,
                validated=validated[index],
                reviewed=bool(reviewed[index]),
            )
        )
    return Loaded(
        records=exported,
        answers=answers,
        translations=translations,
        responses=responses,
        counts=counts,
    )


def _responses_load(
    *, campaign: Campaign, info: Mapping[int, tuple[str, str, str]]
) -> tuple[dict[int, Sequence[dict]], dict[str, list], set[int]]:
    """Return answer values per record, the answers' columns, and records with corrections."""
    submitted = Response.objects.filter(campaign=campaign, status=Response.Status.SUBMITTED)
    at = "submitted_at"
    if connection.vendor == "postgresql":
        # Microseconds since the epoch: Arrow takes them as they are, with no datetime
        # object made per answer.
        submitted = submitted.annotate(
            submitted_us=Cast(Extract("submitted_at", "epoch") * 1_000_000, BigIntegerField())
        )
        at = "submitted_us"
    record_ids, user_ids, origins, raw, corrections, varieties, times, durations = values_columns(
        submitted.order_by("record_id", "id").values_list(
            "record_id",
            "user_id",
            "origin",
            "values",
            "corrections",
            "annotator_variety",
            at,
            "duration_ms",
        ),
        raw_json=True,
    )
    if raw and not isinstance(raw[0], str):
        values, raw = raw, [_dumps(value) for value in raw]
    else:
        values = json_decode(raw)
    answers = {record_id: values[a:b] for record_id, (a, b) in spans_of(record_ids).items()}
    corrected = {
        record_id for record_id, count in zip(record_ids, corrections, strict=True) if count
    }

    names = _contributor_names(campaign=campaign)
    contributor = {
        user_id: names.get(user_id) or _pseudonym(campaign.pk, user_id) for user_id in set(user_ids)
    }
    records = [info[record_id] for record_id in record_ids]
    verdicts = [answer.get(VERDICT) for answer in values]
    verdicts = [verdict if isinstance(verdict, str) else None for verdict in verdicts]
    columns = {
        "record_id": [record[0] for record in records],
        "contributor": [contributor[user_id] for user_id in user_ids],
        "credited": [user_id in names for user_id in user_ids],
        "origin": origins,
        "verdict": verdicts,
        "corrected_pieces": corrections,
        "values": raw,
        "annotator_variety": varieties,
        "submitted_at": times,
        "duration_ms": durations,
        "record_status": [record[1] for record in records],
        "agrees_with_consensus": [
            given == record[2] if record[2] else None
            for given, record in zip(verdicts, records, strict=True)
        ],
    }
    return answers, columns, corrected


def _contributor_names(*, campaign: Campaign) -> dict[int, str]:
    """Return the names of contributors who opted into credit and have a name of their own.

    A chosen display name, or a Hugging Face username proved by signing in; the others are
    credited under the export's own pseudonyms, never anything from their e-mail.
    """
    contributors = Response.objects.filter(campaign=campaign, status=Response.Status.SUBMITTED)
    return {
        user_id: display_name or huggingface_username
        for user_id, display_name, huggingface_username in Profile.objects.filter(
            public_ranking=True, user__in=contributors.values("user_id")
        )
        .exclude(display_name="", huggingface_verified_username="")
        .values_list("user_id", "display_name", "huggingface_verified_username")
    }


def _pseudonym(campaign_id: int, user_id: int) -> str:
    # Keyed with the site's secret and the campaign, so the name reveals no account and
    # does not link one person's answers across campaigns.
    digest = hmac.new(
        settings.SECRET_KEY.encode(), f"{campaign_id}:{user_id}".encode(), hashlib.sha256
    ).hexdigest()
    return f"annotator-{digest[:10]}"
