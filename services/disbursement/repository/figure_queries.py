"""Disbursement's figure and gauge queries (R-OVS-1, R-OVS-2, R-RES-2), on disbursement's own records only.

The oversight figures (a JSON body by design):

- amounts paid in the period by form and channel (cash by bank transfer, cash handed over directly, in kind)
  and by funding (budget, township reserve fund), per month, county and township;
- time to first payment: from the case's first authorisation known here (the help-first grant or the
  approval decision, whichever came first) to its first payment, median and 90th percentile with
  PostgreSQL's ``percentile_cont`` on intervals;
- township reserve funds of the year (the year of ``to``, or this year): allocated, drawn, released, balance,
  opening balance, paid from the fund in the period and the turnover (paid ÷ opening, R-OVS-1 scorecards);
- reserve-fund reports of that year per county and period (R-RES-2): submitted, on time, late, and overdue
  (an ended period past the county's grace days without a report, judged on ``to`` or today).

Disbursement does not keep the category of a case: the ``category``/``subtype`` filters are not applied
here (the answer says so in ``notes``).

The scrape-time gauges: cases by the status of their latest payment instruction, and each township reserve
fund's balance and allocation.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any, cast

from sqlalchemy import and_, func, literal, select
from sqlalchemy.dialects.postgresql import distinct_on
from sqlalchemy.ext.asyncio import AsyncSession

from services.disbursement.domain.model import OverdueReport, PaymentStatus, ReserveFund
from services.disbursement.domain.reserve_rules import opening_balance, turnover
from services.disbursement.repository import as_entities
from services.disbursement.repository import reserve_records as reserve_repo
from services.disbursement.repository.ledger import reserve_fund_name
from services.disbursement.tables import approved_cases as ac
from services.disbursement.tables import help_first_grants as hg
from services.disbursement.tables import ledger_entries as le
from services.disbursement.tables import payment_instructions as p
from services.disbursement.tables import reserve_funds as rf
from shared import clock
from shared.figures import Filters, money, month_of, seconds


def _kind(form: str, channel: str) -> str:
    if form == "in_kind":
        return "in_kind"
    return "cash_direct" if channel == "direct" else "cash_transfer"


async def figures(session: AsyncSession, f: Filters) -> dict[str, object]:
    """The figures body of ``GET /disbursement/v1/figures``."""
    place = f.place(p.c.county_code, p.c.township_code)
    month = month_of(p.c.paid_at)
    rows = (
        (
            await session.execute(
                select(
                    month.label("month"),
                    p.c.county_code,
                    p.c.township_code,
                    p.c.form,
                    p.c.channel,
                    p.c.funding,
                    func.count().label("payments"),
                    func.count(func.distinct(p.c.case_id)).label("cases"),
                    func.sum(p.c.amount).label("amount"),
                )
                .where(and_(p.c.status == PaymentStatus.paid, place, f.period(p.c.paid_at)))
                .group_by(month, p.c.county_code, p.c.township_code, p.c.form, p.c.channel, p.c.funding)
                .order_by(month, p.c.county_code, p.c.township_code)
            )
        )
        .mappings()
        .all()
    )
    totals = (
        (
            await session.execute(
                select(
                    func.count().label("payments"),
                    func.count(func.distinct(p.c.case_id)).label("cases"),
                    func.coalesce(func.sum(p.c.amount), 0).label("amount"),
                ).where(and_(p.c.status == PaymentStatus.paid, place, f.period(p.c.paid_at)))
            )
        )
        .mappings()
        .one()
    )
    return {
        "notes": [
            "category and subtype filters are not applied: disbursement does not keep a case's category"
        ]
        if (f.category or f.subtype)
        else [],
        "totals": {
            "payments": totals["payments"],
            "cases": totals["cases"],
            "amount_paid": money(totals["amount"]),
        },
        "by_form": _sum(rows, lambda r: {"form": _kind(r["form"], r["channel"])}),
        "by_funding": _sum(rows, lambda r: {"funding": r["funding"]}),
        "by_month": _sum(rows, lambda r: {"month": r["month"]}),
        "by_county": _sum(rows, lambda r: {"county_code": r["county_code"]}),
        "by_township": _sum(
            rows, lambda r: {"county_code": r["county_code"], "township_code": r["township_code"]}
        ),
        "time_to_first_payment": await _first_payment(session, f),
        "reserve_funds": await _reserves(session, f),
        "reserve_reports": await _reserve_reports(session, f),
    }


def _sum(rows: Any, key: Any) -> list[dict[str, Any]]:
    out: dict[tuple[Any, ...], dict[str, Any]] = {}
    for r in rows:
        k = key(r)
        item = out.setdefault(tuple(k.values()), {**k, "payments": 0, "amount": Decimal(0)})
        item["payments"] += r["payments"]
        item["amount"] += r["amount"]
    return [
        {**out[k], "amount": money(out[k]["amount"])} for k in sorted(out, key=lambda t: tuple(map(str, t)))
    ]


async def _first_payment(session: AsyncSession, f: Filters) -> dict[str, Any]:
    """Per case whose first payment falls in the period: first paid_at − first authorisation."""
    first = (
        select(p.c.case_id, func.min(p.c.paid_at).label("paid_at"))
        .where(and_(p.c.paid_at.is_not(None), f.place(p.c.county_code, p.c.township_code)))
        .group_by(p.c.case_id)
    ).subquery("first")
    authorised = func.least(ac.c.decided_at, hg.c.granted_at)
    wait = first.c.paid_at - authorised
    row = (
        (
            await session.execute(
                select(
                    func.count(wait).label("measured"),
                    func.percentile_cont(0.5).within_group(wait).label("median"),
                    func.percentile_cont(0.9).within_group(wait).label("p90"),
                )
                .select_from(
                    first.outerjoin(ac, ac.c.case_id == first.c.case_id).outerjoin(
                        hg, hg.c.case_id == first.c.case_id
                    )
                )
                .where(f.period(first.c.paid_at))
            )
        )
        .mappings()
        .one()
    )
    return {
        "measured": row["measured"],
        "median_seconds": seconds(row["median"]),
        "p90_seconds": seconds(row["p90"]),
        "method": "percentile_cont",
        "from": "first authorisation (help-first grant or approval decision)",
    }


async def _reserves(session: AsyncSession, f: Filters) -> list[dict[str, Any]]:
    """R-RES-2: each township's reserve fund of the year: allocated, drawn, released back, balance; and its
    turnover (R-OVS-1): paid from the fund in the period (its payments paid by the bank or handed over, by
    the day paid — the reserve line of ``by_funding``; returned or reversed ones are no longer paid) ÷ the
    opening balance (allocation + carried in)."""
    year = (f.end or clock.local_today()).year
    funds = (
        (
            await session.execute(
                select(rf)
                .where(and_(rf.c.year == year, f.place(rf.c.county_code, rf.c.township_code)))
                .order_by(rf.c.county_code, rf.c.township_code)
            )
        )
        .mappings()
        .all()
    )
    out = []
    for fund in funds:
        name = reserve_fund_name(fund["township_code"], year)
        totals = dict(
            (
                await session.execute(
                    select(le.c.kind, func.sum(le.c.amount)).where(le.c.fund == name).group_by(le.c.kind)
                )
            ).all()
        )
        paid = await session.scalar(
            select(func.coalesce(func.sum(p.c.amount), 0)).where(
                p.c.funding == literal("reserve"),
                p.c.status == PaymentStatus.paid,
                p.c.township_code == fund["township_code"],
                func.extract("year", func.timezone(clock.zone_name(), p.c.created_at)) == year,  # its fund
                f.period(p.c.paid_at),
            )
        )
        paid = cast(Decimal, paid)  # coalesce: never NULL
        opening = opening_balance(totals)
        draws = (
            await session.execute(
                select(func.count(), func.count(func.distinct(le.c.case_id))).where(
                    and_(le.c.fund == name, le.c.kind == literal("reserve_draw"))
                )
            )
        ).one()
        out.append(
            {
                "county_code": fund["county_code"],
                "township_code": fund["township_code"],
                "year": year,
                "allocated": money(fund["allocated"]),
                "drawn": money(totals.get("reserve_draw")),
                "released": money(totals.get("reserve_release")),
                "balance": money(fund["balance"]),
                "opening": money(opening),
                "top_ups": money(totals.get("reserve_top_up")),
                "paid": money(paid),
                "turnover": None if (t := turnover(paid, opening)) is None else str(t),
                "draws": draws[0],
                "cases": draws[1],
            }
        )
    return out


async def _reserve_reports(session: AsyncSession, f: Filters) -> list[dict[str, Any]]:
    """R-RES-2: per county and period of the year: reports submitted, on time, late; overdue ones."""
    as_of = f.as_of()
    year = as_of.year
    out: dict[tuple[str, str], dict[str, Any]] = {}

    def _item(county: str, period: str) -> dict[str, Any]:
        return out.setdefault(
            (county, period),
            {"county_code": county, "period": period, "submitted": 0, "on_time": 0, "late": 0, "overdue": 0},
        )

    for r in await reserve_repo.reports(
        session, county_code=f.county_code, township_code=f.township_code, year=year
    ):
        row = _item(r.county_code, r.period)
        row["submitted"] += 1
        row["on_time" if r.on_time else "late"] += 1
    for o in await reserve_repo.overdue(session, f.county_code, f.township_code, as_of):
        if o.period.startswith(str(year)):
            _item(o.county_code, o.period)["overdue"] += 1
    return [out[k] for k in sorted(out)]


async def latest_payment_states(session: AsyncSession) -> dict[str, int]:
    """Cases by the status of their latest payment instruction (R-AID)."""
    latest = (
        select(p.c.status)
        .ext(distinct_on(p.c.case_id))
        .order_by(p.c.case_id, p.c.created_at.desc(), p.c.stage.desc())
        .subquery()
    )
    query = select(latest.c.status, func.count()).group_by(latest.c.status)
    return {str(status): int(count) for status, count in (await session.execute(query)).all()}


async def overdue_reports(session: AsyncSession, today: date) -> list[OverdueReport]:
    """Every overdue reserve-fund report of the city (R-RES-2), for the overdue gauge."""
    return await reserve_repo.overdue(session, None, None, today)


async def reserve_fund_levels(session: AsyncSession) -> list[ReserveFund]:
    """Every township reserve fund, for its balance and allocation gauges (R-RES)."""
    return as_entities(ReserveFund, (await session.execute(select(rf))).mappings())
