"""Disbursement's queries on payments: beneficiaries, decisions and help-first grants as received, payment
instructions and their attempts, handovers, payee changes."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Any, cast

from sqlalchemy import func, select, update
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.engine import CursorResult
from sqlalchemy.ext.asyncio import AsyncSession

from services.disbursement.domain.model import (
    ApprovedCase,
    Beneficiary,
    ChangeStatus,
    Handover,
    HelpFirstGrant,
    PaidPayment,
    PayeeChange,
    PaymentAttempt,
    PaymentInstruction,
    PaymentStatus,
    Place,
    Redecision,
    Stage,
)
from services.disbursement.repository import as_entities, as_entity
from services.disbursement.tables import (
    approved_cases,
    beneficiaries,
    handovers,
    help_first_grants,
    payee_changes,
    payment_attempts,
    payment_instructions,
    redecisions,
    unpaid_closings,
)


async def lock(session: AsyncSession, key: str) -> None:
    """A transaction-scoped advisory lock on ``key`` (one writer at a time per case, batch or file)."""
    await session.execute(select(func.pg_advisory_xact_lock(func.hashtext(key))))


async def add_beneficiary(session: AsyncSession, row: dict[str, Any]) -> None:
    await session.execute(
        insert(beneficiaries).values(**row).on_conflict_do_nothing(index_elements=["case_id"])
    )


async def add_approved(session: AsyncSession, row: dict[str, Any]) -> None:
    await session.execute(
        insert(approved_cases).values(**row).on_conflict_do_nothing(index_elements=["case_id"])
    )


async def add_unpaid_closing(session: AsyncSession, row: dict[str, Any]) -> None:
    """A case closed with nothing to pay (R-RET-1); a later decision of the same case moves its closing."""
    stmt = insert(unpaid_closings).values(**row)
    await session.execute(
        stmt.on_conflict_do_update(
            index_elements=["case_id"],
            set_={k: stmt.excluded[k] for k in ("decision", "form", "closed_at")},
            where=unpaid_closings.c.closed_at < stmt.excluded.closed_at,
        )
    )


async def add_help_first(session: AsyncSession, row: dict[str, Any]) -> None:
    await session.execute(
        insert(help_first_grants).values(**row).on_conflict_do_nothing(index_elements=["case_id"])
    )


async def beneficiary(session: AsyncSession, case_id: str, *, for_update: bool = False) -> Beneficiary | None:
    query = select(beneficiaries).where(beneficiaries.c.case_id == case_id)
    if for_update:
        query = query.with_for_update()
    row = (await session.execute(query)).mappings().first()
    return as_entity(Beneficiary, row) if row else None


async def set_payee(session: AsyncSession, case_id: str, payee: str) -> None:
    await session.execute(update(beneficiaries).where(beneficiaries.c.case_id == case_id).values(payee=payee))


async def approved(session: AsyncSession, case_id: str) -> ApprovedCase | None:
    query = select(approved_cases).where(approved_cases.c.case_id == case_id)
    row = (await session.execute(query)).mappings().first()
    if row is None:
        return None
    stages = tuple(
        Stage(seq=int(s["seq"]), amount=Decimal(s["amount"]), due_on=date.fromisoformat(s["due_on"]))
        for s in row["stages"]
    )
    return ApprovedCase(
        case_id=row["case_id"],
        form=row["form"],
        amount=row["amount"],
        stages=stages,
        decided_at=row["decided_at"],
        help_first_amount=row["help_first_amount"],
    )


async def help_first(session: AsyncSession, case_id: str) -> HelpFirstGrant | None:
    query = select(help_first_grants).where(help_first_grants.c.case_id == case_id)
    row = (await session.execute(query)).mappings().first()
    return as_entity(HelpFirstGrant, row) if row else None


async def add_instruction(session: AsyncSession, row: dict[str, Any]) -> bool:
    """Insert unless this case's stage already has its instruction (the reference is the idempotency key)."""
    result = await session.execute(insert(payment_instructions).values(**row).on_conflict_do_nothing())
    return bool(cast(CursorResult[Any], result).rowcount)  # DML: a cursor result


