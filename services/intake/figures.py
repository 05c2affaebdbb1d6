"""Intake's oversight figures (R-OVS-1, R-OVS-2): applications received, by channel — walk-in or referred by
another government system (proactive discovery) — per month, county, township, category and sub-type.
Computed from intake's own records only (queries in repository/oversight.py); also its state gauges,
read when /metrics is scraped: applications by status (no personal data)."""

from __future__ import annotations

from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from services.intake.repository import oversight
from shared.figures import Filters
from shared.observability import CASES_BY_STATE
from shared.runtime import Runtime


async def figures(session: AsyncSession, f: Filters) -> dict[str, Any]:
    totals = await oversight.totals(session, f)
    grouped = await oversight.by_place_and_kind(session, f)
    return {
        "totals": {
            "received": totals["received"],
            "walk_in": totals["walk_in"],
            "other_system": totals["other_system"],
            "persons": totals["persons"],
        },
        "by_month": _rollup(grouped, "month"),
        "by_county": _rollup(grouped, "county_code"),
        "by_township": _rollup(grouped, "county_code", "township_code"),
        "by_category": _rollup(grouped, "category", "subtype"),
        "by_referring_system": await oversight.by_referring_system(session, f),
        "rows": grouped,
    }


def _rollup(rows: list[dict[str, Any]], *keys: str) -> list[dict[str, Any]]:
    out: dict[tuple[Any, ...], dict[str, Any]] = {}
    for row in rows:
        key = tuple(row[k] for k in keys)
        item = out.setdefault(
            key, {**{k: row[k] for k in keys}, "received": 0, "walk_in": 0, "other_system": 0}
        )
        for field in ("received", "walk_in", "other_system"):
            item[field] += row[field]
    return [out[k] for k in sorted(out)]


async def state_gauges(runtime: Runtime) -> None:
    async with runtime.sessions() as session:
        counts = await oversight.applications_by_status(session)
    CASES_BY_STATE.replace(runtime.name, {(runtime.name, s.value): n for s, n in counts.items()})
