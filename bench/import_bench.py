"""Measure `manage.py import_campaign` end to end against a raw COPY of the same bytes.

Usage: python bench/import_bench.py [--rows 100000] [--dsn postgres://...]

Writes N synthetic MMLU items in the okapi_mmlu layout (English `cais/mmlu` JSONL and
Okapi Spanish JSONL), imports them through the management command in a subprocess
(timing it and taking its peak RSS), then times the physical write path of the same bytes:
the two files' lines, read and COPYed pairwise into a two-column table (the baseline of
the budget's ratio). For information it also COPYs the very column values the importer
wrote into a scratch table shaped and indexed like campaigns_record, and the floor: the
content every record must hold (external id, pieces as jsonb, original rows as json) and
nothing else, COPYed already encoded into a table without index. Each timed COPY starts
after a CHECKPOINT. Ends with one line of name=value figures; drops its campaign and
scratch tables.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import struct
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import psycopg
from psycopg import sql
from scratch import database_create, django_setup, say, text

ROOT = Path(__file__).resolve().parents[1]
DEFAULT_DSN = "postgres://postgres@127.0.0.1:5432/somos_bench"
SLUG = "bench-import"
SCRATCH_TABLE = "bench_raw_copy"
LINES_TABLE = "bench_lines_copy"
FLOOR_TABLE = "bench_floor_copy"
SUBJECTS = (
    "abstract_algebra",
    "anatomy",
    "astronomy",
    "college_biology",
    "econometrics",
    "high_school_physics",
    "moral_disputes",
    "virology",
)
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


def files_write(*, directory: Path, rows: int) -> tuple[Path, Path]:
    """Write N English and Okapi Spanish MMLU rows; return both paths."""
    english = directory / "mmlu_en.jsonl"
    spanish = directory / "okapi_mmlu_es.jsonl"
    with english.open("w", encoding="utf-8") as en, spanish.open("w", encoding="utf-8") as es:
        for number in range(rows):
            subject = SUBJECTS[number % len(SUBJECTS)]
            index = number // len(SUBJECTS)
            answer = number % 4
            # Lengths close to MMLU's: a 25-word question and 6-word choices.
            question = f"Question {number}: {text(WORDS_EN, number, 25)}?"
            choices = [f"{text(WORDS_EN, number + k, 6)} {k}" for k in range(4)]
            en.write(
                json.dumps(
                    {
                        "question": question,
                        "subject": subject,
                        "choices": choices,
                        "answer": answer,
                        "_row_index": index,
                    },
                    ensure_ascii=False,
                )
                + "\n"
            )
            spanish_row = {
                "instruction": f"¿Pregunta {number}: {text(WORDS_ES, number, 25)}?",
                **{
                    f"option_{letter}": f"{text(WORDS_ES, number + k, 6)} {k}"
                    for k, letter in enumerate("abcd")
                },
                "answer": "ABCD"[answer],
                "id": f"{subject}/val/{index}",
            }
            es.write(json.dumps(spanish_row, ensure_ascii=False) + "\n")
    return english, spanish


def leftovers_drop() -> None:
    """Drop the scratch table and the benchmark campaign, its records in one statement."""
    from django.db import connection

    from campaigns.models import Campaign

    with connection.cursor() as cursor:
        cursor.execute(f"DROP TABLE IF EXISTS {SCRATCH_TABLE}")
        cursor.execute(f"DROP TABLE IF EXISTS {LINES_TABLE}")
        cursor.execute(f"DROP TABLE IF EXISTS {FLOOR_TABLE}")
    campaign = Campaign.objects.filter(slug=SLUG).first()
    if campaign is None:
        return
    with connection.cursor() as cursor:
        cursor.execute("DELETE FROM campaigns_record WHERE campaign_id = %s", [campaign.pk])
    campaign.delete()
    with connection.cursor() as cursor:
        # Later runs then insert into a table without a million dead rows.
        cursor.execute("VACUUM ANALYZE campaigns_record")


def import_run(*, english: Path, spanish: Path) -> tuple[float, float]:
    """Run import_campaign in a subprocess; return its seconds and peak RSS in MB."""
    command = [
        sys.executable,
        str(ROOT / "manage.py"),
        "import_campaign",
        "--slug",
        SLUG,
        "--preset",
        "okapi_mmlu",
        "--source",
        str(english),
        "--translation",
        str(spanish),
    ]
    started = time.perf_counter()
    with subprocess.Popen(command, cwd=ROOT, stdout=subprocess.PIPE, text=True) as process:
        assert process.stdout is not None
        for line in process.stdout:
            say(f"  | {line.rstrip()}")
    seconds = time.perf_counter() - started
    if process.returncode:
        raise SystemExit(f"import_campaign failed with exit status {process.returncode}")
    # ru_maxrss is in kilobytes on Linux and covers the largest child waited for.
    peak_mb = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    return seconds, peak_mb


def raw_rows(*, english: Path, spanish: Path, campaign_id: int) -> tuple[list[bytes], list[bytes]]:
    """Build the binary COPY rows the importer writes, with its own reader, checks and encoder.

    Returns them and, from the same encoded records, the floor's rows: only the content
    every record must hold (see floor_chunk).
    """
    from campaigns import record_writer
    from campaigns.importers.presets import preset_get
    from campaigns.importers.sources import Source
    from campaigns.models import Campaign

    # The writer's private encoder, so both COPYs carry byte-identical rows (the triage checks
    # run here too, before the timed COPY: they are the importer's work).
    campaign = Campaign.objects.get(pk=campaign_id)
    columns = preset_get("okapi_mmlu").read_columns(Source(english), Source(spanish))
    shared = record_writer._shared_fields(campaign)
    rows, floor = [], []
    for batch in record_writer._column_batches(campaign, columns):
        rows.append(record_writer._binary_rows(batch, shared))
        floor.append(floor_chunk(batch))
    return rows, floor


def lines_copy(*, dsn: str, english: Path, spanish: Path) -> float:
    """Read both files and COPY their lines pairwise into a two-column table; return seconds.

    The physical write path of the import's input: the same bytes, no parsing, no checks,
    no index, one transaction (commit included), through psycopg 3's copy API.
    """
    with psycopg.connect(dsn) as conn:
        conn.execute(f"DROP TABLE IF EXISTS {LINES_TABLE}")
        conn.execute(f"CREATE TABLE {LINES_TABLE} (english text, spanish text)")
        conn.commit()
        checkpoint(dsn)
        started = time.perf_counter()
        with (
            english.open(encoding="utf-8") as english_lines,
            spanish.open(encoding="utf-8") as spanish_lines,
            conn.cursor() as cursor,
            cursor.copy(f"COPY {LINES_TABLE} (english, spanish) FROM STDIN") as copy,
        ):
            for pair in zip(english_lines, spanish_lines, strict=True):
                copy.write_row(pair)
        conn.commit()
        seconds = time.perf_counter() - started
        count = conn.execute(f"SELECT count(*) FROM {LINES_TABLE}").fetchone()
        conn.execute(f"DROP TABLE {LINES_TABLE}")
        conn.commit()
    assert count is not None and count[0] > 0, count
    return seconds


def raw_copy(*, dsn: str, rows: list[bytes]) -> tuple[float, int]:
    """COPY the importer's binary rows into a table like campaigns_record: seconds, rows."""
    from campaigns import record_writer

    with psycopg.connect(dsn) as conn:
        conn.execute(f"DROP TABLE IF EXISTS {SCRATCH_TABLE}")
        # Same columns, defaults, indexes (unique and assignment), storage parameters
        # (fillfactor, toast_tuple_target) and foreign key.
        conn.execute(f"CREATE TABLE {SCRATCH_TABLE} (LIKE campaigns_record INCLUDING ALL)")
        options = conn.execute(
            "SELECT array_to_string(reloptions, ', ') FROM pg_class"
            " WHERE oid = 'campaigns_record'::regclass"
        ).fetchone()
        if options and options[0]:
            conn.execute(f"ALTER TABLE {SCRATCH_TABLE} SET ({options[0]})")
        conn.execute(
            f"ALTER TABLE {SCRATCH_TABLE} ADD FOREIGN KEY (campaign_id)"
            " REFERENCES campaigns_campaign (id) DEFERRABLE INITIALLY DEFERRED"
        )
        conn.commit()
        statement = (
            f"COPY {SCRATCH_TABLE} ({record_writer._COPY_COLUMNS}) FROM STDIN WITH (FORMAT binary)"
        )
        seconds = binary_copy_timed(conn=conn, dsn=dsn, statement=statement, rows=rows)
        count = conn.execute(f"SELECT count(*) FROM {SCRATCH_TABLE}").fetchone()
    return seconds, count[0] if count else 0


