"""Disbursement's queries on reserve-fund reporting (R-RES-2): county settings (effective-dated), reports
and their history, top-ups, year-end settlements; the ledger movements a report is made of."""

from __future__ import annotations

from datetime import date
from typing import Any, cast

from sqlalchemy import func, select, update
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.engine import CursorResult
from sqlalchemy.ext.asyncio import AsyncSession

from services.disbursement.domain import reserve_rules
from services.disbursement.domain.model import (
    CaseFacts,
    LedgerEntry,
    OverdueReport,
    ReportEvent,
    ReserveFund,
    ReserveReport,
    ReserveSettings,
    Settlement,
    TopUp,
)
from services.disbursement.repository import as_entities, as_entity
from services.disbursement.tables import (
    beneficiaries,
    ledger_entries,
    reserve_funds,
    reserve_report_events,
    reserve_reports,
    reserve_settings,
    reserve_settlements,
    reserve_top_ups,
)


async def add_settings(session: AsyncSession, row: dict[str, Any]) -> bool:
    result = await session.execute(
        insert(reserve_settings)
        .values(**row)
        .on_conflict_do_nothing(index_elements=["county_code", "effective_from"])
    )
    return bool(cast(CursorResult[Any], result).rowcount)


async def settings_on(session: AsyncSession, county_code: str, day: date) -> ReserveSettings | None:
    """The county's reporting settings in force on ``day`` (effective-dated)."""
    query = (
        select(reserve_settings)
        .where(reserve_settings.c.county_code == county_code, reserve_settings.c.effective_from <= day)
        .order_by(reserve_settings.c.effective_from.desc())
        .limit(1)
    )
    row = (await session.execute(query)).mappings().first()
    return as_entity(ReserveSettings, row) if row else None


async def settings_history(session: AsyncSession, county_code: str) -> list[ReserveSettings]:
    query = (
        select(reserve_settings)
        .where(reserve_settings.c.county_code == county_code)
        .order_by(reserve_settings.c.effective_from)
    )
    return as_entities(ReserveSettings, (await session.execute(query)).mappings())


async def fund_entries(session: AsyncSession, fund: str) -> list[LedgerEntry]:
    """Every ledger entry of one fund, in order (a township's fund of a year holds a few hundred)."""
    query = select(ledger_entries).where(ledger_entries.c.fund == fund).order_by(ledger_entries.c.id)
    return as_entities(LedgerEntry, (await session.execute(query)).mappings())


async def case_facts(session: AsyncSession, case_ids: set[str]) -> list[CaseFacts]:
    if not case_ids:
        return []
    query = select(beneficiaries.c.case_id, beneficiaries.c.case_no, beneficiaries.c.category).where(
        beneficiaries.c.case_id.in_(case_ids)
    )
    return as_entities(CaseFacts, (await session.execute(query)).mappings())


async def fund_for_update(session: AsyncSession, township_code: str, year: int) -> ReserveFund | None:
    query = (
        select(reserve_funds)
        .where(reserve_funds.c.township_code == township_code, reserve_funds.c.year == year)
        .with_for_update()
    )
    row = (await session.execute(query)).mappings().first()
    return as_entity(ReserveFund, row) if row else None


async def set_balance(session: AsyncSession, township_code: str, year: int, delta: Any) -> None:
    await session.execute(
        update(reserve_funds)
        .where(reserve_funds.c.township_code == township_code, reserve_funds.c.year == year)
        .values(balance=reserve_funds.c.balance + delta, updated_at=func.now())
    )


async def townships_with_funds(
    session: AsyncSession, county_code: str | None, year: int
) -> list[ReserveFund]:
    query = select(reserve_funds).where(reserve_funds.c.year == year).order_by(reserve_funds.c.township_code)
    if county_code:
        query = query.where(reserve_funds.c.county_code == county_code)
    return as_entities(ReserveFund, (await session.execute(query)).mappings())


# --- reports ---


async def add_report(session: AsyncSession, row: dict[str, Any]) -> bool:
    result = await session.execute(
        insert(reserve_reports)
        .values(**row)
        .on_conflict_do_nothing(index_elements=["township_code", "period"])
    )
    return bool(cast(CursorResult[Any], result).rowcount)


async def report(session: AsyncSession, report_id: str, *, for_update: bool = False) -> ReserveReport | None:
    query = select(reserve_reports).where(reserve_reports.c.id == report_id)
    if for_update:
        query = query.with_for_update()
    row = (await session.execute(query)).mappings().first()
    return as_entity(ReserveReport, row) if row else None


async def report_of(session: AsyncSession, township_code: str, period: str) -> ReserveReport | None:
    query = select(reserve_reports).where(
        reserve_reports.c.township_code == township_code, reserve_reports.c.period == period
    )
    row = (await session.execute(query)).mappings().first()
    return as_entity(ReserveReport, row) if row else None


