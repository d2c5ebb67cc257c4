"""Measure consensus and export of N records with two answers each, on PostgreSQL.

Usage: python bench/export_bench.py [--records 100000] [--dsn postgres://...]

Setup (not timed) COPYs N ARC-shaped records, already completed, and two submitted answers
per record straight into the tables: most agree that the translation is correct, some
agree on the same correction, some disagree (disputes). Then it times the bulk consensus
(`consensus_compute_pending`) and the export (`campaign_export` into a temporary folder:
Parquet, JSON Lines and saved-to-disk datasets, every answer, card, harness task, registry
version). Ends with one line of name=value figures; drops its campaign.
"""

from __future__ import annotations

import argparse
import json
import os
import tempfile
import time
from pathlib import Path

from scratch import database_create, django_setup, say

ROOT = Path(__file__).resolve().parents[1]
DEFAULT_DSN = "postgres://postgres@127.0.0.1:5432/somos_bench_export"
SLUG = "bench-export"
USERS = 50
WORDS = ["la", "de", "cuál", "energía", "célula", "planeta", "ley", "valor", "fuerza", "agua"]


def text(seed: int, count: int) -> str:
    """Return a deterministic sentence of count words chosen by seed."""
    return " ".join(WORDS[(seed * 7 + step * 3) % len(WORDS)] for step in range(count))


def export_setup(dsn: str) -> None:
    """Set Django up on the scratch database, without datasets' progress bars."""
    django_setup(dsn)
    from datasets.utils.logging import disable_progress_bar

    disable_progress_bar()


def leftovers_drop() -> None:
    """Drop the benchmark campaign: answers, consensus and records first, in few statements."""
    from django.db import connection

    from campaigns.models import Campaign
    from leaderboard.models import CampaignTarget, LeaderboardDataset

    campaign = Campaign.objects.filter(slug=SLUG).first()
    if campaign is None:
        return
    with connection.cursor() as cursor:
        cursor.execute("DELETE FROM annotation_response WHERE campaign_id = %s", [campaign.pk])
        cursor.execute(
            "DELETE FROM campaigns_consensus WHERE record_id IN"
            " (SELECT id FROM campaigns_record WHERE campaign_id = %s)",
            [campaign.pk],
        )
        cursor.execute("DELETE FROM campaigns_record WHERE campaign_id = %s", [campaign.pk])
    target = CampaignTarget.objects.select_related("dataset").filter(campaign=campaign).first()
    leaderboard = target.dataset if target else None
    campaign.delete()
    if leaderboard is not None and leaderboard.name == SLUG:
        LeaderboardDataset.objects.filter(pk=leaderboard.pk).delete()
    with connection.cursor() as cursor:
        for table in ("annotation_response", "campaigns_consensus", "campaigns_record"):
            cursor.execute(f"VACUUM ANALYZE {table}")


def tables_settle() -> None:
    """Vacuum, analyse and checkpoint the tables the timed part reads and writes.

    As after any import that autovacuum has since seen: hint bits and statistics set, the
    setup's writes flushed, so the timed part pays only for its own work.
    """
    from django.db import connection

    with connection.cursor() as cursor:
        for table in ("campaigns_record", "annotation_response", "campaigns_consensus"):
            cursor.execute(f"VACUUM ANALYZE {table}")
        cursor.execute("CHECKPOINT")


def copy_rows(model, rows) -> int:
    """COPY dicts into the model's table; unnamed columns get their field defaults."""
    from django.db import connection
    from django.db.models import JSONField

    fields = [field for field in model._meta.concrete_fields if not field.primary_key]
    columns = ", ".join(field.column for field in fields)
    written = 0
    with (
        connection.cursor() as cursor,
        cursor.cursor.copy(f"COPY {model._meta.db_table} ({columns}) FROM STDIN") as copy,
    ):
        for row in rows:
            values = []
            for field in fields:
                value = row[field.attname] if field.attname in row else field.get_default()
                if isinstance(field, JSONField):
                    value = json.dumps(value, ensure_ascii=False)
                values.append(value)
            copy.write_row(values)
            written += 1
    return written


def answers(number: int) -> tuple[dict, dict]:
    """Return the two answers of record number: mostly agreeing, a tenth disputed."""
    fix = f"¿Pregunta corregida {number}: {text(number + 1, 20)}?"
    kind = number % 20
    if kind < 15:
        return {"verdict": "correct"}, {"verdict": "correct"}
    if kind < 18:
        return (
            {"verdict": "minor_fixes", "question_corrected": fix},
            {"verdict": "minor_fixes", "question_corrected": fix.replace(" ", "  ")},
        )
    if kind == 18:
        return {"verdict": "correct"}, {"verdict": "wrong", "question_corrected": fix}
    return (
        {"verdict": "minor_fixes", "question_corrected": fix},
        {"verdict": "minor_fixes", "question_corrected": fix + " (otra)"},
    )


