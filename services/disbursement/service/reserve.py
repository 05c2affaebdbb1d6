"""Township reserve-fund reports (R-RES-2), top-ups and the year-end settlement, all in the ledger
(R-OVS-3): one transaction (one commit point) per use case, nothing half-written.

- reports: generated from the ledger for an ended period (monthly or quarterly, the county's setting),
  submitted by the township, acknowledged or queried by the county; a query is answered by the township,
  which resubmits the report regenerated from the ledger (a new revision); every step kept in its history;
- overdue: ended periods past the county's grace days without a report, per township;
- top-ups: requested, then approved by someone else at county level (four eyes), in the ledger;
- year-end settlement: the balance carried over to next year's fund or returned to the county (county
  setting), exactly once per township and year.
"""

from __future__ import annotations

import uuid
from dataclasses import asdict
from datetime import date
from decimal import Decimal
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from services.disbursement.adapters.report_pdf import render_report
from services.disbursement.domain import reserve_rules as rules
from services.disbursement.domain.errors import (
    AlreadySettled,
    NoReserveSettings,
    PeriodNotEnded,
    PeriodNotReported,
    ReportState,
    ReserveFundNotFound,
    ReserveReportNotFound,
    SeparationOfDuties,
    SettingsVersionExists,
    TopUpNotFound,
    TopUpState,
    YearNotOver,
)
from services.disbursement.domain.model import (
    OverdueReport,
    ReportEvent,
    ReserveFund,
    ReserveReport,
    ReserveSettings,
    Settlement,
    TopUp,
)
from services.disbursement.domain.reserve_rules import Movement, ReportStatus, TopUpStatus, YearEnd
from services.disbursement.repository import ledger
from services.disbursement.repository import reserve_records as repo
from services.disbursement.schemas import (
    AcknowledgeIn,
    AnswerIn,
    DecisionIn,
    QueryIn,
    ReportIn,
    ReserveSettingsIn,
    SettlementIn,
    TopUpIn,
)
from shared import clock
from shared.access import guard
from shared.csvexport import to_csv
from shared.domain_errors import InvalidValue
from shared.reference import jurisdictions
from shared.runtime import Runtime


def _money(value: Decimal) -> str:
    return str(value.quantize(Decimal("0.01")))


# --- settings ---


async def set_settings(runtime: Runtime, county_code: str, body: ReserveSettingsIn) -> ReserveSettings:
    if not any(c["code"] == county_code for c in jurisdictions()["counties"]):
        raise InvalidValue("county_code", f"county {county_code} is not in the city's jurisdictions")
    async with runtime.transaction() as session:
        created = await repo.add_settings(
            session,
            {
                "county_code": county_code,
                "effective_from": body.effective_from,
                "report_frequency": body.report_frequency,
                "grace_days": body.grace_days,
                "year_end": body.year_end,
                "set_by": body.actor,
            },
        )
        if not created:
            raise SettingsVersionExists(
                f"county {county_code} already has reserve settings from {body.effective_from}"
            )
        row = await repo.settings_on(session, county_code, body.effective_from)
    if row is None:
        raise RuntimeError("the row just written is missing from its own transaction")
    return row


async def settings_in_force(session: AsyncSession, county_code: str, day: date) -> ReserveSettings:
    row = await repo.settings_on(session, county_code, day)
    if row is None:
        raise NoReserveSettings(
            f"county {county_code} has no reserve-fund reporting settings in force on {day}: set them first "
            f"(PUT /disbursement/v1/counties/{county_code}/reserve-settings)"
        )
    return row


# --- reports ---


async def generate(session: AsyncSession, township_code: str, period: rules.Period) -> rules.ReportFigures:
    """R-RES-2: the period's figures from the ledger only (local dates of the entries)."""
    entries = await repo.fund_entries(session, ledger.reserve_fund_name(township_code, period.year))
    moves = [
        Movement(e.id, e.kind, e.amount, e.case_id, clock.local_date(e.at))
        for e in entries
        if e.kind in rules.SIGN
    ]
    before = [m for m in moves if m.local_day < period.start]
    within = [m for m in moves if period.start <= m.local_day <= period.end]
    facts = await repo.case_facts(session, {m.case_id for m in within if m.case_id})
    return rules.figures(before, within, {f.case_id: (f.case_no, f.category) for f in facts})


