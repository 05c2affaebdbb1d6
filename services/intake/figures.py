"""Intake's oversight figures (R-OVS-1, R-OVS-2): applications received, by channel — walk-in or referred by
another government system (proactive discovery) — per month, county, township, category and sub-type.
Computed from intake's own records only (queries in repository/oversight.py); also its state gauges,
read when /metrics is scraped: applications by status (no personal data)."""

from __future__ import annotations

from dataclasses import asdict
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from services.intake.repository import lead_queries, oversight
from shared import clock
from shared.figures import Filters, seconds
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
        **await leads(session, f),
    }


async def leads(session: AsyncSession, f: Filters) -> dict[str, Any]:
    """R-OVS-2 proactive discovery and fast response: leads received (in the period, by receipt) by source,
    how many became applications (conversion = converted / received), how many are overdue now (open,
    past their target, no first contact), how many were contacted late, and the time from receipt to first
    contact (median and 90th percentile, ``percentile_cont``, over the leads with a first contact)."""
    found = await lead_queries.figures(session, f, clock.now())
    by_source = [asdict(r) for r in found.by_source]
    counted = ("received", "contacted", "converted", "closed", "overdue", "contacted_late")
    totals = {k: sum(r[k] for r in by_source) for k in counted}
    return {
        "leads": {**totals, "conversion": _share(totals["converted"], totals["received"])},
        "leads_by_source": [{**r, "conversion": _share(r["converted"], r["received"])} for r in by_source],
        "leads_time_to_first_contact": {
            "measured": found.measured,
            "median_seconds": seconds(found.median),
            "p90_seconds": seconds(found.p90),
            "method": "percentile_cont",
        },
    }


def _share(part: int, whole: int) -> str | None:
    """A share as a decimal string to four places (half up), None when there is nothing to divide."""
    if not whole:
        return None
    return str((Decimal(part) / Decimal(whole)).quantize(Decimal("0.0001"), rounding=ROUND_HALF_UP))


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