async def instruction_exists(session: AsyncSession, case_id: str, stage: int) -> bool:
    query = (
        select(func.count())
        .select_from(payment_instructions)
        .where(
            payment_instructions.c.case_id == case_id,
            payment_instructions.c.stage == stage,
            payment_instructions.c.correction_of.is_(None),
        )
    )
    return bool(await session.scalar(query))


async def instruction(
    session: AsyncSession, instruction_id: str, *, for_update: bool = False
) -> PaymentInstruction | None:
    query = select(payment_instructions).where(payment_instructions.c.id == instruction_id)
    if for_update:
        query = query.with_for_update()
    row = (await session.execute(query)).mappings().first()
    return as_entity(PaymentInstruction, row) if row else None


async def update_instruction(session: AsyncSession, instruction_id: str, **values: Any) -> None:
    await session.execute(
        update(payment_instructions)
        .where(payment_instructions.c.id == instruction_id)
        .values(**values, updated_at=func.now())
    )


async def instructions_for(session: AsyncSession, case_id: str) -> list[PaymentInstruction]:
    query = (
        select(payment_instructions)
        .where(payment_instructions.c.case_id == case_id)
        .order_by(payment_instructions.c.stage, payment_instructions.c.created_at)
    )
    return as_entities(PaymentInstruction, (await session.execute(query)).mappings())


async def corrections_of(session: AsyncSession, instruction_id: str) -> int:
    query = (
        select(func.count())
        .select_from(payment_instructions)
        .where(payment_instructions.c.correction_of == instruction_id)
    )
    return int(await session.scalar(query) or 0)


async def add_attempt(session: AsyncSession, row: dict[str, Any]) -> None:
    await session.execute(payment_attempts.insert().values(**row))


async def current_attempt(session: AsyncSession, instruction_id: str) -> PaymentAttempt | None:
    query = (
        select(payment_attempts)
        .where(payment_attempts.c.instruction_id == instruction_id)
        .order_by(payment_attempts.c.attempt.desc())
        .limit(1)
    )
    row = (await session.execute(query)).mappings().first()
    return as_entity(PaymentAttempt, row) if row else None


async def set_attempt(session: AsyncSession, attempt_id: int, **values: Any) -> None:
    await session.execute(
        update(payment_attempts).where(payment_attempts.c.id == attempt_id).values(**values)
    )


async def attempts_for(session: AsyncSession, instruction_ids: list[str]) -> list[PaymentAttempt]:
    query = (
        select(payment_attempts)
        .where(payment_attempts.c.instruction_id.in_(instruction_ids))
        .order_by(payment_attempts.c.instruction_id, payment_attempts.c.attempt)
    )
    return as_entities(PaymentAttempt, (await session.execute(query)).mappings())


async def add_handover(session: AsyncSession, row: dict[str, Any]) -> None:
    await session.execute(handovers.insert().values(**row))


async def handovers_for(session: AsyncSession, instruction_ids: list[str]) -> list[Handover]:
    query = select(handovers).where(handovers.c.instruction_id.in_(instruction_ids))
    return as_entities(Handover, (await session.execute(query)).mappings())


async def add_payee_change(session: AsyncSession, row: dict[str, Any]) -> None:
    await session.execute(payee_changes.insert().values(**row))


async def payee_change(
    session: AsyncSession, change_id: str, *, for_update: bool = False
) -> PayeeChange | None:
    query = select(payee_changes).where(payee_changes.c.id == change_id)
    if for_update:
        query = query.with_for_update()
    row = (await session.execute(query)).mappings().first()
    return as_entity(PayeeChange, row) if row else None


