"""Assessment's oversight figures (R-OVS-1): cases assessed eligible or ineligible, and for the ineligible
the rule ids of the tests they failed (R-CAT-*), per month, county, township, category and sub-type.
Each case counts once, by its latest assessed revision. Computed from assessment's own records only
(queries in repository/oversight.py); also its state gauges, read when /metrics is scraped."""

from __future__ import annotations

from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from services.assessment.repository import oversight
from shared.figures import Filters, money
from shared.observability import CASES_BY_STATE
from shared.runtime import Runtime


async def figures(session: AsyncSession, f: Filters) -> dict[str, Any]:
    totals = await oversight.totals(session, f)
    rows = await oversight.by_place_and_kind(session, f)
    return {
        "totals": {
            "assessed": totals["assessed"],
            "eligible": totals["eligible"],
            "ineligible": totals["ineligible"],
            "eligible_amount": money(totals["amount"]),
        },
        "ineligible_reasons": await oversight.failed_rules(session, f),
        "by_month": _rollup(rows, "month"),
        "by_county": _rollup(rows, "county_code"),
        "by_township": _rollup(rows, "county_code", "township_code"),
        "by_category": _rollup(rows, "category", "subtype"),
    }


def _rollup(rows: list[dict[str, Any]], *keys: str) -> list[dict[str, Any]]:
    out: dict[tuple[Any, ...], dict[str, Any]] = {}
    for row in rows:
        item = out.setdefault(
            tuple(row[k] for k in keys),
            {**{k: row[k] for k in keys}, "assessed": 0, "eligible": 0, "ineligible": 0},
        )
        for field in ("assessed", "eligible", "ineligible"):
            item[field] += row[field]
    return [out[k] for k in sorted(out)]


async def state_gauges(runtime: Runtime) -> None:
    """Assessed cases by the outcome of their latest assessment (R-CAT): ``eligible`` or ``ineligible``."""
    async with runtime.sessions() as session:
        counts = await oversight.cases_by_outcome(session)
    CASES_BY_STATE.replace(runtime.name, {(runtime.name, s.value): n for s, n in counts.items()})
