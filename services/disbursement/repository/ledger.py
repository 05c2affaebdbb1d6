"""Disbursement's queries on money movements: township reserve funds (R-RES) and the ledger (R-OVS-3)."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Any, cast

from sqlalchemy import func, select, update
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.engine import CursorResult
from sqlalchemy.ext.asyncio import AsyncSession

from services.disbursement.domain.model import LedgerEntry, PaymentStatus, ReserveFund
from services.disbursement.repository import as_entities, as_entity
from services.disbursement.tables import ledger_entries, payment_instructions, reserve_funds


def reserve_fund_name(township_code: str, year: int) -> str:
    return f"reserve:{township_code}:{year}"


def budget_fund_name(county_code: str) -> str:
    return f"budget:{county_code}"


async def add_entry(session: AsyncSession, row: dict[str, Any]) -> int:
    return int(await session.scalar(ledger_entries.insert().values(**row).returning(ledger_entries.c.id)))


async def entries(
    session: AsyncSession,
    *,
    county_code: str | None = None,
    township_code: str | None = None,
    case_id: str | None = None,
    start: datetime | None = None,
    end: datetime | None = None,
    limit: int = 1000,
) -> list[LedgerEntry]:
    query = select(ledger_entries).order_by(ledger_entries.c.id).limit(limit)
    if county_code:
        query = query.where(ledger_entries.c.county_code == county_code)
    if township_code:
        query = query.where(ledger_entries.c.township_code == township_code)
    if case_id:
        query = query.where(ledger_entries.c.case_id == case_id)
    if start:
        query = query.where(ledger_entries.c.at >= start)
    if end:
        query = query.where(ledger_entries.c.at < end)
    return as_entities(LedgerEntry, (await session.execute(query)).mappings())


async def entries_by_id(session: AsyncSession, ids: set[int]) -> list[LedgerEntry]:
    query = select(ledger_entries).where(ledger_entries.c.id.in_(ids))
    return as_entities(LedgerEntry, (await session.execute(query)).mappings())


async def entry_for(session: AsyncSession, instruction_id: str, kinds: tuple[str, ...]) -> LedgerEntry | None:
    query = (
        select(ledger_entries)
        .where(ledger_entries.c.instruction_id == instruction_id, ledger_entries.c.kind.in_(kinds))
        .order_by(ledger_entries.c.id.desc())
        .limit(1)
    )
    row = (await session.execute(query)).mappings().first()
    return as_entity(LedgerEntry, row) if row else None


async def totals_by_kind(
    session: AsyncSession,
    *,
    township_code: str | None,
    county_code: str | None,
    start: datetime | None,
    end: datetime | None,
) -> dict[tuple[str, str], Decimal]:
    """(kind, township) -> sum."""
    query = select(
        ledger_entries.c.kind, ledger_entries.c.township_code, func.sum(ledger_entries.c.amount)
    ).group_by(ledger_entries.c.kind, ledger_entries.c.township_code)
    if township_code:
        query = query.where(ledger_entries.c.township_code == township_code)
    if county_code:
        query = query.where(ledger_entries.c.county_code == county_code)
    if start:
        query = query.where(ledger_entries.c.at >= start)
    if end:
        query = query.where(ledger_entries.c.at < end)
    return {(k, t): v for k, t, v in (await session.execute(query)).all()}


async def fund_totals(session: AsyncSession, fund: str) -> dict[str, Decimal]:
    query = (
        select(ledger_entries.c.kind, func.sum(ledger_entries.c.amount))
        .where(ledger_entries.c.fund == fund)
        .group_by(ledger_entries.c.kind)
    )
    return dict((await session.execute(query)).all())


async def paid_instruction_total(session: AsyncSession, township_code: str) -> Decimal:
    total = await session.scalar(
        select(func.coalesce(func.sum(payment_instructions.c.amount), 0)).where(
            payment_instructions.c.township_code == township_code,
            payment_instructions.c.status == PaymentStatus.paid,
        )
    )
    return cast(Decimal, total)  # coalesce: never NULL


async def add_fund(session: AsyncSession, row: dict[str, Any]) -> bool:
    result = await session.execute(
        insert(reserve_funds).values(**row).on_conflict_do_nothing(index_elements=["township_code", "year"])
    )
    return bool(cast(CursorResult[Any], result).rowcount)  # DML: a cursor result


async def fund(session: AsyncSession, township_code: str, year: int) -> ReserveFund | None:
    query = select(reserve_funds).where(
        reserve_funds.c.township_code == township_code, reserve_funds.c.year == year
    )
    row = (await session.execute(query)).mappings().first()
    return as_entity(ReserveFund, row) if row else None


async def funds(session: AsyncSession, county_code: str, year: int) -> list[ReserveFund]:
    query = (
        select(reserve_funds)
        .where(reserve_funds.c.county_code == county_code, reserve_funds.c.year == year)
        .order_by(reserve_funds.c.township_code)
    )
    return as_entities(ReserveFund, (await session.execute(query)).mappings())


async def set_fund_entry(session: AsyncSession, township_code: str, year: int, entry_id: int) -> None:
    await session.execute(
        update(reserve_funds)
        .where(reserve_funds.c.township_code == township_code, reserve_funds.c.year == year)
        .values(allocation_entry_id=entry_id)
    )


async def draw(session: AsyncSession, township_code: str, year: int, amount: Decimal) -> Decimal | None:
    """R-RES: one conditional UPDATE, so concurrent draws can never take the balance below zero.
    Returns the new balance, or None when the fund is missing or short."""
    return await session.scalar(
        update(reserve_funds)
        .where(
            reserve_funds.c.township_code == township_code,
            reserve_funds.c.year == year,
            reserve_funds.c.balance >= amount,
        )
        .values(balance=reserve_funds.c.balance - amount, updated_at=func.now())
        .returning(reserve_funds.c.balance)
    )


async def release(session: AsyncSession, township_code: str, year: int, amount: Decimal) -> None:
    await session.execute(
        update(reserve_funds)
        .where(reserve_funds.c.township_code == township_code, reserve_funds.c.year == year)
        .values(balance=reserve_funds.c.balance + amount, updated_at=func.now())
    )
