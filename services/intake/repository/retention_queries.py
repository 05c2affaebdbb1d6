"""Retention queries (R-RET-2): intake's closed cases, and the stored documents' content of purged cases."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from services.intake.tables import applications, documents
from shared.retention import ClosedRows

CLOSED = ("approved", "rejected", "merged")


def closed_cases() -> ClosedRows:
    """(case_id, county_code, closed_at): decided (approved, rejected) or merged into another case."""
    return select(
        applications.c.id.label("case_id"),
        applications.c.county_code.label("county_code"),
        func.coalesce(applications.c.decided_at, applications.c.updated_at).label("closed_at"),
    ).where(applications.c.status.in_(CLOSED))


async def document_uris(session: AsyncSession, case_ids: Sequence[str]) -> list[str]:
    rows = await session.execute(
        select(documents.c.storage_uri)
        .where(documents.c.application_id.in_(list(case_ids)))
        .with_for_update()
    )
    return [str(u) for u in rows.scalars()]
