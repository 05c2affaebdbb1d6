"""Assessment's state gauges, read when /metrics is scraped: assessed cases by the outcome of their latest
assessment (R-CAT), ``eligible`` or ``ineligible``."""

from __future__ import annotations

from sqlalchemy import case, func, select
from sqlalchemy.dialects.postgresql import distinct_on

from services.assessment.tables import assessments
from shared.observability import CASES_BY_STATE
from shared.runtime import Runtime


async def state_gauges(runtime: Runtime) -> None:
    latest = (
        select(assessments.c.eligible)
        .ext(distinct_on(assessments.c.case_id))
        .order_by(assessments.c.case_id, assessments.c.revision.desc())
        .subquery()
    )
    state = case((latest.c.eligible, "eligible"), else_="ineligible")
    async with runtime.sessions() as session:
        rows = (await session.execute(select(state, func.count()).group_by(state))).all()
    CASES_BY_STATE.replace(runtime.name, {(runtime.name, s): count for s, count in rows})
