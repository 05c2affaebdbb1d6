"""All of approval's queries."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

from sqlalchemy import func, select, update
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.engine import RowMapping
from sqlalchemy.ext.asyncio import AsyncSession

from services.approval.tables import cases, decisions, township_limits
from shared.reference import jurisdictions


async def upsert_assessed(session: AsyncSession, row: dict[str, Any]) -> None:
    """A newer assessment revision replaces a pending case; an older or repeated one changes nothing."""
    stmt = insert(cases).values(**row)
    stmt = stmt.on_conflict_do_update(
        index_elements=["case_id"],
        set_={k: stmt.excluded[k] for k in row if k not in ("case_id", "created_at")},
        where=(cases.c.revision < stmt.excluded.revision) & cases.c.status.in_(("pending", "returned")),
    )
    await session.execute(stmt)


async def get(session: AsyncSession, case_id: str, *, for_update: bool = False) -> RowMapping | None:
    query = select(cases).where(cases.c.case_id == case_id)
    if for_update:
        query = query.with_for_update()
    return (await session.execute(query)).mappings().first()


async def set_status(session: AsyncSession, case_id: str, status: str) -> None:
    await session.execute(update(cases).where(cases.c.case_id == case_id)
                          .values(status=status, updated_at=func.now()))


async def add_decision(session: AsyncSession, row: dict[str, Any]) -> None:
    await session.execute(decisions.insert().values(**row))


async def decisions_for(session: AsyncSession, case_id: str) -> list[RowMapping]:
    query = select(decisions).where(decisions.c.case_id == case_id).order_by(decisions.c.id)
    return list((await session.execute(query)).mappings())


async def township_limit(session: AsyncSession, township_code: str, on: date) -> Decimal | None:
    return await session.scalar(
        select(township_limits.c.approval_limit)
        .where(township_limits.c.township_code == township_code, township_limits.c.effective_from <= on)
        .order_by(township_limits.c.effective_from.desc(), township_limits.c.id.desc()).limit(1))


async def seed_limits(session: AsyncSession) -> None:
    """Illustrative delegation: every township may approve up to 5,000 yuan (counties change it by API)."""
    if await session.scalar(select(func.count()).select_from(township_limits)):
        return
    rows = [{"county_code": c["code"], "township_code": t["code"], "effective_from": date(2025, 1, 1),
             "approval_limit": Decimal("5000.00"), "disbursement_limit": Decimal("5000.00")}
            for c in jurisdictions()["counties"] for t in c["townships"]]
    await session.execute(township_limits.insert(), rows)


async def page(session: AsyncSession, *, status: str | None, township_code: str | None,
               limit: int) -> list[RowMapping]:
    query = select(cases).order_by(cases.c.created_at.desc(), cases.c.case_id.desc()).limit(limit)
    if status:
        query = query.where(cases.c.status == status)
    if township_code:
        query = query.where(cases.c.township_code == township_code)
    return list((await session.execute(query)).mappings())
