"""What the benchmark scripts share: progress lines and their scratch database."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import psycopg
from psycopg import sql
from psycopg.conninfo import conninfo_to_dict, make_conninfo

ROOT = Path(__file__).resolve().parents[1]


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


def text(words: list[str], seed: int, count: int) -> str:
    """Return a deterministic sentence of count words chosen by seed."""
    return " ".join(words[(seed * 7 + step * 3) % len(words)] for step in range(count))


def django_setup(dsn: str, **environment: str) -> None:
    """Point the production settings at the scratch database (plus overrides), then set up."""
    os.environ.update(
        DJANGO_SETTINGS_MODULE="somos_site.settings",
        DATABASE_URL=dsn,
        REDIS_URL=os.environ.get("REDIS_URL", "redis://127.0.0.1:6379/14"),
        SECRET_KEY="bench-only-secret-key-" + "0123456789abcdef" * 3,
        ALLOWED_HOSTS="127.0.0.1,localhost",
        SOMOS_HTTPS="false",
        SOMOS_STATIC_MANIFEST="false",
    )
    os.environ.update(environment)
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()