def figures_json(figures: rules.ReportFigures) -> dict[str, Any]:
    return {
        "opening": _money(figures.opening),
        "totals": {k: _money(v) for k, v in figures.totals.items()},
        "closing": _money(figures.closing),
        "cases": [
            {**asdict(c), "drawn": _money(c.drawn), "returned": _money(c.returned)} for c in figures.cases
        ],
        "entry_ids": figures.entry_ids,
    }


def _period(label: str) -> rules.Period:
    try:
        return rules.period(label)
    except ValueError as exc:
        raise InvalidValue("period", str(exc)) from exc


async def _fund(session: AsyncSession, township_code: str, year: int) -> ReserveFund:
    fund = await ledger.fund(session, township_code, year)
    if fund is None:
        raise ReserveFundNotFound(township_code, year)
    guard(fund.county_code, township_code, "reserve fund")
    return fund


async def submit(runtime: Runtime, township_code: str, body: ReportIn) -> ReserveReport:
    """R-RES-2: the township submits the report of an ended period, generated from the ledger."""
    period = _period(body.period)
    today = clock.local_today()
    async with runtime.transaction() as session:
        fund = await _fund(session, township_code, period.year)
        if not period.ended(today):
            raise PeriodNotEnded(
                f"period {period.label} ends on {period.end} ({clock.zone_name()}): it is reported after that"
            )
        settings = await settings_in_force(session, fund.county_code, period.start)
        if settings.report_frequency is not period.frequency:
            raise PeriodNotReported(
                f"county {fund.county_code} reports {settings.report_frequency} from "
                f"{settings.effective_from}: {period.label} is not one of its periods"
            )
        figures = figures_json(await generate(session, township_code, period))
        now, report_id = clock.now(), str(uuid.uuid4())
        due = period.due(settings.grace_days)
        created = await repo.add_report(
            session,
            {
                "id": report_id,
                "county_code": fund.county_code,
                "township_code": township_code,
                "year": period.year,
                "period": period.label,
                "frequency": period.frequency,
                "period_start": period.start,
                "period_end": period.end,
                "due_on": due,
                "status": ReportStatus.submitted,
                "revision": 1,
                "opening": Decimal(figures["opening"]),
                "closing": Decimal(figures["closing"]),
                "figures": figures,
                "submitted_by": body.actor,
                "first_submitted_at": now,
                "submitted_at": now,
                "on_time": today <= due,
            },
        )
        if not created:
            raise ReportState(
                f"the {period.label} report of {township_code} is already submitted: "
                "a queried report is resubmitted with its answer"
            )
        await _event(session, report_id, "submitted", 1, body.actor, None, figures)
        return await _report(session, report_id)


async def _event(
    session: AsyncSession,
    report_id: str,
    kind: str,
    revision: int,
    actor: str | None,
    text: str | None,
    figures: dict[str, Any] | None,
) -> None:
    await repo.add_event(
        session,
        {
            "report_id": report_id,
            "kind": kind,
            "revision": revision,
            "actor": actor or "",
            "text": text,
            "figures": figures,
            "at": clock.now(),
        },
    )


async def _report(session: AsyncSession, report_id: str, *, for_update: bool = False) -> ReserveReport:
    row = await repo.report(session, report_id, for_update=for_update)
    if row is None:
        raise ReserveReportNotFound(report_id)
    guard(row.county_code, row.township_code, "reserve-fund report")
    return row


async def query(runtime: Runtime, report_id: str, body: QueryIn) -> ReserveReport:
    """The county asks a question about a submitted report; the township answers and resubmits."""
    async with runtime.transaction() as session:
        row = await _report(session, report_id, for_update=True)
        if row.status is not ReportStatus.submitted:
            raise ReportState(f"the report is {row.status}: only a submitted report is queried")
        await repo.update_report(session, report_id, status=ReportStatus.queried)
        await _event(session, report_id, "queried", row.revision, body.actor, body.question, None)
        return await _report(session, report_id)


