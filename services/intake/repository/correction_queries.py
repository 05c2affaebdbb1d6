"""Queries of correction requests (PIPL art. 46); they return typed entities (domain/model.py)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select, update
from sqlalchemy.engine import RowMapping
from sqlalchemy.ext.asyncio import AsyncSession

from services.intake.domain.model import Correction, CorrectionField, CorrectionStatus
from services.intake.tables import corrections

c = corrections.c


def _correction(row: RowMapping) -> Correction:
    return Correction(
        **{**row, "field": CorrectionField(row["field"]), "status": CorrectionStatus(row["status"])}
    )


async def add(session: AsyncSession, row: dict[str, Any]) -> Correction:
    result = await session.execute(corrections.insert().values(**row).returning(corrections))
    return _correction(result.mappings().one())


async def get(session: AsyncSession, correction_id: str, *, for_update: bool = False) -> Correction | None:
    query = select(corrections).where(c.id == correction_id)
    row = (await session.execute(query.with_for_update() if for_update else query)).mappings().first()
    return _correction(row) if row else None


async def of_applications(session: AsyncSession, application_ids: list[str]) -> list[Correction]:
    """The corrections of these applications, oldest first."""
    query = select(corrections).where(c.application_id.in_(application_ids)).order_by(c.requested_at, c.id)
    return [_correction(r) for r in (await session.execute(query)).mappings()]


async def review(session: AsyncSession, correction_id: str, values: dict[str, Any]) -> Correction:
    result = await session.execute(
        update(corrections).where(c.id == correction_id).values(**values).returning(corrections)
    )
    return _correction(result.mappings().one())
