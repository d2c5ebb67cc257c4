"""Several statements in one round trip to PostgreSQL; one by one on other databases.

The answer path runs a dozen short statements per answer, each costing more on the way to
the database and back (Django's cursor, psycopg, the socket, PostgreSQL's reply) than in the
database. Statements that need nothing from each other's results travel together: Django's
psycopg backend binds parameters on the client, so one message may carry several statements,
which PostgreSQL runs in order, in the open transaction, as if sent one at a time (each with
its own snapshot under READ COMMITTED, so lock order and visibility do not change).
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence

from django.db import connection
from psycopg.pq import ExecStatus

_NAMED = re.compile(r"%\((\w+)\)s")

Statement = tuple[str, Mapping[str, object] | Sequence[object]]


def statements_run(cursor, statements: Sequence[Statement]) -> list[list[tuple] | None]:
    """Run the statements in order; return each one's rows (None where it returns none)."""
    if connection.vendor != "postgresql" or len(statements) <= 1:
        results = []
        for sql, params in statements:
            cursor.execute(sql, params)
            results.append(cursor.fetchall() if cursor.description else None)
        return results
    parts: list[str] = []
    values: list[object] = []
    for sql, params in statements:
        if isinstance(params, Mapping):
            # One message takes one parameter style: the named ones become positional.
            names = _NAMED.findall(sql)
            values.extend(params[name] for name in names)
            parts.append(_NAMED.sub("%s", sql))
        else:
            values.extend(params)
            parts.append(sql)
    cursor.execute(";\n".join(parts), values)
    results = []
    for _statement in statements:
        # The result's status, not cursor.description: that builds a column object per column.
        returns_rows = cursor.pgresult.status == ExecStatus.TUPLES_OK
        results.append(cursor.fetchall() if returns_rows else None)
        cursor.nextset()
    return results
