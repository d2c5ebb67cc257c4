"""Measure the translation triage: how well it ranks broken records first, and what it costs.

Usage: python bench/triage_bench.py [--seeds 10] [--count 50] [--broken 8] [--preset okapi_mmlu]
       [--repeat 100]

Needs no database and no Django set-up. For each seed 0..S-1 it builds an evaluation set with
`tests/triage/broken.py`: `count` shipped sample records (MMLU and ARC with their Okapi Spanish),
`broken` of them broken the ways machine translation breaks (left in English, another
language, cut short, a number or a formula changed, two options made identical or swapped, a
phrase in a loop, an empty or placeholder piece). It scores every record with
`records_triage`, ranks them by score (ties keep the set's seeded order) and prints, per seed,
the precision among the top `broken` (how many of them are broken), the broken records left
out and the clean ones let in, with their flags; then how often each breakage was flagged at
all and which clean sample records are flagged. Cost: the best of `repeat` runs of
`records_triage` over the clean samples (the import's usual case) and over every evaluation
set (broken records may call the language identifier), in µs per record; the identifier's
model is loaded before timing. Last line: `records=<count> broken=<broken>
precision_at_broken=<p>`, p averaged over the seeds.
"""

from __future__ import annotations

import argparse
import sys
import time
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from campaigns.triage.checks import Triage, records_triage  # noqa: E402
from tests.triage.broken import broken_items, clean_items  # noqa: E402


def say(message: str) -> None:
    """Print one progress line at once."""
    print(message, flush=True)


def flags_shown(triage: Triage) -> str:
    """The flags of a triage, short: piece:check, …"""
    return ", ".join(f"{flag.piece}:{flag.check}" for flag in triage.flags) or "no flag"


def us_per_record(records: list, repeat: int) -> float:
    """The best of `repeat` runs of records_triage over records, in µs per record."""
    best = float("inf")
    for _ in range(repeat):
        started = time.perf_counter()
        records_triage(records)
        best = min(best, time.perf_counter() - started)
    return best / len(records) * 1e6


def main() -> None:
    """Run the benchmark and print its figures."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, default=10)
    parser.add_argument("--count", type=int, default=50)
    parser.add_argument("--broken", type=int, default=8)
    parser.add_argument("--preset", default="okapi_mmlu")
    parser.add_argument("--repeat", type=int, default=100)
    args = parser.parse_args()

    precisions = []
    every_record = []
    made_total: Counter[str] = Counter()
    flagged_total: Counter[str] = Counter()
    for seed in range(args.seeds):
        items, made = broken_items(seed, args.count, args.broken, args.preset)
        records = [item.pieces for item in items]
        every_record += records
        triages = records_triage(records)
        ranked = sorted(range(len(items)), key=lambda index: -triages[index].score)
        top = set(ranked[: args.broken])
        hits = sum(items[index].external_id in made for index in top)
        precisions.append(hits / args.broken)
        say(f"seed={seed} precision={hits / args.broken:.3f} ({hits}/{args.broken})")
        for index, item in enumerate(items):
            breakage = made.get(item.external_id)
            if breakage is not None:
                made_total[breakage] += 1
                flagged_total[breakage] += triages[index].score > 0
            if (breakage is None) == (index in top):
                side = "clean in top" if breakage is None else f"missed {breakage}"
                say(
                    f"  {side}: {item.external_id} score={triages[index].score}"
                    f" [{flags_shown(triages[index])}]"
                )
    for breakage, count in sorted(made_total.items()):
        say(f"breakage {breakage}: flagged {flagged_total[breakage]}/{count}")

    clean = clean_items(args.preset)
    clean_records = [item.pieces for item in clean]
    flagged = 0
    for item, triage in zip(clean, records_triage(clean_records), strict=True):
        if triage.flags:
            flagged += 1
            say(f"clean sample flagged: {item.external_id} [{flags_shown(triage)}]")
    say(f"clean samples flagged: {flagged}/{len(clean)} ({flagged / len(clean):.1%})")

    clean_us = us_per_record(clean_records, args.repeat)
    all_us = us_per_record(every_record, max(1, args.repeat // 5))
    say(f"us_per_record_clean={clean_us:.2f} us_per_record_all={all_us:.2f}")
    print(
        f"records={args.count} broken={args.broken}"
        f" precision_at_broken={sum(precisions) / len(precisions):.3f}",
        flush=True,
    )


if __name__ == "__main__":
    main()
