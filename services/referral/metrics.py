"""Referral's state gauges, read when /metrics is scraped: the cases referral knows of (R-CHA), each by
where its referral stands —

- ``awaiting_decision``: no decision yet and nothing shared;
- ``not_shared``: decided, and no needs record shared (no consent, no health consent for a health need,
  or nothing left to meet);
- otherwise the match state of its latest needs record: ``unmatched``, ``offered``, ``accepted``,
  ``fulfilled`` or ``closed``.
"""

from __future__ import annotations

from sqlalchemy import case, func, select
from sqlalchemy.dialects.postgresql import distinct_on

from services.referral.tables import cases, needs_records
from shared.observability import CASES_BY_STATE
from shared.runtime import Runtime


async def state_gauges(runtime: Runtime) -> None:
    n = needs_records
    latest = (
        select(n.c.case_id, n.c.match_state)
        .ext(distinct_on(n.c.case_id))
        .order_by(n.c.case_id, n.c.published_at.desc(), n.c.id.desc())
        .subquery()
    )
    state = case(
        (latest.c.match_state.is_not(None), latest.c.match_state),
        (cases.c.decision.is_(None), "awaiting_decision"),
        else_="not_shared",
    )
    query = (
        select(state, func.count())
        .select_from(cases.outerjoin(latest, latest.c.case_id == cases.c.case_id))
        .group_by(state)
    )
    async with runtime.sessions() as session:
        rows = (await session.execute(query)).all()
    CASES_BY_STATE.replace(runtime.name, {(runtime.name, s): count for s, count in rows})
