"""Model instances from the rows of the statements written out on the answer path.

What runs on every answer and every next record is plain SQL: building those statements
through the ORM cost more CPU than PostgreSQL spends answering them. These helpers give
their column lists and turn their rows into instances as the ORM does, with its converters
(JSON arrives as text; on SQLite, dates too).
"""

from __future__ import annotations

import functools
from collections.abc import Sequence

from django.db import connection
from django.db.models import Field, Model
from django.db.models.expressions import Col

from campaigns.models import Record

# The original row is kept for the export and never read while annotating; PostgreSQL would
# turn it into text on every read for nothing. A record read without it has it deferred.
_UNREAD: dict[type[Model], set[str]] = {Record: {"source_row"}}


def columns(model: type[Model], alias: str) -> str:
    """The model's columns that the answer path reads, qualified by alias, in field order."""
    return ", ".join(f"{alias}.{connection.ops.quote_name(field.column)}" for field in _read(model))


def column_count(model: type[Model]) -> int:
    """How many columns `columns` lists."""
    return len(_read(model))


def instance_from(model: type[Model], alias: str, values: Sequence[object]) -> Model:
    """The instance whose `columns(model, alias)` the database sent as values."""
    row = list(values)
    for index, column, converters in _converters(model, alias, connection.vendor):
        for convert in converters:
            row[index] = convert(row[index], column, connection)
    return model.from_db(connection.alias, _attnames(model), row)


@functools.cache
def _read(model: type[Model]) -> list[Field]:
    unread = _UNREAD.get(model, set())
    return [field for field in model._meta.concrete_fields if field.name not in unread]


@functools.cache
def _attnames(model: type[Model]) -> list[str]:
    return [field.attname for field in _read(model)]


@functools.cache
def _converters(model: type[Model], alias: str, vendor: str) -> list[tuple[int, Col, list]]:
    # Found once per model and database vendor: looking them up cost more than converting.
    found = []
    for index, field in enumerate(_read(model)):
        column = field.get_col(alias)
        converters = [
            *connection.ops.get_db_converters(column),
            *column.get_db_converters(connection),
        ]
        if converters:
            found.append((index, column, converters))
    return found


def insert_statement(instance: Model) -> tuple[str, list[object]]:
    """A plain INSERT of a new instance, returning its id (where can_return_columns_from_insert).

    The ORM's save of a new row cost more CPU to build than the database spends on it.
    """
    fields = _insert_fields(type(instance))
    values = [
        field.get_db_prep_save(field.pre_save(instance, True), connection) for field in fields
    ]
    return _insert_sql(type(instance)), values


def inserted(instance: Model, new_id: int) -> None:
    """Mark the instance saved under the id its INSERT returned."""
    instance.pk = new_id
    instance._state.adding = False
    instance._state.db = connection.alias


@functools.cache
def _insert_fields(model: type[Model]) -> list[Field]:
    return [field for field in model._meta.concrete_fields if not field.primary_key]


@functools.cache
def _insert_sql(model: type[Model]) -> str:
    fields = _insert_fields(model)
    names = ", ".join(connection.ops.quote_name(field.column) for field in fields)
    return (
        f"INSERT INTO {connection.ops.quote_name(model._meta.db_table)} ({names})"  # noqa: S608
        f" VALUES ({', '.join(['%s'] * len(fields))}) RETURNING id"
    )