async def update_report(session: AsyncSession, report_id: str, **values: Any) -> None:
    await session.execute(update(reserve_reports).where(reserve_reports.c.id == report_id).values(**values))


async def reports(
    session: AsyncSession,
    *,
    county_code: str | None,
    township_code: str | None,
    year: int | None,
    status: str | None = None,
) -> list[ReserveReport]:
    query = select(reserve_reports).order_by(reserve_reports.c.period_start, reserve_reports.c.township_code)
    if county_code:
        query = query.where(reserve_reports.c.county_code == county_code)
    if township_code:
        query = query.where(reserve_reports.c.township_code == township_code)
    if year:
        query = query.where(reserve_reports.c.year == year)
    if status:
        query = query.where(reserve_reports.c.status == status)
    return as_entities(ReserveReport, (await session.execute(query)).mappings())


async def add_event(session: AsyncSession, row: dict[str, Any]) -> None:
    await session.execute(reserve_report_events.insert().values(**row))


async def events(session: AsyncSession, report_id: str) -> list[ReportEvent]:
    query = (
        select(reserve_report_events)
        .where(reserve_report_events.c.report_id == report_id)
        .order_by(reserve_report_events.c.id)
    )
    return as_entities(ReportEvent, (await session.execute(query)).mappings())


# --- top-ups ---


async def add_top_up(session: AsyncSession, row: dict[str, Any]) -> None:
    await session.execute(reserve_top_ups.insert().values(**row))


async def top_up(session: AsyncSession, top_up_id: str, *, for_update: bool = False) -> TopUp | None:
    query = select(reserve_top_ups).where(reserve_top_ups.c.id == top_up_id)
    if for_update:
        query = query.with_for_update()
    row = (await session.execute(query)).mappings().first()
    return as_entity(TopUp, row) if row else None


async def update_top_up(session: AsyncSession, top_up_id: str, **values: Any) -> None:
    await session.execute(update(reserve_top_ups).where(reserve_top_ups.c.id == top_up_id).values(**values))


async def top_ups(
    session: AsyncSession, *, county_code: str | None, township_code: str | None, year: int | None
) -> list[TopUp]:
    query = select(reserve_top_ups).order_by(reserve_top_ups.c.requested_at)
    if county_code:
        query = query.where(reserve_top_ups.c.county_code == county_code)
    if township_code:
        query = query.where(reserve_top_ups.c.township_code == township_code)
    if year:
        query = query.where(reserve_top_ups.c.year == year)
    return as_entities(TopUp, (await session.execute(query)).mappings())


# --- year-end settlements ---


async def add_settlement(session: AsyncSession, row: dict[str, Any]) -> bool:
    result = await session.execute(
        insert(reserve_settlements)
        .values(**row)
        .on_conflict_do_nothing(index_elements=["township_code", "year"])
    )
    return bool(cast(CursorResult[Any], result).rowcount)


async def settlement(session: AsyncSession, township_code: str, year: int) -> Settlement | None:
    query = select(reserve_settlements).where(
        reserve_settlements.c.township_code == township_code, reserve_settlements.c.year == year
    )
    row = (await session.execute(query)).mappings().first()
    return as_entity(Settlement, row) if row else None


async def set_carried_in(session: AsyncSession, township_code: str, year: int, entry_id: int) -> None:
    await session.execute(
        update(reserve_settlements)
        .where(reserve_settlements.c.township_code == township_code, reserve_settlements.c.year == year)
        .values(carried_in_entry_id=entry_id)
    )


# --- overdue reports (R-RES-2: nothing silent) ---


async def overdue(
    session: AsyncSession, county_code: str | None, township_code: str | None, today: date
) -> list[OverdueReport]:
    """R-RES-2, nothing silent: per township with a reserve fund, each ended period of this or last year
    whose report is not submitted by its due day (period end + the county's grace days)."""
    out = []
    for year in (today.year - 1, today.year):
        funds = await townships_with_funds(session, county_code, year)
        versions: dict[str, list[tuple[date, reserve_rules.Frequency, int]]] = {}
        for fund in funds:
            if township_code and fund.township_code != township_code:
                continue
            if fund.county_code not in versions:
                versions[fund.county_code] = [
                    (v.effective_from, v.report_frequency, v.grace_days)
                    for v in await settings_history(session, fund.county_code)
                ]
            reported = {
                r.period
                for r in await reports(session, county_code=None, township_code=fund.township_code, year=year)
            }
            for p, grace in reserve_rules.expected_periods(year, versions[fund.county_code], today):
                if p.label not in reported and p.overdue(today, grace):
                    out.append(
                        OverdueReport(
                            county_code=fund.county_code,
                            township_code=fund.township_code,
                            period=p.label,
                            period_end=p.end,
                            due_on=p.due(grace),
                            days_overdue=(today - p.due(grace)).days,
                        )
                    )
    return out
