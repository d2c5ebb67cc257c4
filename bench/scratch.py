"""What the benchmark scripts share: progress lines and their scratch database."""

from __future__ import annotations

import psycopg
from psycopg import sql
from psycopg.conninfo import conninfo_to_dict, make_conninfo


def say(message: str) -> None:
    """Print one progress line at once."""
    print(message, flush=True)


def database_create(dsn: str) -> None:
    """Create the benchmark database if it does not exist; its name must say "bench"."""
    name = conninfo_to_dict(dsn)["dbname"]
    # Benchmarks delete and rebuild what they find in their database.
    if "bench" not in name:
        raise SystemExit(f"refusing to use {name!r}: the scratch database name must say bench")
    with psycopg.connect(make_conninfo(dsn, dbname="postgres"), autocommit=True) as conn:
        exists = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone()
        if not exists:
            conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
            say(f"created database {name}")
