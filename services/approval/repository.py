"""All of approval's queries."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any, cast

from sqlalchemy import func, select, update
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.engine import CursorResult, RowMapping
from sqlalchemy.ext.asyncio import AsyncSession

from services.approval.tables import calendars, cases, decisions, help_first_grants, township_limits
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
    await session.execute(
        update(cases).where(cases.c.case_id == case_id).values(status=status, updated_at=func.now())
    )


async def add_decision(session: AsyncSession, row: dict[str, Any]) -> None:
    await session.execute(decisions.insert().values(**row))


async def decisions_for(session: AsyncSession, case_id: str) -> list[RowMapping]:
    query = select(decisions).where(decisions.c.case_id == case_id).order_by(decisions.c.id)
    return list((await session.execute(query)).mappings())


async def township_limits_on(session: AsyncSession, township_code: str, on: date) -> RowMapping | None:
    """The limits in force on ``on`` (the latest effective version; a later same-day entry wins)."""
    return (
        (
            await session.execute(
                select(township_limits)
                .where(
                    township_limits.c.township_code == township_code, township_limits.c.effective_from <= on
                )
                .order_by(township_limits.c.effective_from.desc(), township_limits.c.id.desc())
                .limit(1)
            )
        )
        .mappings()
        .first()
    )


async def township_limit(session: AsyncSession, township_code: str, on: date) -> Decimal | None:
    row = await township_limits_on(session, township_code, on)
    return row["approval_limit"] if row else None


async def limit_history(session: AsyncSession, township_code: str) -> list[RowMapping]:
    query = (
        select(township_limits)
        .where(township_limits.c.township_code == township_code)
        .order_by(township_limits.c.effective_from, township_limits.c.id)
    )
    return list((await session.execute(query)).mappings())


async def add_limit(session: AsyncSession, row: dict[str, Any]) -> RowMapping:
    return (
        (await session.execute(township_limits.insert().values(**row).returning(township_limits)))
        .mappings()
        .one()
    )


async def seed_limits(session: AsyncSession) -> None:
    """Illustrative delegation: every township may approve up to 5,000 yuan (counties change it by API)."""
    if await session.scalar(select(func.count()).select_from(township_limits)):
        return
    rows = [
        {
            "county_code": c["code"],
            "township_code": t["code"],
            "effective_from": date(2025, 1, 1),
            "approval_limit": Decimal("5000.00"),
            "disbursement_limit": Decimal("5000.00"),
        }
        for c in jurisdictions()["counties"]
        for t in c["townships"]
    ]
    await session.execute(township_limits.insert(), rows)


async def page(
    session: AsyncSession,
    *,
    status: str | None,
    township_code: str | None,
    limit: int,
    county_code: str | None = None,
) -> list[RowMapping]:
    query = select(cases).order_by(cases.c.created_at.desc(), cases.c.case_id.desc()).limit(limit)
    if status:
        query = query.where(cases.c.status == status)
    if county_code:
        query = query.where(cases.c.county_code == county_code)
    if township_code:
        query = query.where(cases.c.township_code == township_code)
    return list((await session.execute(query)).mappings())


# --- help first (R-FLOW-2) ---


async def add_grant(session: AsyncSession, row: dict[str, Any]) -> bool:
    result = await session.execute(
        insert(help_first_grants).values(**row).on_conflict_do_nothing(index_elements=["case_id"])
    )
    return bool(cast(CursorResult[Any], result).rowcount)  # DML: a cursor result


async def grant(session: AsyncSession, case_id: str, *, for_update: bool = False) -> RowMapping | None:
    query = select(help_first_grants).where(help_first_grants.c.case_id == case_id)
    if for_update:
        query = query.with_for_update()
    return (await session.execute(query)).mappings().first()


async def update_grant(session: AsyncSession, case_id: str, **values: Any) -> None:
    await session.execute(
        update(help_first_grants).where(help_first_grants.c.case_id == case_id).values(**values)
    )


async def overdue_grants(
    session: AsyncSession,
    on: date,
    *,
    county_code: str | None = None,
    unnotified_only: bool = False,
    lock: bool = False,
    limit: int = 500,
) -> list[RowMapping]:
    """Open obligations whose deadline has passed by ``on`` (the deadline day itself is still in time)."""
    query = (
        select(help_first_grants)
        .where(help_first_grants.c.status == "open", help_first_grants.c.deadline < on)
        .order_by(help_first_grants.c.deadline, help_first_grants.c.case_id)
        .limit(limit)
    )
    if county_code:
        query = query.where(help_first_grants.c.county_code == county_code)
    if unnotified_only:
        query = query.where(help_first_grants.c.overdue_notified_at.is_(None))
    if lock:
        query = query.with_for_update(skip_locked=True)
    return list((await session.execute(query)).mappings())


# --- working-day calendars ---


async def put_calendar(session: AsyncSession, row: dict[str, Any]) -> None:
    stmt = insert(calendars).values(**row)
    await session.execute(
        stmt.on_conflict_do_update(
            index_elements=["scope", "year"],
            set_={k: stmt.excluded[k] for k in ("holidays", "workdays", "source", "actor", "updated_at")},
        )
    )


async def seed_calendar(session: AsyncSession, row: dict[str, Any]) -> None:
    """Seed data never overwrites what an administrator loaded."""
    await session.execute(
        insert(calendars).values(**row).on_conflict_do_nothing(index_elements=["scope", "year"])
    )


async def calendars_for(session: AsyncSession, scopes: list[str], years: list[int]) -> list[RowMapping]:
    query = select(calendars).where(calendars.c.scope.in_(scopes), calendars.c.year.in_(years))
    return list((await session.execute(query)).mappings())


async def calendar(session: AsyncSession, scope: str, year: int) -> RowMapping | None:
    query = select(calendars).where(calendars.c.scope == scope, calendars.c.year == year)
    return (await session.execute(query)).mappings().first()
