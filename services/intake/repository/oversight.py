"""Intake's figure and gauge queries (R-OVS-1, R-OVS-2), from intake's own records only; plain JSON-ready
values (figures.py arranges them). No personal data: counts by channel, place and category."""

from __future__ import annotations

from sqlalchemy import ColumnElement, and_, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from services.intake.domain.model import ApplicationStatus, Channel
from services.intake.tables import applications as a
from shared.figures import Filters, month_of

Cell = str | int | None
"""One value of a figure row: a key (month, place, category, system) or a count."""


def _where(f: Filters) -> ColumnElement[bool]:
    return and_(
        f.place(a.c.county_code, a.c.township_code),
        f.kind(a.c.category, a.c.subtype),
        f.period(a.c.created_at),
    )


def _walk_in() -> ColumnElement[int]:
    return func.count().filter(a.c.channel == Channel.walk_in.value)


def _other() -> ColumnElement[int]:
    return func.count().filter(a.c.channel != Channel.walk_in.value)


async def totals(session: AsyncSession, f: Filters) -> dict[str, int]:
    """Applications received, walk-in and from other systems, and the persons they ask help for."""
    query = select(
        func.count().label("received"),
        _walk_in().label("walk_in"),
        _other().label("other_system"),
        func.coalesce(func.sum(a.c.persons_helped), 0).label("persons"),
    ).where(_where(f))
    row = (await session.execute(query)).mappings().one()
    return {k: int(v) for k, v in row.items()}


async def by_place_and_kind(session: AsyncSession, f: Filters) -> list[dict[str, Cell]]:
    """Counts per month, county, township, category and sub-type."""
    month = month_of(a.c.created_at)
    keys = (month, a.c.county_code, a.c.township_code, a.c.category, a.c.subtype)
    query = (
        select(
            month.label("month"),
            a.c.county_code,
            a.c.township_code,
            a.c.category,
            a.c.subtype,
            func.count().label("received"),
            _walk_in().label("walk_in"),
            _other().label("other_system"),
        )
        .where(_where(f))
        .group_by(*keys)
        .order_by(*keys)
    )
    return [dict(r) for r in (await session.execute(query)).mappings()]


async def by_referring_system(session: AsyncSession, f: Filters) -> list[dict[str, Cell]]:
    """Applications referred by each other government system (proactive discovery, R-OVS-2)."""
    query = (
        select(
            func.coalesce(a.c.referring_system, "").label("referring_system"),
            func.count().label("received"),
        )
        .where(and_(_where(f), a.c.channel != Channel.walk_in.value))
        .group_by(a.c.referring_system)
        .order_by(func.count().desc(), a.c.referring_system)
    )
    return [dict(r) for r in (await session.execute(query)).mappings()]


async def applications_by_status(session: AsyncSession) -> dict[ApplicationStatus, int]:
    """The state gauges: applications by status (no personal data)."""
    query = select(a.c.status, func.count()).group_by(a.c.status)
    return {ApplicationStatus(s): int(n) for s, n in (await session.execute(query)).all()}
