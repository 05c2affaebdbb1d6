"""Approval's state gauges, read when /metrics is scraped: cases by status (pending, reviewed, approved,
rejected, returned — R-FLOW)."""

from __future__ import annotations

from sqlalchemy import func, select

from services.approval.tables import cases
from shared.observability import CASES_BY_STATE
from shared.runtime import Runtime


async def state_gauges(runtime: Runtime) -> None:
    async with runtime.sessions() as session:
        rows = (await session.execute(select(cases.c.status, func.count()).group_by(cases.c.status))).all()
    CASES_BY_STATE.replace(runtime.name, {(runtime.name, status): count for status, count in rows})
