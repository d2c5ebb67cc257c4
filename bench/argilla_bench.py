"""Push N records to a real Argilla through Somos, and the same records through the SDK's log.

Usage: python bench/argilla_bench.py [--records 10000] [--dsn postgres://...]

Starts a fresh argilla-server 2.8.0 (the test server of tests/argilla/server, SQLite and the
SQL search engine) for each side, so neither inherits the other's database. Somos: the
`argilla_sync` push (reads the records from PostgreSQL, creates workspace and dataset, upserts
500 per request). SDK: reads the same rows, builds `rg.Record`s with the same fields, metadata
and suggestions, creates a dataset with the same settings and calls `dataset.records.log`
(256 per request). Both timings run from the first read of the records to the last answer.
Ends with `records=N somos_per_s=… sdk_per_s=… ratio=…` (ratio = somos / sdk; budget ≥ 0.9).
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

from scratch import database_create, django_setup, say, text

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
DEFAULT_DSN = "postgres://postgres@127.0.0.1:5432/somos_argilla_bench"
SLUG = "bench-argilla"
WORDS_EN = [
    "the",
    "of",
    "which",
    "energy",
    "cell",
    "planet",
    "market",
    "law",
    "value",
    "force",
    "system",
    "water",
    "number",
]
WORDS_ES = [
    "la",
    "de",
    "cuál",
    "energía",
    "célula",
    "planeta",
    "mercado",
    "ley",
    "valor",
    "fuerza",
    "sistema",
    "agua",
    "número",
]


def argilla_setup(dsn: str) -> None:
    """Set Django up on the scratch database with Argilla on (the server comes later)."""
    django_setup(dsn, ARGILLA_API_URL="http://127.0.0.1:1", ARGILLA_API_KEY="set-per-server")
    from django.core.management import call_command

    call_command("migrate", verbosity=0)


def campaign_make():
    """Create the bench campaign (ARC preset), without records yet."""
    from campaigns.models import Campaign
    from campaigns.services import campaign_create

    Campaign.objects.filter(slug=SLUG).delete()
    campaign = campaign_create(slug=SLUG, name="Argilla bench", preset="okapi_arc")
    campaign.argilla_workspace, campaign.argilla_dataset = "bench", "somos"
    campaign.save(update_fields=["argilla_workspace", "argilla_dataset"])
    return campaign


def records_add(campaign, first: int, count: int) -> tuple[int, int]:
    """Add synthetic records numbered first.. to the campaign; return their id range."""
    from campaigns.models import Record

    rows = []
    for n in range(first, first + count):
        pieces = [
            {
                "name": "question",
                "source": text(WORDS_EN, n, 18),
                "translation": text(WORDS_ES, n, 18),
            }
        ]
        pieces += [
            {
                "name": f"option_{letter}",
                "source": text(WORDS_EN, n + i, 4),
                "translation": text(WORDS_ES, n + i, 4),
            }
            for i, letter in enumerate("abcd")
        ]
        rows.append(
            Record(
                campaign=campaign,
                external_id=f"bench-{n:07d}",
                fields=pieces,
                metadata={"answer": "ABCD"[n % 4], "split": "validation"},
            )
        )
    made = Record.objects.bulk_create(rows, batch_size=2000)
    return made[0].pk, made[-1].pk


def somos_push(campaign, count: int) -> float:
    """Push the campaign's new records through Somos's sync; return the seconds it took."""
    from annotation.argilla.sync import argilla_sync

    started = time.perf_counter()
    run = argilla_sync(campaign=campaign, push=True, pull=False)
    took = time.perf_counter() - started
    assert run.records_pushed == count, (run.records_pushed, count)
    return took


class SdkSide:
    """The SDK's own way: rg.Record objects and dataset.records.log (256 per request)."""

    def __init__(self, campaign) -> None:
        import argilla as rg
        from django.conf import settings

        from annotation.argilla import gateway

        self.rg, self.gateway, self.campaign = rg, gateway, campaign
        client = rg.Argilla(api_url=settings.ARGILLA_API_URL, api_key=settings.ARGILLA_API_KEY)
        schema = gateway.campaign_schema(campaign=campaign, with_metadata=True)
        workspace = rg.Workspace(name="bench-sdk", client=client).create()
        # The same settings Somos gives its dataset (fields, questions, metadata, distribution).
        dataset_settings = gateway._settings(rg, campaign, schema, "")
        self.dataset = rg.Dataset(
            name="sdk", workspace=workspace, settings=dataset_settings, client=client
        ).create()

    def push(self, first_id: int, last_id: int) -> float:
        """Read the same rows from the database and log them; return the seconds it took."""
        from campaigns.models import Record

        rg, gateway = self.rg, self.gateway
        started = time.perf_counter()
        rows = Record.objects.filter(campaign=self.campaign, pk__range=(first_id, last_id))
        records = []
        for row in rows.order_by("id").values("external_id", "fields", "metadata"):
            fields, suggestions = {}, []
            for piece in row["fields"]:
                source_name, translation_name = gateway._field_names(piece["name"])
                fields[source_name] = piece["source"]
                fields[translation_name] = piece["translation"]
                suggestions.append(
                    rg.Suggestion(
                        question_name=f"{gateway.argilla_name(piece['name'])}_corrected",
                        value=piece["translation"],
                        agent=gateway.MACHINE_TRANSLATION_AGENT,
                        type="model",
                    )
                )
            records.append(
                rg.Record(
                    id=row["external_id"],
                    fields=fields,
                    metadata=row["metadata"],
                    suggestions=suggestions,
                )
            )
        self.dataset.records.log(records)
        return time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--records", type=int, default=10_000)
    parser.add_argument("--round", type=int, default=512, help="records per round")
    parser.add_argument("--dsn", default=os.environ.get("BENCH_DATABASE_URL", DEFAULT_DSN))
    args = parser.parse_args()

    database_create(args.dsn)
    argilla_setup(args.dsn)
    import logging

    from django.conf import settings

    from tests.argilla.server.control import ArgillaTestServer

    # The SDK logs every request and a progress bar; the bench prints its own progress.
    logging.getLogger("argilla.sdk").setLevel(logging.WARNING)
    os.environ["TQDM_DISABLE"] = "1"
    campaign = campaign_make()
    server = ArgillaTestServer()
    say(f"starting argilla-server 2.8.0 at {server.url}")
    server.start()
    took = {"somos": 0.0, "sdk": 0.0}
    try:
        settings.ARGILLA_API_URL, settings.ARGILLA_API_KEY = server.url, server.api_key
        settings.ARGILLA_WEBHOOK_URL = ""
        # Datasets are made before timing: both sides then time records only.
        somos_push(campaign, 0)
        sdk = SdkSide(campaign)
        done = 0
        while done < args.records:
            count = min(args.round, args.records - done)
            first_id, last_id = records_add(campaign, done, count)
            # Alternate who goes first, so neither gets the quieter moments of a busy machine.
            sides = [
                ("sdk", lambda a=first_id, b=last_id: sdk.push(a, b)),
                ("somos", lambda n=count: somos_push(campaign, n)),
            ]
            if (done // args.round) % 2:
                sides.reverse()
            figures = []
            for side, push in sides:
                seconds = push()
                took[side] += seconds
                figures.append(f"{side} {count / seconds:.0f}/s")
            done += count
            say(f"{done}/{args.records} records: " + ", ".join(figures))
    finally:
        server.cleanup()
        campaign.delete()
    somos_rate, sdk_rate = args.records / took["somos"], args.records / took["sdk"]
    say(
        f"records={args.records} somos_per_s={somos_rate:.0f} "
        f"sdk_per_s={sdk_rate:.0f} ratio={somos_rate / sdk_rate:.2f}"
    )


if __name__ == "__main__":
    main()
