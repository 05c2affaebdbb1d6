"""Assessment's oversight figures (R-OVS-1): cases assessed eligible or ineligible, and for the ineligible
the rule ids of the tests they failed (R-CAT-*), per month, county, township, category and sub-type.
Each case counts once, by its latest assessed revision. Computed from assessment's own records only."""

from __future__ import annotations

from typing import Any

from sqlalchemy import and_, column, func, literal_column, select
from sqlalchemy.dialects.postgresql import JSONB, distinct_on
from sqlalchemy.ext.asyncio import AsyncSession

from services.assessment.tables import assessments as t
from shared.figures import Filters, money, month_of


def _latest(f: Filters) -> Any:
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


async def figures(session: AsyncSession, f: Filters) -> dict[str, Any]:
    latest = _latest(f)
    eligible = func.count().filter(latest.c.eligible.is_(True))
    ineligible = func.count().filter(latest.c.eligible.is_(False))
    totals = (
        (
            await session.execute(
                select(
                    func.count().label("assessed"),
                    eligible.label("eligible"),
                    ineligible.label("ineligible"),
                    func.coalesce(func.sum(latest.c.amount).filter(latest.c.eligible.is_(True)), 0).label(
                        "amount"
                    ),
                )
            )
        )
        .mappings()
        .one()
    )
    keys = (latest.c.month, latest.c.county_code, latest.c.township_code, latest.c.category, latest.c.subtype)
    rows = (
        (
            await session.execute(
                select(
                    *keys,
                    func.count().label("assessed"),
                    eligible.label("eligible"),
                    ineligible.label("ineligible"),
                )
                .group_by(*keys)
                .order_by(*keys)
            )
        )
        .mappings()
        .all()
    )
    reason = (
        func.jsonb_array_elements(latest.c.result["reasons"])
        .table_valued(column("value", JSONB))
        .lateral("reason")
    )
    rule = reason.c.value["rule"].astext
    failed = (
        (
            await session.execute(
                select(rule.label("rule"), func.count(func.distinct(latest.c.case_id)).label("cases"))
                .select_from(latest.join(reason, literal_column("true")))
                .where(and_(latest.c.eligible.is_(False), reason.c.value["passed"].astext == "false"))
                .group_by(rule)
                .order_by(rule)
            )
        )
        .mappings()
        .all()
    )
    return {
        "totals": {
            "assessed": totals["assessed"],
            "eligible": totals["eligible"],
            "ineligible": totals["ineligible"],
            "eligible_amount": money(totals["amount"]),
        },
        "ineligible_reasons": [dict(r) for r in failed],
        "by_month": _rollup(rows, "month"),
        "by_county": _rollup(rows, "county_code"),
        "by_township": _rollup(rows, "county_code", "township_code"),
        "by_category": _rollup(rows, "category", "subtype"),
    }


def _rollup(rows: Any, *keys: str) -> list[dict[str, Any]]:
    out: dict[tuple[Any, ...], dict[str, Any]] = {}
    for row in rows:
        item = out.setdefault(
            tuple(row[k] for k in keys),
            {**{k: row[k] for k in keys}, "assessed": 0, "eligible": 0, "ineligible": 0},
        )
        for field in ("assessed", "eligible", "ineligible"):
            item[field] += row[field]
    return [out[k] for k in sorted(out)]