async def update_payee_change(session: AsyncSession, change_id: str, **values: Any) -> None:
    await session.execute(update(payee_changes).where(payee_changes.c.id == change_id).values(**values))


async def payee_changes_for(session: AsyncSession, case_id: str) -> list[PayeeChange]:
    query = (
        select(payee_changes).where(payee_changes.c.case_id == case_id).order_by(payee_changes.c.requested_at)
    )
    return as_entities(PayeeChange, (await session.execute(query)).mappings())


async def paid_between(
    session: AsyncSession, township_code: str, start: datetime, end: datetime
) -> list[PaidPayment]:
    """Paid (not reversed) instructions of a township in [start, end), with the beneficiary's case number."""
    query = (
        select(payment_instructions, beneficiaries.c.case_no)
        .join(beneficiaries, beneficiaries.c.case_id == payment_instructions.c.case_id, isouter=True)
        .where(
            payment_instructions.c.township_code == township_code,
            payment_instructions.c.status == PaymentStatus.paid,
            payment_instructions.c.paid_at >= start,
            payment_instructions.c.paid_at < end,
        )
        .order_by(payment_instructions.c.paid_at, payment_instructions.c.id)
    )
    return [
        PaidPayment(as_entity(PaymentInstruction, row), row["case_no"])
        for row in (await session.execute(query)).mappings()
    ]


async def case_place(session: AsyncSession, case_id: str) -> Place | None:
    """Where disbursement knows a case from (its beneficiary, else a payment instruction), or None."""
    owner = await beneficiary(session, case_id)
    if owner is not None:
        return Place(owner.county_code, owner.township_code)
    query = (
        select(payment_instructions.c.county_code, payment_instructions.c.township_code)
        .where(payment_instructions.c.case_id == case_id)
        .limit(1)
    )
    row = (await session.execute(query)).mappings().first()
    return Place(row["county_code"], row["township_code"]) if row else None


async def pending_payee_change(session: AsyncSession, case_id: str) -> PayeeChange | None:
    query = select(payee_changes).where(
        payee_changes.c.case_id == case_id, payee_changes.c.status == ChangeStatus.pending
    )
    row = (await session.execute(query.with_for_update())).mappings().first()
    return as_entity(PayeeChange, row) if row else None


async def payee_changes_page(
    session: AsyncSession,
    *,
    status: ChangeStatus | None,
    county_code: str | None,
    township_code: str | None,
    limit: int,
) -> list[PayeeChange]:
    """Account changes in a place, oldest first (a queue for the second person, R-AID-2)."""
    query = select(payee_changes).join(beneficiaries, beneficiaries.c.case_id == payee_changes.c.case_id)
    if status:
        query = query.where(payee_changes.c.status == status)
    if county_code:
        query = query.where(beneficiaries.c.county_code == county_code)
    if township_code:
        query = query.where(beneficiaries.c.township_code == township_code)
    query = query.order_by(payee_changes.c.requested_at, payee_changes.c.id).limit(limit)
    return as_entities(PayeeChange, (await session.execute(query)).mappings())


async def add_redecision(session: AsyncSession, row: dict[str, Any]) -> None:
    """A re-examination's changed amount as received (R-REX-3); the same one again changes nothing."""
    await session.execute(
        insert(redecisions).values(**row).on_conflict_do_nothing(index_elements=["reexamination_id"])
    )


async def redecisions_for(session: AsyncSession, case_id: str) -> list[Redecision]:
    query = select(redecisions).where(redecisions.c.case_id == case_id).order_by(redecisions.c.seq)
    return as_entities(Redecision, (await session.execute(query)).mappings())


async def set_redecision_instruction(
    session: AsyncSession, reexamination_id: str, instruction_id: str
) -> None:
    await session.execute(
        update(redecisions)
        .where(redecisions.c.reexamination_id == reexamination_id)
        .values(instruction_id=instruction_id)
    )