async def answer(runtime: Runtime, report_id: str, body: AnswerIn) -> ReserveReport:
    """The township answers the county's question; the report is regenerated from the ledger (it may have
    been corrected since) and resubmitted as the next revision."""
    async with runtime.transaction() as session:
        row = await _report(session, report_id, for_update=True)
        if row.status is not ReportStatus.queried:
            raise ReportState(f"the report is {row.status}: only a queried report is answered")
        figures = figures_json(await generate(session, row.township_code, rules.period(row.period)))
        revision = row.revision + 1
        await repo.update_report(
            session,
            report_id,
            status=ReportStatus.submitted,
            revision=revision,
            opening=Decimal(figures["opening"]),
            closing=Decimal(figures["closing"]),
            figures=figures,
            submitted_by=body.actor,
            submitted_at=clock.now(),
        )
        await _event(session, report_id, "resubmitted", revision, body.actor, body.answer, figures)
        return await _report(session, report_id)


async def acknowledge(runtime: Runtime, report_id: str, body: AcknowledgeIn) -> ReserveReport:
    async with runtime.transaction() as session:
        row = await _report(session, report_id, for_update=True)
        if row.status is not ReportStatus.submitted:
            raise ReportState(f"the report is {row.status}: only a submitted report is acknowledged")
        if row.submitted_by == body.actor:
            raise SeparationOfDuties("who submitted a report cannot acknowledge it", rule="R-RES-2")
        now = clock.now()
        await repo.update_report(
            session,
            report_id,
            status=ReportStatus.acknowledged,
            acknowledged_by=body.actor,
            acknowledged_at=now,
        )
        await _event(session, report_id, "acknowledged", row.revision, body.actor, body.note, None)
        return await _report(session, report_id)


async def report_with_history(runtime: Runtime, report_id: str) -> tuple[ReserveReport, list[ReportEvent]]:
    async with runtime.reading() as session:
        row = await _report(session, report_id)
        return row, await repo.events(session, report_id)


REPORT_FIELDS = ("section", "item", "case_no", "category", "draws", "amount", "returned")


def report_csv(row: ReserveReport) -> str:
    """The report as CSV (shared/csvexport.py): the header lines, the totals, one line per case."""
    f: dict[str, Any] = row.figures
    head = [
        {"section": "report", "item": k, "amount": v}
        for k, v in (
            ("township_code", row.township_code),
            ("period", row.period),
            ("status", str(row.status)),
            ("revision", row.revision),
            ("opening", f["opening"]),
        )
    ]
    totals = [{"section": "totals", "item": k, "amount": v} for k, v in f["totals"].items()]
    cases = [
        {
            "section": "case",
            "item": c["case_id"],
            "case_no": c["case_no"],
            "category": c["category"],
            "draws": c["draws"],
            "amount": c["drawn"],
            "returned": c["returned"],
        }
        for c in f["cases"]
    ]
    closing = [{"section": "report", "item": "closing", "amount": f["closing"]}]
    return to_csv(REPORT_FIELDS, [*head, *totals, *cases, *closing])


TOTAL_LABELS = {
    "allocations": "年度拨付 allocations",
    "top_ups": "追加 top-ups",
    "carried_in": "上年结转 carried in",
    "draws": "支出 draws",
    "returns": "退回 returns",
    "carried_over": "结转下年 carried over",
    "returned_to_county": "上缴县级 returned",
}
STATUS_LABELS = {"submitted": "已报送", "queried": "被质询", "acknowledged": "已确认"}