def setup(records: int):
    """Create the campaign, its users, N completed records and 2N answers; return it."""
    from django.contrib.auth import get_user_model
    from django.db import transaction
    from django.utils import timezone

    from annotation.models import Response
    from campaigns.models import Campaign, Record
    from campaigns.services import campaign_create
    from dashboards.models import CampaignCounter, ContributorCounter

    users = [
        get_user_model().objects.get_or_create(username=f"bench-export-{n}")[0]
        for n in range(USERS)
    ]
    campaign = campaign_create(slug=SLUG, name=SLUG, preset="okapi_arc", overlap=2)
    Campaign.objects.filter(pk=campaign.pk).update(status=Campaign.Status.ACTIVE)
    now = timezone.now()
    letters = "abcd"

    def record_rows():
        for number in range(records):
            english = {
                "id": f"Mercury_{number}",
                "question": f"Question {number}: {text(number, 25)}?",
                "choices": {"text": [text(number + k, 6) for k in range(4)], "label": list("ABCD")},
                "answerKey": "ABCD"[number % 4],
            }
            spanish = {
                "id": f"ARC-Challenge/validation/Mercury_{number}",
                "answer": "ABCD"[number % 4],
                "instruction": f"¿Pregunta {number}: {text(number, 25)}?",
                **{f"option_{c}": f"{text(number + k, 6)} {k}" for k, c in enumerate(letters)},
            }
            fields = [
                {
                    "name": "question",
                    "source": english["question"],
                    "translation": spanish["instruction"],
                }
            ] + [
                {
                    "name": f"option_{c}",
                    "source": english["choices"]["text"][k],
                    "translation": spanish[f"option_{c}"],
                }
                for k, c in enumerate(letters)
            ]
            yield {
                "campaign_id": campaign.pk,
                "external_id": spanish["id"],
                "fields": fields,
                "source_row": {"source": english, "translation": spanish},
                "metadata": {"answer": spanish["answer"], "split": "validation"},
                "status": Record.Status.COMPLETED,
                "submitted_count": 2,
                "created_at": now,
                "updated_at": now,
            }

    with transaction.atomic():
        copy_rows(Record, record_rows())
        ids = list(
            Record.objects.filter(campaign=campaign).order_by("id").values_list("id", flat=True)
        )

        def response_rows():
            for number, record_id in enumerate(ids):
                for side, values in enumerate(answers(number)):
                    yield {
                        "record_id": record_id,
                        "campaign_id": campaign.pk,
                        "user_id": users[(number + side * 7) % USERS].pk,
                        "values": values,
                        "status": Response.Status.SUBMITTED,
                        "origin": Response.Origin.WEB,
                        "corrections": int("question_corrected" in values),
                        "annotator_variety": "",
                        "submitted_at": now,
                        "revision": 1,
                        "created_at": now,
                        "updated_at": now,
                    }

        responses = copy_rows(Response, response_rows())
        ContributorCounter.objects.bulk_create(
            [
                ContributorCounter(campaign=campaign, user=user, submitted=2 * records // USERS)
                for user in users
            ]
        )
        CampaignCounter.objects.filter(campaign=campaign).update(
            records_total=records, records_completed=records, responses_submitted=responses
        )
    return campaign, responses


def main() -> None:
    """Run the benchmark and print its figures."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--records", type=int, default=100_000)
    parser.add_argument("--dsn", default=os.environ.get("BENCH_DATABASE_URL", DEFAULT_DSN))
    args = parser.parse_args()

    database_create(args.dsn)
    export_setup(args.dsn)
    from django.core.management import call_command

    from annotation.consensus.bulk import consensus_compute_pending
    from dashboards.models import CampaignCounter
    from leaderboard.export.services import campaign_export

    say("migrating the benchmark database")
    call_command("migrate", verbosity=0)
    leftovers_drop()
    try:
        started = time.perf_counter()
        campaign, responses = setup(args.records)
        tables_settle()
        say(
            f"setup (not timed): {args.records} completed records, {responses} answers"
            f" in {time.perf_counter() - started:.1f} s"
        )

        say("consensus: settling every completed record")
        started = time.perf_counter()
        settled = consensus_compute_pending(campaign=campaign)
        consensus_seconds = time.perf_counter() - started
        counter = CampaignCounter.objects.get(campaign=campaign)
        say(
            f"consensus: {settled} records in {consensus_seconds:.2f} s"
            f" ({counter.records_validated} validated, {counter.records_disputed} disputed)"
        )

        with tempfile.TemporaryDirectory(prefix="somos-export-bench-") as directory:
            say("export: validated records, every answer, card, harness task")
            started = time.perf_counter()
            result = campaign_export(campaign=campaign, folder=Path(directory) / "out")
            export_seconds = time.perf_counter() - started
            parts = ", ".join(f"{name} {seconds:.2f} s" for name, seconds in result.timings.items())
            say(
                f"export: {result.counts.exported} rows, {result.counts.responses} answers"
                f" in {export_seconds:.2f} s ({parts})"
            )
            if result.agreement.overall is not None:
                say(f"verdict alpha {result.agreement.overall.alpha}")
    finally:
        say("dropping the benchmark campaign")
        leftovers_drop()

    print(
        f"records={args.records} seconds={consensus_seconds + export_seconds:.2f}"
        f" consensus_seconds={consensus_seconds:.2f} export_seconds={export_seconds:.2f}",
        flush=True,
    )


if __name__ == "__main__":
    main()
