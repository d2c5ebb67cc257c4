"""Read many rows at once for consensus and export, fast on PostgreSQL.

Django decodes every JSON value of every row on its own; answers repeat the same small
values (`{"verdict": "correct"}`) hundreds of thousands of times, so on PostgreSQL the
queryset's SQL runs on the raw cursor, the rows are turned into columns in one go and
short JSON texts are decoded once each. Decoded values may be shared between rows: read
them, never change them. `arrow_rows` goes further and gives the rows as Arrow columns.
"""

from __future__ import annotations

import io
import json
from collections.abc import Iterable, Sequence

import pyarrow as pa
from django.db import connection
from django.db.models import QuerySet
from pyarrow import csv as pa_csv

from campaigns.importers.json_codec import value_from_text

# Longer texts rarely repeat: caching them would only hold memory.
_CACHED_UP_TO = 200
_dumps = json.JSONEncoder(ensure_ascii=False, separators=(",", ":")).encode


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


def values_columns(queryset: QuerySet, *, json_columns: Iterable[int] = ()) -> list[Sequence]:
    """Return a values_list queryset's result as columns, its JSON columns decoded."""
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
    for index in json_columns:
        columns[index] = json_decode(columns[index])
    return columns


def arrow_rows(sql: str, params: Sequence[object], *, schema: pa.Schema) -> pa.Table:
    """Return a PostgreSQL query's rows as an Arrow table of the schema's columns and types.

    The query's columns map to the schema's by position (JSON comes as its text). The server
    writes the rows as CSV (`COPY (query) TO STDOUT`) and Arrow's CSV reader turns them into
    columns: no Python object per value, which cost more than the query itself.
    """
    with connection.cursor() as cursor:
        # Django's psycopg cursors bind on the client, so the query's parameters go into
        # the COPY statement as literals (COPY takes no server-side parameters).
        statement = cursor.cursor.mogrify(sql, params)
        received = io.BytesIO()
        with cursor.cursor.copy(f"COPY ({statement}) TO STDOUT WITH (FORMAT csv)") as copy:
            for block in copy:
                received.write(block)
    if not received.tell():
        return schema.empty_table()
    return pa_csv.read_csv(
        pa.BufferReader(received.getbuffer()),
        read_options=pa_csv.ReadOptions(column_names=schema.names, use_threads=False),
        # A text may hold a line break inside its quotes.
        parse_options=pa_csv.ParseOptions(newlines_in_values=True),
        convert_options=pa_csv.ConvertOptions(
            column_types=schema,
            # PostgreSQL writes NULL unquoted and empty, an empty text as "".
            null_values=[""],
            strings_can_be_null=True,
            quoted_strings_can_be_null=False,
            true_values=["t"],
            false_values=["f"],
        ),
    ).cast(schema)


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
