"""Intake's oversight figures (R-OVS-1, R-OVS-2): applications received, by channel — walk-in or referred by
another government system (proactive discovery) — per month, county, township, category and sub-type.
Computed from intake's own records only."""

from __future__ import annotations

from typing import Any

from sqlalchemy import and_, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from services.intake.tables import applications as a
from shared.figures import Filters, month_of


def _where(f: Filters) -> Any:
    return and_(
        f.place(a.c.county_code, a.c.township_code),
        f.kind(a.c.category, a.c.subtype),
        f.period(a.c.created_at),
    )


async def figures(session: AsyncSession, f: Filters) -> dict[str, Any]:
    walk_in = func.count().filter(a.c.channel == "walk_in")
    other = func.count().filter(a.c.channel != "walk_in")
    month = month_of(a.c.created_at)
    where = _where(f)
    totals = (
        (
            await session.execute(
                select(
                    func.count().label("received"),
                    walk_in.label("walk_in"),
                    other.label("other_system"),
                    func.coalesce(func.sum(a.c.persons_helped), 0).label("persons"),
                ).where(where)
            )
        )
        .mappings()
        .one()
    )
    grouped = (
        (
            await session.execute(
                select(
                    month.label("month"),
                    a.c.county_code,
                    a.c.township_code,
                    a.c.category,
                    a.c.subtype,
                    func.count().label("received"),
                    walk_in.label("walk_in"),
                    other.label("other_system"),
                )
                .where(where)
                .group_by(month, a.c.county_code, a.c.township_code, a.c.category, a.c.subtype)
                .order_by(month, a.c.county_code, a.c.township_code, a.c.category, a.c.subtype)
            )
        )
        .mappings()
        .all()
    )
    systems = (
        (
            await session.execute(
                select(
                    func.coalesce(a.c.referring_system, "").label("referring_system"),
                    func.count().label("received"),
                )
                .where(and_(where, a.c.channel != "walk_in"))
                .group_by(a.c.referring_system)
                .order_by(func.count().desc(), a.c.referring_system)
            )
        )
        .mappings()
        .all()
    )
    return {
        "totals": {
            "received": totals["received"],
            "walk_in": totals["walk_in"],
            "other_system": totals["other_system"],
            "persons": int(totals["persons"]),
        },
        "by_month": _rollup(grouped, "month"),
        "by_county": _rollup(grouped, "county_code"),
        "by_township": _rollup(grouped, "county_code", "township_code"),
        "by_category": _rollup(grouped, "category", "subtype"),
        "by_referring_system": [dict(r) for r in systems],
        "rows": [dict(r) for r in grouped],
    }


def _rollup(rows: Any, *keys: str) -> list[dict[str, Any]]:
    out: dict[tuple[Any, ...], dict[str, Any]] = {}
    for row in rows:
        key = tuple(row[k] for k in keys)
        item = out.setdefault(
            key, {**{k: row[k] for k in keys}, "received": 0, "walk_in": 0, "other_system": 0}
        )
        for field in ("received", "walk_in", "other_system"):
            item[field] += row[field]
    return [out[k] for k in sorted(out)]
