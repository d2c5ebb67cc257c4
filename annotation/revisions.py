"""Responses keep every earlier state: one helper writes a revision."""

from __future__ import annotations

from datetime import datetime

from annotation.models import Response, ResponseRevision


def revision_keep(
    *,
    response: Response,
    values: dict | None = None,
    status: str | None = None,
    origin: str | None = None,
    at: datetime | None = None,
) -> ResponseRevision:
    """Keep a state of the response as its next revision and advance its revision number.

    Without arguments the state kept is the response's current one, before the caller
    changes it; the caller saves the response.
    """
    revision = ResponseRevision.objects.create(
        response=response,
        number=response.revision,
        values=response.values if values is None else values,
        status=status or response.status,
        origin=origin or response.origin,
        created_at=at or response.updated_at,
    )
    response.revision += 1
    return revision
