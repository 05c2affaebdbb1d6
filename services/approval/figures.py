"""Approval's oversight figures (R-OVS-1, R-OVS-2, R-FLOW-2, R-FLOW-3), from approval's own records only:

- decisions in the period (the final approval step of each case: approved or rejected), and how many were
  within the township's delegated limit (level ``township``) or escalated to the county (level ``county``);
- amounts approved (exact decimals), months of help, averages and distributions per case and per person;
- speed: time from submission (intake's receipt, carried by CaseAssessed) to the decision, median and 90th
  percentile with PostgreSQL's ``percentile_cont`` on intervals (continuous, linear interpolation);
- help first granted in the period, and its paperwork as of the end of the period (or today): completed on
  time (on or before the deadline counted in working days on the county's calendar), completed late, open
  and overdue (deadline passed), open and still in time.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from sqlalchemy import Integer, and_, cast, func, select
from sqlalchemy import case as when
from sqlalchemy.ext.asyncio import AsyncSession

from services.approval.tables import cases as c
from services.approval.tables import decisions as d
from services.approval.tables import help_first_grants as g
from shared.figures import Filters, average, distribution, local_day, money, month_of, seconds
from shared.money import to_fen

FINAL = ("approved", "rejected")


def _decided(f: Filters) -> Any:
    persons = cast(c.c.assessment["persons_helped"].astext, Integer)
    return (
        select(
            d.c.case_id,
            d.c.decision,
            d.c.level,
            d.c.amount,
            d.c.form,
            d.c.at,
            c.c.county_code,
            c.c.township_code,
            c.c.category,
            c.c.subtype,
            c.c.months,
            c.c.submitted_at,
            func.coalesce(persons, c.c.household_size).label("persons"),
            month_of(d.c.at).label("month"),
        )
        .select_from(d.join(c, c.c.case_id == d.c.case_id))
        .where(
            and_(
                d.c.step == "approval",
                d.c.decision.in_(FINAL),
                f.period(d.c.at),
                f.place(c.c.county_code, c.c.township_code),
                f.kind(c.c.category, c.c.subtype),
            )
        )
    )


def _counts(rows: list[Any], *keys: str) -> list[dict[str, Any]]:
    out: dict[tuple[Any, ...], dict[str, Any]] = {}
    for r in rows:
        item = out.setdefault(
            tuple(r[k] for k in keys),
            {
                **{k: r[k] for k in keys},
                "decided": 0,
                "approved": 0,
                "rejected": 0,
                "within_township_limit": 0,
                "escalated_to_county": 0,
                "amount_approved": Decimal(0),
            },
        )
        item["decided"] += 1
        item[r["decision"]] += 1
        item["within_township_limit" if r["level"] == "township" else "escalated_to_county"] += 1
        if r["decision"] == "approved":
            item["amount_approved"] += r["amount"]
    for item in out.values():
        item["amount_approved"] = money(item["amount_approved"])
    return [out[k] for k in sorted(out)]


async def figures(session: AsyncSession, f: Filters) -> dict[str, Any]:
    decided = _decided(f).subquery("decided")
    rows = list((await session.execute(select(decided).order_by(decided.c.at))).mappings())
    approved = [r for r in rows if r["decision"] == "approved"]
    total = sum((r["amount"] for r in approved), Decimal(0))
    persons = sum(r["persons"] for r in approved)
    months = sum(r["months"] for r in approved)
    per_person = [to_fen(r["amount"] / r["persons"]) for r in approved if r["persons"]]

    wait = decided.c.at - decided.c.submitted_at
    speed = (
        (
            await session.execute(
                select(
                    func.count(wait).label("measured"),
                    func.percentile_cont(0.5).within_group(wait).label("median"),
                    func.percentile_cont(0.9).within_group(wait).label("p90"),
                )
            )
        )
        .mappings()
        .one()
    )

    return {
        "totals": {
            "decided": len(rows),
            "approved": len(approved),
            "rejected": len(rows) - len(approved),
            "within_township_limit": sum(1 for r in rows if r["level"] == "township"),
            "escalated_to_county": sum(1 for r in rows if r["level"] == "county"),
            "amount_approved": money(total),
            "persons_helped": persons,
            "months_of_help": months,
            "average_per_case": average(total, len(approved)),
            "average_per_person": average(total, persons),
            "average_months": str((Decimal(months) / len(approved)).quantize(Decimal("0.01")))
            if approved
            else None,
        },
        "by_form": _by_form(approved),
        "distribution_per_case": distribution([r["amount"] for r in approved]),
        "distribution_per_person": distribution(per_person),
        "time_to_decision": {
            "measured": speed["measured"],
            "median_seconds": seconds(speed["median"]),
            "p90_seconds": seconds(speed["p90"]),
            "method": "percentile_cont",
        },
        "help_first": await _help_first(session, f),
        "by_month": _counts(rows, "month"),
        "by_county": _counts(rows, "county_code"),
        "by_township": _counts(rows, "county_code", "township_code"),
        "by_category": _counts(rows, "category", "subtype"),
    }


def _by_form(approved: list[Any]) -> list[dict[str, Any]]:
    forms: dict[str, list[Decimal]] = {}
    for r in approved:
        forms.setdefault(r["form"], []).append(r["amount"])
    return [
        {"form": k, "cases": len(v), "amount": money(sum(v, Decimal(0)))} for k, v in sorted(forms.items())
    ]


async def _help_first(session: AsyncSession, f: Filters) -> dict[str, Any]:
    """Grants made in the period; their paperwork judged as of the period's end (R-FLOW-2)."""
    as_of = f.as_of()
    done = local_day(g.c.completed_at)
    completed = and_(g.c.completed_at.is_not(None), done <= as_of)
    on_time = and_(completed, (g.c.deadline.is_(None)) | (done <= g.c.deadline))
    late = and_(completed, g.c.deadline.is_not(None), done > g.c.deadline)
    open_overdue = and_(~completed, g.c.deadline.is_not(None), g.c.deadline < as_of)
    status = when(
        (on_time, "completed_on_time"),
        (late, "completed_late"),
        (open_overdue, "open_overdue"),
        else_="open_in_time",
    )
    where = and_(f.place(g.c.county_code, g.c.township_code), f.period(g.c.granted_at))
    if f.category or f.subtype:
        where = and_(where, g.c.case_id.in_(select(c.c.case_id).where(f.kind(c.c.category, c.c.subtype))))
    rows = (
        (
            await session.execute(
                select(
                    g.c.level,
                    status.label("status"),
                    func.count().label("grants"),
                    func.sum(g.c.amount).label("amount"),
                )
                .where(where)
                .group_by(g.c.level, status)
                .order_by(g.c.level, status)
            )
        )
        .mappings()
        .all()
    )
    totals: dict[str, int | Decimal] = {
        "grants": 0,
        "amount": Decimal(0),
        "granted_by_township": 0,
        "granted_by_county": 0,
        "completed_on_time": 0,
        "completed_late": 0,
        "open_overdue": 0,
        "open_in_time": 0,
    }
    for r in rows:
        totals["grants"] += r["grants"]
        totals["amount"] += r["amount"]
        totals[f"granted_by_{r['level']}"] += r["grants"]
        totals[r["status"]] += r["grants"]
    return {
        **totals,
        "amount": money(totals["amount"]),
        "overdue": totals["completed_late"] + totals["open_overdue"],
        "as_of": as_of.isoformat(),
    }
