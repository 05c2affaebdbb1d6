"""Intake's state gauges, read when /metrics is scraped: applications by status (no personal data)."""

from __future__ import annotations

from sqlalchemy import func, select

from services.intake.tables import applications
from shared.observability import CASES_BY_STATE
from shared.runtime import Runtime


async def state_gauges(runtime: Runtime) -> None:
    async with runtime.sessions() as session:
        rows = (
            await session.execute(select(applications.c.status, func.count()).group_by(applications.c.status))
        ).all()
    CASES_BY_STATE.replace(runtime.name, {(runtime.name, status): count for status, count in rows})
