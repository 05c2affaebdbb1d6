"""Township reserve funds (R-RES), the ledger (工作台账, R-OVS-3) with its reconciliation, and the public
disclosure of what was paid (向社会公布, R-AID-2), personal data masked."""

from __future__ import annotations

import json
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from services.disbursement.adapters.report_pdf import render_report
from services.disbursement.domain.errors import AlreadyAllocated, ReserveFundExhausted, ReserveFundNotFound
from services.disbursement.domain.model import PAYEE, RECIPIENT, ReserveFund
from services.disbursement.domain.reserve_rules import SIGN, signed
from services.disbursement.domain.rules import yearly_allocation
from services.disbursement.repository import instructions as repo
from services.disbursement.repository import ledger
from services.disbursement.schemas import AllocationIn, DrawIn
from services.disbursement.service import reserve
from shared import clock
from shared.access import guard
from shared.contracts.approval import Channel
from shared.csvexport import to_csv as csv_export
from shared.domain_errors import InvalidValue
from shared.idnumber import mask_account, mask_name
from shared.money import ZERO
from shared.reference import township_county
from shared.runtime import Runtime


def day_start(day: date) -> datetime:
    return clock.start_of(day)


def year_bounds(year: int) -> tuple[datetime, datetime]:
    return day_start(date(year, 1, 1)), day_start(date(year + 1, 1, 1))


def disbursed(totals: dict[str, Decimal]) -> Decimal:
    """Net money and goods that reached beneficiaries: paid and handed over, less returns and reversals."""
    get = lambda k: totals.get(k, ZERO)  # noqa: E731
    return get("payment") + get("handover") - get("payment_returned") - get("reversal")


async def draw_reserve(
    session: AsyncSession,
    *,
    township_code: str,
    county_code: str,
    year: int,
    amount: Decimal,
    case_id: str | None,
    instruction_id: str | None,
    reference: str | None,
    actor: str | None,
    memo: str,
) -> int | None:
    """Draw from the township's reserve fund of ``year``; the ledger entry id, or None when short (R-RES)."""
    if await ledger.draw(session, township_code, year, amount) is None:
        return None
    fund = await ledger.fund(session, township_code, year)
    if fund is None:
        raise RuntimeError("the row just written is missing from its own transaction")
    return await ledger.add_entry(
        session,
        {
            "kind": "reserve_draw",
            "fund": ledger.reserve_fund_name(township_code, year),
            "amount": amount,
            "county_code": county_code,
            "township_code": township_code,
            "case_id": case_id,
            "instruction_id": instruction_id,
            "reference": reference,
            "source_entry_id": fund.allocation_entry_id,
            "memo": memo,
            "actor": actor,
        },
    )


async def allocate(runtime: Runtime, township_code: str, body: AllocationIn) -> ReserveFund:
    guard(township_code[:6], township_code, "township")
    if township_county(township_code) != body.county_code:
        raise InvalidValue("county_code", f"township {township_code} is not in county {body.county_code}")
    async with runtime.transaction() as session:
        if body.previous_year_spending is not None:
            spending, source = body.previous_year_spending, "declared"
        else:
            start, end = year_bounds(body.year - 1)
            totals = await ledger.totals_by_kind(
                session, township_code=township_code, county_code=None, start=start, end=end
            )
            spending = disbursed({k: v for (k, _), v in totals.items()})
            source = "ledger"
        allocated = yearly_allocation(body.proportion, spending)
        created = await ledger.add_fund(
            session,
            {
                "township_code": township_code,
                "year": body.year,
                "county_code": body.county_code,
                "proportion": body.proportion,
                "previous_year_spending": spending,
                "spending_source": source,
                "allocated": allocated,
                "balance": allocated,
                "actor": body.actor,
            },
        )
        if not created:
            raise AlreadyAllocated(f"the {body.year} reserve fund of {township_code} is already allocated")
        if allocated > 0:
            entry = await ledger.add_entry(
                session,
                {
                    "kind": "allocation",
                    "fund": ledger.reserve_fund_name(township_code, body.year),
                    "amount": allocated,
                    "county_code": body.county_code,
                    "township_code": township_code,
                    "actor": body.actor,
                    "memo": f"{body.proportion} x {spending} previous-year spending ({source}) (R-RES-1)",
                },
            )
            await ledger.set_fund_entry(session, township_code, body.year, entry)
        await reserve.carry_in(session, township_code, body.year)  # last year's balance, if carried over
        row = await ledger.fund(session, township_code, body.year)
    if row is None:
        raise RuntimeError("the row just written is missing from its own transaction")
    return row


