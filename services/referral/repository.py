"""All of referral's queries."""

from __future__ import annotations

from typing import Any

from sqlalchemy import func, select, update
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.engine import RowMapping
from sqlalchemy.ext.asyncio import AsyncSession

from services.referral.tables import cases, needs_records


async def merge_case(session: AsyncSession, case_id: str, case_ref: str, **values: Any) -> RowMapping:
    """Create or update what referral knows of a case; facts arrive from several events in any order."""
    stmt = insert(cases).values(case_id=case_id, case_ref=case_ref, **values)
    stmt = stmt.on_conflict_do_update(index_elements=["case_id"], set_={**values, "updated_at": func.now()})
    await session.execute(stmt)
    row = (await session.execute(select(cases).where(cases.c.case_id == case_id).with_for_update())).mappings().one()
    return row


async def add_record(session: AsyncSession, row: dict[str, Any]) -> bool:
    result = await session.execute(insert(needs_records).values(**row)
                                   .on_conflict_do_nothing(index_elements=["case_id", "need_type"]))
    return bool(result.rowcount)


async def records_for(session: AsyncSession, case_id: str) -> list[RowMapping]:
    query = select(needs_records).where(needs_records.c.case_id == case_id).order_by(needs_records.c.need_type)
    return list((await session.execute(query)).mappings())


async def withdraw_records(session: AsyncSession, case_id: str) -> list[RowMapping]:
    result = await session.execute(
        update(needs_records).where(needs_records.c.case_id == case_id, needs_records.c.status == "published")
        .values(status="withdrawn", withdrawn_at=func.now()).returning(needs_records))
    return list(result.mappings())
