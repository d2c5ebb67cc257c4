"""Read many rows at once for consensus and export, fast on PostgreSQL.

Django decodes every JSON value of every row on its own; answers repeat the same small
values (`{"verdict": "correct"}`) hundreds of thousands of times, so on PostgreSQL the
queryset's SQL runs on the raw cursor, the rows are turned into columns in one go and
short JSON texts are decoded once each. Decoded values may be shared between rows: read
them, never change them.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence

from django.db import connection
from django.db.models import QuerySet

# Longer texts rarely repeat: caching them would only hold memory.
_CACHED_UP_TO = 200


def json_decode(texts: Sequence, *, cache: dict | None = None) -> list:
    """Decode a column of JSON texts (None stays None), short ones once each."""
    cache = {} if cache is None else cache
    loads = json.loads
    decoded = []
    for text in texts:
        if text is None:
            decoded.append(None)
        elif len(text) > _CACHED_UP_TO:
            decoded.append(loads(text))
        else:
            value = cache.get(text)
            if value is None:
                value = cache[text] = loads(text)
            decoded.append(value)
    return decoded


def values_columns(
    queryset: QuerySet, *, json_columns: Iterable[int] = (), raw_json: bool = False
) -> list[Sequence]:
    """Return a values_list queryset's result as columns, its JSON columns decoded.

    With raw_json, JSON columns stay text on PostgreSQL (elsewhere Django decodes them).
    """
    if connection.vendor != "postgresql":
        rows = list(queryset)
        # values_list querysets know their column names before returning any row.
        width = len(queryset._fields)
        return list(zip(*rows, strict=True)) or [() for _ in range(width)]
    sql, params = queryset.query.sql_with_params()
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        rows = cursor.fetchall()
        width = len(cursor.description)
    columns = list(zip(*rows, strict=True)) or [() for _ in range(width)]
    if not raw_json:
        for index in json_columns:
            columns[index] = json_decode(columns[index])
    return columns


def spans_of(keys: Sequence[int]) -> dict[int, tuple[int, int]]:
    """Return where each key's run starts and ends in a column ordered by key."""
    count = len(keys)
    if not count:
        return {}
    starts = [0, *(index for index in range(1, count) if keys[index] != keys[index - 1])]
    return {
        keys[start]: (start, end) for start, end in zip(starts, [*starts[1:], count], strict=True)
    }
