"""All of disbursement's queries."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.engine import RowMapping
from sqlalchemy.ext.asyncio import AsyncSession

from services.disbursement.tables import approved_cases, beneficiaries, payment_instructions


async def add_beneficiary(session: AsyncSession, row: dict[str, Any]) -> None:
    await session.execute(insert(beneficiaries).values(**row).on_conflict_do_nothing(index_elements=["case_id"]))


async def add_approved(session: AsyncSession, row: dict[str, Any]) -> None:
    await session.execute(insert(approved_cases).values(**row).on_conflict_do_nothing(index_elements=["case_id"]))


async def beneficiary(session: AsyncSession, case_id: str) -> RowMapping | None:
    return (await session.execute(select(beneficiaries).where(beneficiaries.c.case_id == case_id))).mappings().first()


async def approved(session: AsyncSession, case_id: str) -> RowMapping | None:
    return (await session.execute(select(approved_cases).where(approved_cases.c.case_id == case_id))).mappings().first()


async def add_instruction(session: AsyncSession, row: dict[str, Any]) -> bool:
    """Insert unless this case's stage already has its instruction (the reference is the idempotency key)."""
    result = await session.execute(insert(payment_instructions).values(**row)
                                   .on_conflict_do_nothing(index_elements=["reference"]))
    return bool(result.rowcount)


async def instructions_for(session: AsyncSession, case_id: str) -> list[RowMapping]:
    query = (select(payment_instructions).where(payment_instructions.c.case_id == case_id)
             .order_by(payment_instructions.c.stage))
    return list((await session.execute(query)).mappings())