def checkpoint(dsn: str) -> None:
    """Start a timed phase from a fresh checkpoint, as every other phase does.

    A phase that ran past the end of the one before it would otherwise pay for its
    checkpoint (the import writes ~450 MB of WAL at 200,000 rows).
    """
    with psycopg.connect(dsn, autocommit=True) as conn:
        conn.execute("CHECKPOINT")


def binary_copy_timed(
    *, conn: psycopg.Connection, dsn: str, statement: str | sql.Composed, rows: list[bytes]
) -> float:
    """From a fresh checkpoint, COPY binary rows with `statement` and commit; return seconds."""
    from campaigns import record_writer

    checkpoint(dsn)
    started = time.perf_counter()
    with conn.cursor() as cursor, cursor.copy(statement) as copy:
        copy.write(record_writer._BINARY_SIGNATURE)
        for chunk in rows:
            copy.write(chunk)
        copy.write(record_writer._BINARY_TRAILER)
    conn.commit()
    return time.perf_counter() - started


def floor_chunk(records: list) -> bytes:
    """Encoded records as binary COPY rows of only the content every record must hold.

    External id, pieces (jsonb: annotation and consensus read inside them) and the original
    rows kept whole (json, as read): what DESIGN's Record holds, with no metadata, status,
    triage or timestamps. `records` are the writer's encoded records, so the bytes are the
    importer's.
    """
    from campaigns import record_writer

    length = record_writer._pack_length
    field_count = struct.pack("!h", 3)
    rows: list[bytes] = []
    for external_id, fields, source_row, _metadata, _triage in records:
        rows += (
            field_count,
            length(len(external_id)),
            external_id,
            length(len(fields) + 1),
            b"\x01",
            fields,
            length(len(source_row)),
            source_row,
        )
    return b"".join(rows)