def report_pdf(row: ReserveReport) -> bytes:
    """The report as a printable A4 PDF (adapters/report_pdf.py): the same figures as JSON and CSV."""
    f: dict[str, Any] = row.figures
    heading = [
        ("乡镇 township", row.township_code),
        ("报告期 period", f"{row.period} ({row.period_start} – {row.period_end})"),
        ("状态 status", f"{STATUS_LABELS[str(row.status)]} {row.status}, revision {row.revision}"),
        ("报送 submitted", f"{row.submitted_by} {clock.local_date(row.submitted_at)}"),
        ("期初余额 opening", f["opening"]),
    ]
    totals = [(TOTAL_LABELS[k], v) for k, v in f["totals"].items()]
    totals.append(("期末余额 closing", f["closing"]))
    cases = [
        [c["case_no"] or c["case_id"][:8], c["category"] or "", str(c["draws"]), c["drawn"], c["returned"]]
        for c in f["cases"]
    ]
    return render_report(
        "备用金使用情况报告",
        heading,
        totals,
        cases,
        ("案件 case", "类别 category", "笔数", "支出 drawn", "退回 returned"),
    )


async def list_reports(
    runtime: Runtime, county_code: str | None, township_code: str | None, year: int | None, status: str | None
) -> list[ReserveReport]:
    async with runtime.reading() as session:
        return await repo.reports(
            session, county_code=county_code, township_code=township_code, year=year, status=status
        )


async def overdue_list(
    runtime: Runtime, county_code: str | None, township_code: str | None
) -> list[OverdueReport]:
    async with runtime.reading() as session:
        if county_code and not await repo.settings_history(session, county_code):
            await settings_in_force(session, county_code, clock.local_today())  # refuses: nothing silent
        return await repo.overdue(session, county_code, township_code, clock.local_today())


# --- top-ups ---


async def request_top_up(runtime: Runtime, township_code: str, year: int, body: TopUpIn) -> TopUp:
    async with runtime.transaction() as session:
        fund = await _fund(session, township_code, year)
        if await repo.settlement(session, township_code, year) is not None:
            raise AlreadySettled(f"the {year} reserve fund of {township_code} is settled: no top-up any more")
        top_up_id = str(uuid.uuid4())
        await repo.add_top_up(
            session,
            {
                "id": top_up_id,
                "county_code": fund.county_code,
                "township_code": township_code,
                "year": year,
                "amount": body.amount,
                "reason": body.reason,
                "status": TopUpStatus.requested,
                "requested_by": body.actor,
                "requested_at": clock.now(),
            },
        )
        return await _top_up(session, top_up_id)


async def _top_up(session: AsyncSession, top_up_id: str, *, for_update: bool = False) -> TopUp:
    row = await repo.top_up(session, top_up_id, for_update=for_update)
    if row is None:
        raise TopUpNotFound(top_up_id)
    guard(row.county_code, row.township_code, "reserve-fund top-up")
    return row


async def decide_top_up(runtime: Runtime, top_up_id: str, body: DecisionIn, *, approve: bool) -> TopUp:
    """Four eyes (R-RES-2, R-OVS-3): who requested a top-up is not who approves it; an approval is a
    ledger entry and the fund's balance grows by it, in one transaction."""
    async with runtime.transaction() as session:
        row = await _top_up(session, top_up_id, for_update=True)
        if row.status is not TopUpStatus.requested:
            raise TopUpState(f"the top-up is {row.status}")
        if row.requested_by == body.actor:
            raise SeparationOfDuties(
                "who requested a top-up cannot decide it: a second person at county level must (four eyes)",
                rule="R-RES-2",
            )
        entry_id = None
        if approve:
            fund = await repo.fund_for_update(session, row.township_code, row.year)
            if fund is None:
                raise ReserveFundNotFound(row.township_code, row.year)
            if await repo.settlement(session, row.township_code, row.year) is not None:
                raise AlreadySettled(f"the {row.year} reserve fund of {row.township_code} is settled")
            entry_id = await ledger.add_entry(
                session,
                {
                    "at": clock.now(),
                    "kind": "reserve_top_up",
                    "fund": ledger.reserve_fund_name(row.township_code, row.year),
                    "amount": row.amount,
                    "county_code": row.county_code,
                    "township_code": row.township_code,
                    "reference": f"top-up:{row.id}",
                    "source_entry_id": fund.allocation_entry_id,
                    "memo": f"top-up requested by {row.requested_by}: {row.reason} (R-RES-2)",
                    "actor": body.actor,
                },
            )
            await repo.set_balance(session, row.township_code, row.year, row.amount)
        await repo.update_top_up(
            session,
            top_up_id,
            status=TopUpStatus.approved if approve else TopUpStatus.rejected,
            decided_by=body.actor,
            decided_at=clock.now(),
            decision_note=body.note,
            entry_id=entry_id,
        )
        return await _top_up(session, top_up_id)


