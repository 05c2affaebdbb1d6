"""Assessment's figure and gauge queries (R-OVS-1): each case counts once, by its latest assessed revision;
the answers are plain JSON-ready values (figures.py arranges them)."""

from __future__ import annotations

from decimal import Decimal

from sqlalchemy import Subquery, and_, case, column, func, literal_column, select
from sqlalchemy.dialects.postgresql import JSONB, distinct_on
from sqlalchemy.ext.asyncio import AsyncSession

from services.assessment.domain.model import Outcome
from services.assessment.tables import assessments as t
from shared.figures import Filters, month_of

Cell = str | int | None
"""One value of a figure row: a key (month, place, category) or a count."""


def _latest(f: Filters) -> Subquery:
    township = t.c.inputs["township_code"].astext
    category, subtype = t.c.inputs["category"].astext, t.c.inputs["subtype"].astext
    return (
        select(
            t.c.case_id,
            t.c.eligible,
            t.c.amount,
            t.c.result,
            t.c.county_code,
            township.label("township_code"),
            category.label("category"),
            subtype.label("subtype"),
            month_of(t.c.created_at).label("month"),
        )
        .where(and_(f.place(t.c.county_code, township), f.kind(category, subtype), f.period(t.c.created_at)))
        .ext(distinct_on(t.c.case_id))
        .order_by(t.c.case_id, t.c.revision.desc())
    ).subquery("latest")


async def totals(session: AsyncSession, f: Filters) -> dict[str, int | Decimal]:
    """Cases assessed, eligible and ineligible, and the eligible cases' amount."""
    latest = _latest(f)
    row = (
        (
            await session.execute(
                select(
                    func.count().label("assessed"),
                    func.count().filter(latest.c.eligible.is_(True)).label("eligible"),
                    func.count().filter(latest.c.eligible.is_(False)).label("ineligible"),
                    func.coalesce(func.sum(latest.c.amount).filter(latest.c.eligible.is_(True)), 0).label(
                        "amount"
                    ),
                )
            )
        )
        .mappings()
        .one()
    )
    return dict(row)


async def by_place_and_kind(session: AsyncSession, f: Filters) -> list[dict[str, Cell]]:
    """Counts per month, county, township, category and sub-type."""
    latest = _latest(f)
    keys = (latest.c.month, latest.c.county_code, latest.c.township_code, latest.c.category, latest.c.subtype)
    query = (
        select(
            *keys,
            func.count().label("assessed"),
            func.count().filter(latest.c.eligible.is_(True)).label("eligible"),
            func.count().filter(latest.c.eligible.is_(False)).label("ineligible"),
        )
        .group_by(*keys)
        .order_by(*keys)
    )
    return [dict(r) for r in (await session.execute(query)).mappings()]


async def failed_rules(session: AsyncSession, f: Filters) -> list[dict[str, Cell]]:
    """For the ineligible cases, how many failed each rule (R-CAT-*)."""
    latest = _latest(f)
    reason = (
        func.jsonb_array_elements(latest.c.result["reasons"])
        .table_valued(column("value", JSONB))
        .lateral("reason")
    )
    rule = reason.c.value["rule"].astext
    query = (
        select(rule.label("rule"), func.count(func.distinct(latest.c.case_id)).label("cases"))
        .select_from(latest.join(reason, literal_column("true")))
        .where(and_(latest.c.eligible.is_(False), reason.c.value["passed"].astext == "false"))
        .group_by(rule)
        .order_by(rule)
    )
    return [dict(r) for r in (await session.execute(query)).mappings()]


async def cases_by_outcome(session: AsyncSession) -> dict[Outcome, int]:
    """The state gauges: assessed cases by the outcome of their latest assessment (R-CAT)."""
    latest = (
        select(t.c.eligible)
        .ext(distinct_on(t.c.case_id))
        .order_by(t.c.case_id, t.c.revision.desc())
        .subquery()
    )
    state = case((latest.c.eligible, Outcome.eligible.value), else_=Outcome.ineligible.value)
    rows = (await session.execute(select(state, func.count()).group_by(state))).all()
    return {Outcome(s): int(n) for s, n in rows}
