"""Time consensus (and the export) again and again on one export_bench campaign, for A/B work.

Usage: python bench/export_rounds.py [--records 100000] [--rounds 3] [--parts 2] [--export]
       [--dsn postgres://postgres@127.0.0.1:5432/somos_bench_export_rounds]

export_bench.py builds its campaign, times one pass and drops it: a minute of setup for five
seconds measured. This keeps the campaign (built once, as export_bench builds it, and found
again by later runs) and measures it round after round: each round puts every record back
to completed without consensus (the counters are left to grow), runs `VACUUM ANALYZE` and a
`CHECKPOINT` as export_bench's setup does, then times `consensus_compute_pending` (with
`--parts` parts side by side) and, with `--export`, `campaign_export` into a temporary
folder. Run it from two trees against the same database, one round each in turn, to compare
two versions of the code on a machine whose speed drifts (the tables are the same; the
trees' migrations must be too). Each round prints `round=K settled=N consensus_seconds=…
export_seconds=…`; the first round after the build pays for a cold cache and is best left
out. `--drop` drops the campaign and exits.
"""

from __future__ import annotations

import argparse
import os
import tempfile
import time
from pathlib import Path

from export_bench import SLUG, export_setup, leftovers_drop, setup, tables_settle
from scratch import database_create, say

DEFAULT_DSN = "postgres://postgres@127.0.0.1:5432/somos_bench_export_rounds"


def settled_forget(campaign) -> None:
    """Put every record of the campaign back to completed without consensus, as after setup."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(
            "DELETE FROM campaigns_consensus WHERE record_id IN"
            " (SELECT id FROM campaigns_record WHERE campaign_id = %s)",
            [campaign.pk],
        )
        cursor.execute(
            "UPDATE campaigns_record SET status = 'completed' WHERE campaign_id = %s",
            [campaign.pk],
        )
    tables_settle()


def main() -> None:
    """Build or find the campaign, then time the rounds."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--records", type=int, default=100_000)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--parts", type=int, default=None, help="consensus parts side by side")
    parser.add_argument("--export", action="store_true", help="time the export after consensus")
    parser.add_argument("--drop", action="store_true", help="drop the campaign and exit")
    parser.add_argument("--dsn", default=os.environ.get("BENCH_DATABASE_URL", DEFAULT_DSN))
    args = parser.parse_args()

    database_create(args.dsn)
    export_setup(args.dsn)
    from django.core.management import call_command

    from annotation.consensus import bulk
    from campaigns.models import Campaign
    from leaderboard.export.services import campaign_export

    call_command("migrate", verbosity=0)
    if args.drop:
        leftovers_drop()
        return
    campaign = Campaign.objects.filter(slug=SLUG).first()
    if campaign is None or campaign.records.count() != args.records:
        say(f"building the campaign: {args.records} completed records, two answers each")
        leftovers_drop()
        campaign, _ = setup(args.records)
    if args.parts is not None:
        bulk._SETTLE_PARTS = args.parts
    for number in range(args.rounds):
        settled_forget(campaign)
        started = time.perf_counter()
        settled = bulk.consensus_compute_pending(campaign=campaign)
        consensus_seconds = time.perf_counter() - started
        export_seconds = 0.0
        if args.export:
            with tempfile.TemporaryDirectory(prefix="somos-export-rounds-") as directory:
                started = time.perf_counter()
                campaign_export(campaign=campaign, folder=Path(directory) / "out")
                export_seconds = time.perf_counter() - started
        print(
            f"round={number} settled={settled} consensus_seconds={consensus_seconds:.2f}"
            f" export_seconds={export_seconds:.2f}",
            flush=True,
        )


if __name__ == "__main__":
    main()