async def list_top_ups(
    runtime: Runtime, county_code: str | None, township_code: str | None, year: int | None
) -> list[TopUp]:
    async with runtime.reading() as session:
        return await repo.top_ups(session, county_code=county_code, township_code=township_code, year=year)


# --- year-end settlement ---


async def settle(runtime: Runtime, township_code: str, year: int, body: SettlementIn) -> Settlement:
    """R-RES-2: after the year's last local day the balance leaves the fund — carried over into next year's
    fund or returned to the county, as the county's setting on 31 December says — exactly once."""
    today = clock.local_today()
    async with runtime.transaction() as session:
        fund = await repo.fund_for_update(session, township_code, year)  # serialises two settlements
        if fund is None:
            raise ReserveFundNotFound(township_code, year)
        guard(fund.county_code, township_code, "reserve fund")
        if await repo.settlement(session, township_code, year) is not None:
            raise AlreadySettled(f"the {year} reserve fund of {township_code} is already settled")
        if not rules.year_over(year, today):
            raise YearNotOver(f"{year} is not over ({clock.zone_name()}): it is settled from 1 January on")
        settings = await settings_in_force(session, fund.county_code, date(year, 12, 31))
        policy, amount, entry_id = settings.year_end, fund.balance, None
        if amount > 0:
            entry_id = await ledger.add_entry(
                session,
                {
                    "at": clock.now(),
                    "kind": rules.settlement_kind(policy),
                    "fund": ledger.reserve_fund_name(township_code, year),
                    "amount": amount,
                    "county_code": fund.county_code,
                    "township_code": township_code,
                    "reference": f"settlement:{township_code}:{year}",
                    "source_entry_id": fund.allocation_entry_id,
                    "memo": f"year-end settlement {year}: {policy} (R-RES-2)",
                    "actor": body.actor,
                },
            )
            await repo.set_balance(session, township_code, year, -amount)
        await repo.add_settlement(
            session,
            {
                "township_code": township_code,
                "year": year,
                "county_code": fund.county_code,
                "policy": policy,
                "amount": amount,
                "entry_id": entry_id,
                "settled_by": body.actor,
                "settled_at": clock.now(),
            },
        )
        if policy is YearEnd.carry_over and entry_id is not None:
            await carry_in(session, township_code, year + 1)
        row = await repo.settlement(session, township_code, year)
    if row is None:
        raise RuntimeError("the row just written is missing from its own transaction")
    return row


async def carry_in(session: AsyncSession, township_code: str, year: int) -> None:
    """The previous year's carried-over balance enters ``year``'s fund once it exists (at settlement, or
    at the year's allocation, whichever comes last), traced to the carry-over entry."""
    previous = await repo.settlement(session, township_code, year - 1)
    if previous is None or previous.entry_id is None or previous.carried_in_entry_id is not None:
        return
    if previous.policy is not YearEnd.carry_over:
        return
    fund = await repo.fund_for_update(session, township_code, year)
    if fund is None:
        return  # carried in at the allocation of ``year``
    entry_id = await ledger.add_entry(
        session,
        {
            "at": clock.now(),
            "kind": "reserve_carry_in",
            "fund": ledger.reserve_fund_name(township_code, year),
            "amount": previous.amount,
            "county_code": fund.county_code,
            "township_code": township_code,
            "reference": f"carry-in:{township_code}:{year - 1}",
            "source_entry_id": previous.entry_id,
            "memo": f"balance carried over from {year - 1} (R-RES-2)",
            "actor": previous.settled_by,
        },
    )
    await repo.set_balance(session, township_code, year, previous.amount)
    await repo.set_carried_in(session, township_code, year - 1, entry_id)