async def draw(runtime: Runtime, township_code: str, year: int, body: DrawIn) -> dict[str, Any]:
    guard(township_code[:6], township_code, "township")
    async with runtime.transaction() as session:
        fund = await ledger.fund(session, township_code, year)
        if fund is None:
            raise ReserveFundNotFound(township_code, year)
        entry = await draw_reserve(
            session,
            township_code=township_code,
            county_code=fund.county_code,
            year=year,
            amount=body.amount,
            case_id=body.case_id,
            instruction_id=None,
            reference=None,
            actor=body.actor,
            memo=body.purpose,
        )
        if entry is None:
            raise ReserveFundExhausted(
                f"the reserve fund holds less than {body.amount}: its balance never goes negative (R-RES)"
            )
        after = await ledger.fund(session, township_code, year)
    if after is None:
        raise RuntimeError("the row just written is missing from its own transaction")
    return {"entry_id": entry, "amount": body.amount, "balance": after.balance}


async def usage_report(
    runtime: Runtime, county_code: str, year: int, start: date | None, end: date | None
) -> list[dict[str, Any]]:
    """R-RES-2: per township, what the reserve fund was given, what it paid for in the period, what is
    left."""
    begin = day_start(start) if start else year_bounds(year)[0]
    finish = day_start(end + timedelta(days=1)) if end else year_bounds(year)[1]
    async with runtime.reading() as session:
        funds = await ledger.funds(session, county_code, year)
        out = []
        for fund in funds:
            name = ledger.reserve_fund_name(fund.township_code, year)
            rows = [
                e
                for e in await ledger.entries(
                    session, township_code=fund.township_code, start=begin, end=finish, limit=100000
                )
                if e.fund == name
            ]
            draws = [e for e in rows if e.kind == "reserve_draw"]
            out.append(
                {
                    "township_code": fund.township_code,
                    "year": year,
                    "allocated": fund.allocated,
                    "proportion": fund.proportion,
                    "previous_year_spending": fund.previous_year_spending,
                    "drawn_in_period": sum((e.amount for e in draws), ZERO),
                    "draws": len(draws),
                    "released_in_period": sum((e.amount for e in rows if e.kind == "reserve_release"), ZERO),
                    "cases": len({e.case_id for e in draws if e.case_id}),
                    "balance": fund.balance,
                }
            )
    return out


async def reconciliation(runtime: Runtime, county_code: str, year: int) -> dict[str, Any]:
    """Ledger against state: reserve balances and paid instructions must both follow from the entries."""
    async with runtime.reading() as session:
        funds_out = []
        for fund in await ledger.funds(session, county_code, year):
            totals = await ledger.fund_totals(session, ledger.reserve_fund_name(fund.township_code, year))
            # every movement of the fund with its sign: allocation, top-ups, carry-in, draws, releases,
            # the year-end carry-over or return (R-RES-2, R-OVS-3)
            expected = sum((signed(kind, amount) for kind, amount in totals.items() if kind in SIGN), ZERO)
            funds_out.append(
                {
                    "township_code": fund.township_code,
                    "ledger_balance": expected,
                    "balance": fund.balance,
                    "balanced": expected == fund.balance,
                }
            )
        by_kind = await ledger.totals_by_kind(
            session, township_code=None, county_code=county_code, start=None, end=None
        )
        townships = sorted({t for (_, t) in by_kind if t})
        payments_out = []
        for township in townships:
            net = disbursed({k: v for (k, t), v in by_kind.items() if t == township})
            paid = await ledger.paid_instruction_total(session, township)
            payments_out.append(
                {
                    "township_code": township,
                    "ledger_disbursed": net,
                    "paid_instructions": paid,
                    "balanced": net == paid,
                }
            )
    balanced = all(f["balanced"] for f in funds_out) and all(p["balanced"] for p in payments_out)
    return {
        "county_code": county_code,
        "year": year,
        "balanced": balanced,
        "reserve_funds": funds_out,
        "payments": payments_out,
    }


