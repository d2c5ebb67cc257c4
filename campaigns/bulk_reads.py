"""Read many rows at once for consensus and export, fast on PostgreSQL.

Django decodes every JSON value of every row on its own; answers repeat the same small
values (`{"verdict": "correct"}`) hundreds of thousands of times, so on PostgreSQL the
queryset's SQL runs on the raw cursor, the rows are turned into columns in one go and
short JSON texts are decoded once each. Decoded values may be shared between rows: read
them, never change them. `arrow_rows` goes further and gives the rows as Arrow columns.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence

import pyarrow as pa
from django.db import connection
from django.db.models import QuerySet

from campaigns.importers.json_codec import value_from_text

# Longer texts rarely repeat: caching them would only hold memory.
_CACHED_UP_TO = 200
_dumps = json.JSONEncoder(ensure_ascii=False, separators=(",", ":")).encode
_ROWS_BATCH = 20_000


def json_decode(texts: Sequence, *, cache: dict | None = None) -> list:
    """Decode a column of JSON texts (None stays None), short ones once each."""
    cache = {} if cache is None else cache
    loads = value_from_text
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


def arrow_rows(sql: str, params: Sequence[object], *, schema: pa.Schema) -> pa.Table:
    """Return a PostgreSQL query's rows as an Arrow table of the schema's columns and types.

    The query's columns map to the schema's by position (JSON comes as its text). The rows
    are turned into columns a batch at a time, so that their Python objects live only as
    long as one batch and the same memory serves the next.
    """
    batches = []
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        while rows := cursor.fetchmany(_ROWS_BATCH):
            columns = zip(*rows, strict=True)
            arrays = [
                pa.array(column, type=field.type)
                for column, field in zip(columns, schema, strict=True)
            ]
            batches.append(pa.record_batch(arrays, schema=schema))
    return pa.Table.from_batches(batches, schema=schema)


def queryset_table(
    queryset: QuerySet, *, schema: pa.Schema, json_columns: Iterable[int] = ()
) -> pa.Table:
    """Return a values_list queryset's rows as an Arrow table of the schema's columns.

    JSON columns come as JSON text: on PostgreSQL as the server writes them (arrow_rows);
    elsewhere Django reads the rows and decodes them, and they are written back compactly.
    """
    if connection.vendor == "postgresql":
        sql, params = queryset.query.sql_with_params()
        return arrow_rows(sql, params, schema=schema)
    rows = list(queryset)
    columns = [list(column) for column in zip(*rows, strict=True)] or [[] for _ in schema]
    for index in json_columns:
        columns[index] = [None if value is None else _dumps(value) for value in columns[index]]
    return pa.table(columns, schema=schema)
