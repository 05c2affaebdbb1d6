"""All of intake's queries."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import and_, or_, select, update
from sqlalchemy.engine import RowMapping
from sqlalchemy.ext.asyncio import AsyncSession

from services.intake.tables import applications, case_no_seq, consent_events, members


async def next_case_no(session: AsyncSession, county_code: str, year: int) -> str:
    seq = await session.scalar(case_no_seq.next_value())
    return f"LS{county_code}{year}{seq:08d}"


async def by_idempotency_key(session: AsyncSession, key: str) -> RowMapping | None:
    return (await session.execute(select(applications).where(applications.c.idempotency_key == key))).mappings().first()


async def get(session: AsyncSession, application_id: str, *, for_update: bool = False) -> RowMapping | None:
    query = select(applications).where(applications.c.id == application_id)
    if for_update:
        query = query.with_for_update()
    return (await session.execute(query)).mappings().first()


async def insert(session: AsyncSession, row: dict[str, Any], member_rows: list[dict[str, Any]]) -> None:
    await session.execute(applications.insert().values(**row))
    await session.execute(members.insert(), member_rows)


async def set_consents(session: AsyncSession, application_id: str, consents: dict[str, bool], consent: str) -> None:
    await session.execute(update(applications).where(applications.c.id == application_id)
                          .values(consents=consents, updated_at=datetime.now().astimezone()))
    await session.execute(consent_events.insert().values(application_id=application_id, consent=consent,
                                                         action="withdrawn"))


async def page(session: AsyncSession, *, county_code: str | None, township_code: str | None, status: str | None,
               category: str | None, submitted_from: date | None, submitted_to: date | None,
               after: tuple[datetime, str] | None, limit: int) -> list[RowMapping]:
    """Newest first, keyset on (created_at, id)."""
    c = applications.c
    conditions = []
    for column, value in ((c.county_code, county_code), (c.township_code, township_code), (c.status, status),
                          (c.category, category)):
        if value is not None:
            conditions.append(column == value)
    if submitted_from:
        conditions.append(c.created_at >= submitted_from)
    if submitted_to:
        conditions.append(c.created_at < submitted_to)
    if after:
        created, id_ = after
        conditions.append(or_(c.created_at < created, and_(c.created_at == created, c.id < id_)))
    query = select(applications).where(*conditions).order_by(c.created_at.desc(), c.id.desc()).limit(limit)
    return list((await session.execute(query)).mappings().all())
