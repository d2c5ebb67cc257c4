"""A search engine for argilla-server that answers from the server's own SQL database.

Tests here have no Elasticsearch. argilla-server writes every record, response and
suggestion to SQL before it calls the engine, so the engine's write hooks can do nothing
and its reads can query SQL. Registered as "sql" through Argilla's own engine registry;
this module runs inside the server's venv (it imports argilla_server, not Django).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from argilla_server.database import AsyncSessionLocal
from argilla_server.enums import MetadataPropertyType, RecordStatus, SortOrder
from argilla_server.models import Dataset, MetadataProperty, Record, Response, Suggestion, User
from argilla_server.search_engine.base import (
    AndFilter,
    FloatMetadataMetrics,
    IntegerMetadataMetrics,
    MetadataFilterScope,
    RangeFilter,
    RecordFilterScope,
    ResponseFilterScope,
    SearchEngine,
    SearchResponseItem,
    SearchResponses,
    SuggestionFilterScope,
    TermsFilter,
    TermsMetrics,
    TextQuery,
)
from sqlalchemy import String, and_, cast, exists, func, not_, or_, select


@SearchEngine.register(engine_name="sql")
class SQLSearchEngine(SearchEngine):
    """Answer searches, progress and metadata metrics with SQL queries."""

    @classmethod
    async def new_instance(cls) -> SQLSearchEngine:
        return cls()

    async def close(self) -> None:
        return None

    async def ping(self) -> bool:
        return True

    async def info(self) -> dict:
        return {"backend": "sql", "distribution": "somos-tests", "version": "1"}

    # The server has already written SQL when these are called: nothing to index.
    async def create_index(self, dataset: Dataset) -> None:
        return None

    async def delete_index(self, dataset: Dataset) -> None:
        return None

    async def configure_metadata_property(self, dataset: Dataset, metadata_property) -> None:
        return None

    async def configure_index_vectors(self, vector_settings) -> None:
        return None

    async def index_records(self, dataset: Dataset, records: Iterable[Record]) -> None:
        return None

    async def partial_record_update(self, record: Record, **update: Any) -> None:
        return None

    async def delete_records(self, dataset: Dataset, records: Iterable[Record]) -> None:
        return None

    async def update_record_response(self, response: Response) -> None:
        return None

    async def delete_record_response(self, response: Response) -> None:
        return None

    async def update_record_suggestion(self, suggestion: Suggestion) -> None:
        return None

    async def delete_record_suggestion(self, suggestion: Suggestion) -> None:
        return None

    async def get_dataset_progress(self, dataset: Dataset) -> dict:
        if dataset.is_draft:
            return {}
        query = (
            select(Record.status, func.count(Record.id))
            .where(Record.dataset_id == dataset.id)
            .group_by(Record.status)
        )
        async with AsyncSessionLocal() as db:
            counts = {str(status): count for status, count in (await db.execute(query)).all()}
        return {"total": sum(counts.values()), **counts}

    async def get_dataset_user_progress(self, dataset: Dataset, user: User) -> dict:
        if dataset.is_draft:
            return {}
        query = (
            select(Response.status, func.count(Response.id))
            .join(Record, Record.id == Response.record_id)
            .where(Record.dataset_id == dataset.id, Response.user_id == user.id)
            .group_by(Response.status)
        )
        async with AsyncSessionLocal() as db:
            counts = {str(status): count for status, count in (await db.execute(query)).all()}
        return {"total": sum(counts.values()), **counts}

    async def search(
        self,
        dataset: Dataset,
        query: TextQuery | str | None = None,
        filter=None,
        sort=None,
        offset: int = 0,
        limit: int = 100,
        user_id=None,
    ) -> SearchResponses:
        conditions = [Record.dataset_id == dataset.id]
        text = query.q if isinstance(query, TextQuery) else query
        if text:
            field = query.field if isinstance(query, TextQuery) else None
            haystack = (
                cast(func.json_extract(Record.fields, f"$.{field}"), String)
                if field
                else cast(Record.fields, String)
            )
            conditions.append(haystack.ilike(f"%{text}%"))
        if filter is not None:
            conditions.append(_condition(filter))
        ordering = [_order(item) for item in sort or []]
        ordering += [Record.inserted_at.asc(), Record.id.asc()]
        where = and_(*conditions)
        async with AsyncSessionLocal() as db:
            total = await db.scalar(select(func.count(Record.id)).where(where))
            rows = await db.scalars(
                select(Record.id).where(where).order_by(*ordering).offset(offset).limit(limit)
            )
            items = [SearchResponseItem(record_id=record_id, score=None) for record_id in rows]
        return SearchResponses(items=items, total=total or 0)

    async def similarity_search(self, *args: Any, **kwargs: Any) -> SearchResponses:
        raise NotImplementedError("the SQL test engine has no vector search")

    async def compute_metrics_for(self, metadata_property: MetadataProperty):
        value = func.json_extract(Record.metadata_, f"$.{metadata_property.name}")
        scope = Record.dataset_id == metadata_property.dataset_id
        async with AsyncSessionLocal() as db:
            if metadata_property.type == MetadataPropertyType.terms:
                rows = (
                    await db.execute(
                        select(value, func.count(Record.id))
                        .where(scope, value.is_not(None))
                        .group_by(value)
                    )
                ).all()
                return TermsMetrics(
                    total=sum(count for _term, count in rows),
                    values=[TermsMetrics.TermCount(term=str(t), count=c) for t, c in rows],
                )
            bounds = select(func.min(value), func.max(value)).where(scope)
            low, high = (await db.execute(bounds)).one()
        if metadata_property.type == MetadataPropertyType.integer:
            return IntegerMetadataMetrics(min=low, max=high)
        return FloatMetadataMetrics(min=low, max=high)


def _condition(filter):
    if isinstance(filter, AndFilter):
        return and_(*(_condition(item) for item in filter.filters))
    scope = filter.scope
    if isinstance(scope, ResponseFilterScope) and scope.property == "status":
        return _response_status(scope, filter)
    column = _column(scope)
    if isinstance(filter, TermsFilter):
        return column.in_(filter.values)
    if isinstance(filter, RangeFilter):
        bounds = []
        if filter.ge is not None:
            bounds.append(column >= filter.ge)
        if filter.le is not None:
            bounds.append(column <= filter.le)
        return and_(*bounds)
    raise NotImplementedError(f"unsupported filter {filter!r}")


def _response_status(scope: ResponseFilterScope, filter: TermsFilter):
    """Match records by the status of a response; `pending` means no response at all."""
    own = Response.record_id == Record.id
    if scope.user is not None:
        own = and_(own, Response.user_id == scope.user.id)
    statuses = [value for value in filter.values if value != "pending"]
    options = []
    if statuses:
        options.append(exists().where(own, Response.status.in_(statuses)))
    if "pending" in filter.values:
        pending = not_(exists().where(own))
        if scope.user is None:
            pending = and_(pending, Record.status == RecordStatus.pending)
        options.append(pending)
    return or_(*options)


def _column(scope):
    if isinstance(scope, RecordFilterScope):
        return getattr(Record, scope.property)
    if isinstance(scope, MetadataFilterScope):
        return func.json_extract(Record.metadata_, f"$.{scope.metadata_property}")
    if isinstance(scope, SuggestionFilterScope):
        raise NotImplementedError("the SQL test engine does not filter on suggestions")
    raise NotImplementedError(f"unsupported scope {scope!r}")


def _order(order):
    column = _column(order.scope)
    return column.desc() if order.order == SortOrder.desc else column.asc()
