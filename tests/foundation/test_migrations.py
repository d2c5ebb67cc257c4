"""Migrations are complete and apply on SQLite and PostgreSQL."""

from __future__ import annotations

import subprocess
import sys

from django.core.management import call_command
from django.db import connection

from tests.foundation.test_settings_modes import ROOT, _clean_env


def test_migrations_match_the_models(db):
    call_command("makemigrations", "--check", "--dry-run", verbosity=0)


def test_migrations_applied_on_postgresql(db):
    assert connection.vendor == "postgresql"
    tables = set(connection.introspection.table_names())
    assert {"campaigns_record", "annotation_response", "dashboards_contributorcounter"} <= tables


def test_migrations_apply_on_a_fresh_sqlite_file(tmp_path):
    env = _clean_env(SOMOS_SQLITE_PATH=str(tmp_path / "fresh.sqlite3"))
    result = subprocess.run(
        [sys.executable, "manage.py", "migrate", "--noinput"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stderr
    assert (tmp_path / "fresh.sqlite3").stat().st_size > 0