DISCLOSURE_FIELDS = (
    "township_code",
    "case_no",
    "name",
    "account",
    "form",
    "channel",
    "amount",
    "paid_on",
    "procurement_reference",
)


async def disclosure(runtime: Runtime, township_code: str, start: date, end: date) -> list[dict[str, Any]]:
    """向社会公布: what was paid or handed over in a township in [start, end], names and accounts masked."""
    if end < start:
        raise InvalidValue("to", "the period ends before it starts")
    async with runtime.reading() as session:
        paid = await repo.paid_between(
            session, township_code, day_start(start), day_start(end + timedelta(days=1))
        )
        rows = [(p.instruction, p.case_no) for p in paid]
        handed = {h.instruction_id: h for h in await repo.handovers_for(session, [r.id for r, _ in rows])}
        payees: dict[str, str | None] = {}
        for r, _ in rows:
            if r.case_id not in payees:
                b = await repo.beneficiary(session, r.case_id)
                payees[r.case_id] = b.payee if b else None
    out = []
    for r, case_no in rows:
        h = handed.get(r.id)
        token = payees.get(r.case_id)
        payee = json.loads(runtime.cipher.decrypt(token, context=PAYEE)) if token else None
        if h is not None:
            name = runtime.cipher.decrypt(h.recipient, context=RECIPIENT)
        else:
            name = payee["name"] if payee else ""
        account = ""
        if r.channel == Channel.bank_transfer and r.payee:
            account = mask_account(json.loads(runtime.cipher.decrypt(r.payee, context=PAYEE))["account"])
        out.append(
            {
                "township_code": township_code,
                "case_no": case_no or "",
                "name": mask_name(name),
                "account": account,
                "form": r.form,
                "channel": r.channel,
                "amount": str(r.amount),
                "paid_on": clock.local_date(r.paid_at).isoformat() if r.paid_at else "",
                "procurement_reference": (h.procurement_reference or "") if h else "",
            }
        )
    return out


def to_csv(rows: list[dict[str, Any]]) -> str:
    """The public disclosure as CSV; formula-like cells neutralised (shared/csvexport.py)."""
    return csv_export(DISCLOSURE_FIELDS, rows)


FORM_NAMES = {"cash": "现金", "in_kind": "实物"}
CHANNEL_NAMES = {"bank_transfer": "银行代发", "direct": "直接发放", "handover": "当面发放"}


def payment_list_pdf(township_code: str, start: date, end: date, rows: list[dict[str, Any]]) -> bytes:
    """救助资金发放清单 (R-ARC-1, R-OVS-3): the township's payments of the period as an A4 PDF in Chinese
    (packaged fonts), names and accounts masked as in the public disclosure, with its total."""
    total = sum((Decimal(r["amount"]) for r in rows), Decimal("0"))
    return render_report(
        "临时救助资金发放清单",
        [("乡镇（街道）", township_code), ("期间", f"{start.isoformat()} 至 {end.isoformat()}")],
        [("合计笔数", str(len(rows))), ("合计金额（元）", str(total.quantize(Decimal("0.01"))))],
        [
            [
                r["case_no"],
                r["name"],
                r["account"],
                FORM_NAMES.get(r["form"], r["form"]),
                CHANNEL_NAMES.get(r["channel"], r["channel"]),
                r["amount"],
                r["paid_on"],
            ]
            for r in rows
        ],
        ["案件编号", "姓名", "账号", "形式", "方式", "金额", "发放日期"],
        widths=[44, 14, 33, 12, 17, 22, 28],  # mm, 170 across the A4 page
    )
