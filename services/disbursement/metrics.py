"""Disbursement's state gauges, read when /metrics is scraped (no personal data in labels):

- cases by the status of their latest payment instruction (scheduled, awaiting_handover, paid, failed,
  returned, unfunded, reversed — R-AID);
- each township reserve fund's balance and allocation per year, by county and township code (R-RES).
"""

from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.dialects.postgresql import distinct_on

from services.disbursement.tables import payment_instructions, reserve_funds
from shared.observability import CASES_BY_STATE, RESERVE_FUND_ALLOCATED, RESERVE_FUND_BALANCE
from shared.runtime import Runtime


async def state_gauges(runtime: Runtime) -> None:
    p = payment_instructions
    latest = (
        select(p.c.status)
        .ext(distinct_on(p.c.case_id))
        .order_by(p.c.case_id, p.c.created_at.desc(), p.c.stage.desc())
        .subquery()
    )
    async with runtime.sessions() as session:
        states = (
            await session.execute(select(latest.c.status, func.count()).group_by(latest.c.status))
        ).all()
        funds = (
            await session.execute(
                select(
                    reserve_funds.c.county_code,
                    reserve_funds.c.township_code,
                    reserve_funds.c.year,
                    reserve_funds.c.balance,
                    reserve_funds.c.allocated,
                )
            )
        ).all()
    CASES_BY_STATE.replace(runtime.name, {(runtime.name, status): count for status, count in states})
    RESERVE_FUND_BALANCE.replace(
        runtime.name, {(f.county_code, f.township_code, str(f.year)): f.balance for f in funds}
    )
    RESERVE_FUND_ALLOCATED.replace(
        runtime.name, {(f.county_code, f.township_code, str(f.year)): f.allocated for f in funds}
    )
