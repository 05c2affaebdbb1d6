"""Disbursement's oversight figures (GET /disbursement/v1/figures via shared.figures.figures_router; R-OVS-1,
R-OVS-2, R-RES-2) and its scrape-time gauges (no personal data in labels), both from repository queries
(repository/figure_queries.py):

- cases by the status of their latest payment instruction (scheduled, awaiting_handover, paid, failed,
  returned, unfunded, reversed — R-AID);
- each township reserve fund's balance and allocation per year, by county and township code (R-RES);
- overdue reserve-fund reports per county and township (R-RES-2).
"""

from __future__ import annotations

from fastapi import APIRouter

from services.disbursement.repository import figure_queries
from shared import clock
from shared.figures import figures_router
from shared.observability import (
    CASES_BY_STATE,
    RESERVE_FUND_ALLOCATED,
    RESERVE_FUND_BALANCE,
    RESERVE_REPORTS_OVERDUE,
)
from shared.runtime import Runtime


def router() -> APIRouter:
    """GET /figures (R-OVS-1): amounts paid by form, time to first payment, reserve funds."""
    return figures_router(
        "disbursement",
        figure_queries.figures,
        "Amounts paid by form, time to first payment, reserve funds (JSON or CSV)",
    )


async def state_gauges(runtime: Runtime) -> None:
    async with runtime.sessions() as session:
        states = await figure_queries.latest_payment_states(session)
        funds = await figure_queries.reserve_fund_levels(session)
        overdue = await figure_queries.overdue_reports(session, clock.local_today())
    CASES_BY_STATE.replace(runtime.name, {(runtime.name, status): count for status, count in states.items()})
    RESERVE_FUND_BALANCE.replace(
        runtime.name, {(f.county_code, f.township_code, str(f.year)): float(f.balance) for f in funds}
    )
    RESERVE_FUND_ALLOCATED.replace(
        runtime.name, {(f.county_code, f.township_code, str(f.year)): float(f.allocated) for f in funds}
    )
    late: dict[tuple[str, ...], float] = {}
    for o in overdue:  # R-RES-2, nothing silent: an overdue report shows on the dashboards too
        late[(o.county_code, o.township_code)] = late.get((o.county_code, o.township_code), 0.0) + 1
    RESERVE_REPORTS_OVERDUE.replace(runtime.name, late)