def floor_copy(*, dsn: str, rows: list[bytes]) -> float:
    """COPY the records' required content into a table without index; return seconds.

    No client work is timed (the rows are built), no index, constraint, trigger or other
    column is kept up: what storing the records' content alone costs the server, the
    least any importer pays for it.
    """
    table = sql.Identifier(FLOOR_TABLE)
    with psycopg.connect(dsn) as conn:
        conn.execute(sql.SQL("DROP TABLE IF EXISTS {}").format(table))
        conn.execute(
            sql.SQL("CREATE TABLE {} (external_id text, fields jsonb, source_row json)").format(
                table
            )
        )
        conn.commit()
        statement = sql.SQL("COPY {} FROM STDIN WITH (FORMAT binary)").format(table)
        seconds = binary_copy_timed(conn=conn, dsn=dsn, statement=statement, rows=rows)
        count = conn.execute(sql.SQL("SELECT count(*) FROM {}").format(table)).fetchone()
        conn.execute(sql.SQL("DROP TABLE {}").format(table))
        conn.commit()
    assert count is not None and count[0] > 0, count
    return seconds


def main() -> None:
    """Run the benchmark and print its figures."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--dsn", default=os.environ.get("BENCH_DATABASE_URL", DEFAULT_DSN))
    args = parser.parse_args()

    database_create(args.dsn)
    django_setup(args.dsn)
    from django.core.management import call_command

    from campaigns.models import Campaign

    say("migrating the benchmark database")
    call_command("migrate", verbosity=0)
    leftovers_drop()

    with tempfile.TemporaryDirectory(prefix="somos-bench-") as directory:
        started = time.perf_counter()
        english, spanish = files_write(directory=Path(directory), rows=args.rows)
        megabytes = (english.stat().st_size + spanish.stat().st_size) / 2**20
        say(
            f"wrote {args.rows} rows ({megabytes:.0f} MB of JSONL)"
            f" in {time.perf_counter() - started:.1f} s"
        )
        try:
            say("importing through manage.py import_campaign")
            checkpoint(args.dsn)
            import_seconds, peak_mb = import_run(english=english, spanish=spanish)
            campaign = Campaign.objects.get(slug=SLUG)
            stored = campaign.records.count()
            if stored != args.rows:
                raise SystemExit(f"expected {args.rows} records, found {stored}")
            records_per_s = args.rows / import_seconds
            say(
                f"import: {import_seconds:.2f} s wall, {records_per_s:.0f} records/s,"
                f" peak {peak_mb:.0f} MB"
            )

            say(f"raw COPY of both files' lines into a two-column table ({LINES_TABLE})")
            copy_seconds = lines_copy(dsn=args.dsn, english=english, spanish=spanish)
            copy_rows_per_s = args.rows / copy_seconds
            say(f"raw COPY of the lines: {copy_seconds:.2f} s, {copy_rows_per_s:.0f} rows/s")

            say("building the importer's column values for a COPY into a records-shaped table")
            rows, floor = raw_rows(english=english, spanish=spanish, campaign_id=campaign.pk)
            shaped_seconds, shaped_count = raw_copy(dsn=args.dsn, rows=rows)
            del rows
            if shaped_count != args.rows:
                raise SystemExit(
                    f"expected {args.rows} rows in {SCRATCH_TABLE}, found {shaped_count}"
                )
            say(
                f"COPY of the importer's rows into {SCRATCH_TABLE} (indexed like"
                f" campaigns_record): {shaped_seconds:.2f} s,"
                f" {args.rows / shaped_seconds:.0f} rows/s (for information)"
            )

            say("the records' required content alone (external id, pieces, rows)")
            floor_seconds = floor_copy(dsn=args.dsn, rows=floor)
            del floor
            floor_ratio = copy_seconds / floor_seconds
            say(
                f"COPY of that content alone into {FLOOR_TABLE} (no index):"
                f" {floor_seconds:.2f} s, {args.rows / floor_seconds:.0f} rows/s; no importer"
                f" that stores it reaches a ratio above {floor_ratio:.2f}"
            )
        finally:
            say("dropping the benchmark campaign and scratch tables")
            leftovers_drop()

    print(
        f"rows={args.rows} records_per_s={records_per_s:.0f}"
        f" copy_rows_per_s={copy_rows_per_s:.0f}"
        f" copy_ratio={records_per_s / copy_rows_per_s:.2f} peak_mb={peak_mb:.0f}"
        f" floor_ratio={floor_ratio:.2f}",
        flush=True,
    )


if __name__ == "__main__":
    main()
