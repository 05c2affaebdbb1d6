"""Disbursement's queries on bank files: settings, batches and items, return files, exceptions, receipts."""

from __future__ import annotations

from datetime import date
from typing import Any

from sqlalchemy import and_, func, select, update
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from services.disbursement.domain.model import (
    AttemptStatus,
    BankBatch,
    BankSettings,
    BatchableTransfer,
    BatchItem,
    ImportedReturnFile,
    ImportedReturnLine,
    ImportedStatement,
    PaidItem,
    PaymentAttempt,
    PaymentInstruction,
    PaymentStatus,
    ReceiptCheck,
    ReconciliationException,
)
from services.disbursement.repository import as_entities, as_entity
from services.disbursement.tables import (
    bank_batch_items,
    bank_batches,
    bank_return_files,
    bank_return_lines,
    bank_settings,
    bank_statements,
    beneficiaries,
    payment_attempts,
    payment_instructions,
    receipt_checks,
    reconciliation_exceptions,
)
from shared.contracts.approval import Channel


async def add_settings(session: AsyncSession, row: dict[str, Any]) -> None:
    await session.execute(bank_settings.insert().values(**row))


async def settings_on(session: AsyncSession, county_code: str, day: date) -> BankSettings | None:
    """The county's bank settings in force on ``day`` (effective-dated)."""
    query = (
        select(bank_settings)
        .where(bank_settings.c.county_code == county_code, bank_settings.c.effective_from <= day)
        .order_by(bank_settings.c.effective_from.desc())
        .limit(1)
    )
    row = (await session.execute(query)).mappings().first()
    return as_entity(BankSettings, row) if row else None


async def settings_history(session: AsyncSession, county_code: str) -> list[BankSettings]:
    query = (
        select(bank_settings)
        .where(bank_settings.c.county_code == county_code)
        .order_by(bank_settings.c.effective_from)
    )
    return as_entities(BankSettings, (await session.execute(query)).mappings())


async def batchable(
    session: AsyncSession, county_code: str, township_code: str | None, day: date
) -> list[BatchableTransfer]:
    """Bank transfers due by ``day`` whose current attempt is sent and in no batch yet, locked, in a
    stable order (case, stage), with the attempt's payee."""
    current = (
        select(payment_attempts.c.instruction_id, func.max(payment_attempts.c.attempt).label("attempt"))
        .group_by(payment_attempts.c.instruction_id)
        .subquery()
    )
    query = (
        select(
            payment_instructions.c.id,
            payment_instructions.c.reference,
            payment_instructions.c.amount,
            payment_instructions.c.case_id,
            payment_attempts.c.attempt,
            payment_attempts.c.payee,
        )
        .join(current, current.c.instruction_id == payment_instructions.c.id)
        .join(
            payment_attempts,
            and_(
                payment_attempts.c.instruction_id == current.c.instruction_id,
                payment_attempts.c.attempt == current.c.attempt,
            ),
        )
        .outerjoin(
            bank_batch_items,
            and_(
                bank_batch_items.c.instruction_id == payment_attempts.c.instruction_id,
                bank_batch_items.c.attempt == payment_attempts.c.attempt,
            ),
        )
        .where(
            payment_instructions.c.county_code == county_code,
            payment_instructions.c.channel == Channel.bank_transfer,
            payment_instructions.c.status == PaymentStatus.scheduled,
            payment_instructions.c.due_on <= day,
            payment_attempts.c.status == AttemptStatus.sent,
            bank_batch_items.c.batch_id.is_(None),
        )
        .order_by(payment_instructions.c.case_id, payment_instructions.c.stage)
        .with_for_update(of=payment_instructions)
    )
    if township_code:
        query = query.where(payment_instructions.c.township_code == township_code)
    return as_entities(BatchableTransfer, (await session.execute(query)).mappings())


async def add_batch(session: AsyncSession, row: dict[str, Any], items: list[dict[str, Any]]) -> None:
    await session.execute(bank_batches.insert().values(**row))
    await session.execute(bank_batch_items.insert(), items)


async def batch(session: AsyncSession, batch_id: str, *, for_update: bool = False) -> BankBatch | None:
    query = select(bank_batches).where(bank_batches.c.id == batch_id)
    if for_update:
        query = query.with_for_update()
    row = (await session.execute(query)).mappings().first()
    return as_entity(BankBatch, row) if row else None


async def batch_by_no(session: AsyncSession, batch_no: str) -> BankBatch | None:
    query = select(bank_batches).where(bank_batches.c.batch_no == batch_no).with_for_update()
    row = (await session.execute(query)).mappings().first()
    return as_entity(BankBatch, row) if row else None


async def batches_on(session: AsyncSession, county_code: str, day: date) -> int:
    query = (
        select(func.count())
        .select_from(bank_batches)
        .where(bank_batches.c.county_code == county_code, bank_batches.c.batch_date == day)
    )
    return int(await session.scalar(query) or 0)


async def list_batches(
    session: AsyncSession, county_code: str | None, township_code: str | None, status: str | None, limit: int
) -> list[BankBatch]:
    query = select(bank_batches).order_by(bank_batches.c.created_at.desc()).limit(limit)
    if county_code:
        query = query.where(bank_batches.c.county_code == county_code)
    if township_code:
        query = query.where(bank_batches.c.township_code == township_code)
    if status:
        query = query.where(bank_batches.c.status == status)
    return as_entities(BankBatch, (await session.execute(query)).mappings())


async def update_batch(session: AsyncSession, batch_id: str, **values: Any) -> None:
    await session.execute(update(bank_batches).where(bank_batches.c.id == batch_id).values(**values))


async def release_items(session: AsyncSession, batch_id: str) -> None:
    """A cancelled batch's attempts go back to the pool (the only delete: the batch never left)."""
    await session.execute(bank_batch_items.delete().where(bank_batch_items.c.batch_id == batch_id))


async def batch_items(session: AsyncSession, batch_id: str) -> list[BatchItem]:
    """The items with each attempt's payee and the instruction's place, in file order."""
    query = (
        select(
            bank_batch_items,
            payment_attempts.c.payee,
            payment_attempts.c.status.label("attempt_status"),
            payment_instructions.c.case_id,
            payment_instructions.c.county_code,
            payment_instructions.c.township_code,
            payment_instructions.c.status.label("payment_status"),
        )
        .join(
            payment_attempts,
            and_(
                payment_attempts.c.instruction_id == bank_batch_items.c.instruction_id,
                payment_attempts.c.attempt == bank_batch_items.c.attempt,
            ),
        )
        .join(payment_instructions, payment_instructions.c.id == bank_batch_items.c.instruction_id)
        .where(bank_batch_items.c.batch_id == batch_id)
        .order_by(bank_batch_items.c.seq)
    )
    return as_entities(BatchItem, (await session.execute(query)).mappings())


async def return_file_by_hash(session: AsyncSession, digest: str) -> ImportedReturnFile | None:
    query = select(bank_return_files).where(bank_return_files.c.file_sha256 == digest)
    row = (await session.execute(query)).mappings().first()
    return as_entity(ImportedReturnFile, row) if row else None


async def add_return_file(session: AsyncSession, row: dict[str, Any], lines: list[dict[str, Any]]) -> None:
    await session.execute(bank_return_files.insert().values(**row))
    await session.execute(bank_return_lines.insert(), lines)


async def return_file(session: AsyncSession, return_id: str) -> ImportedReturnFile | None:
    query = select(bank_return_files).where(bank_return_files.c.id == return_id)
    row = (await session.execute(query)).mappings().first()
    return as_entity(ImportedReturnFile, row) if row else None


async def return_lines(session: AsyncSession, return_file_id: str) -> list[ImportedReturnLine]:
    query = (
        select(bank_return_lines)
        .where(bank_return_lines.c.return_file_id == return_file_id)
        .order_by(bank_return_lines.c.line_no)
    )
    return as_entities(ImportedReturnLine, (await session.execute(query)).mappings())


async def add_exception(session: AsyncSession, row: dict[str, Any]) -> int:
    query = reconciliation_exceptions.insert().values(**row).returning(reconciliation_exceptions.c.id)
    return int(await session.scalar(query))


async def exception(
    session: AsyncSession, exception_id: int, *, for_update: bool = False
) -> ReconciliationException | None:
    query = select(reconciliation_exceptions).where(reconciliation_exceptions.c.id == exception_id)
    if for_update:
        query = query.with_for_update()
    row = (await session.execute(query)).mappings().first()
    return as_entity(ReconciliationException, row) if row else None


async def list_exceptions(
    session: AsyncSession,
    county_code: str | None,
    township_code: str | None,
    status: str | None,
    kind: str | None,
    return_file_id: str | None,
    limit: int,
) -> list[ReconciliationException]:
    query = select(reconciliation_exceptions).order_by(reconciliation_exceptions.c.id).limit(limit)
    if county_code:
        query = query.where(reconciliation_exceptions.c.county_code == county_code)
    if township_code:
        query = query.where(reconciliation_exceptions.c.township_code == township_code)
    if status:
        query = query.where(reconciliation_exceptions.c.status == status)
    if kind:
        query = query.where(reconciliation_exceptions.c.kind == kind)
    if return_file_id:
        query = query.where(reconciliation_exceptions.c.return_file_id == return_file_id)
    return as_entities(ReconciliationException, (await session.execute(query)).mappings())


async def update_exception(session: AsyncSession, exception_id: int, **values: Any) -> None:
    await session.execute(
        update(reconciliation_exceptions)
        .where(reconciliation_exceptions.c.id == exception_id)
        .values(**values)
    )


async def add_receipt_check(session: AsyncSession, row: dict[str, Any]) -> None:
    await session.execute(
        insert(receipt_checks).values(**row).on_conflict_do_nothing(index_elements=["instruction_id"])
    )


async def receipt_check(
    session: AsyncSession, check_id: str, *, for_update: bool = False
) -> ReceiptCheck | None:
    query = select(receipt_checks).where(receipt_checks.c.id == check_id)
    if for_update:
        query = query.with_for_update()
    row = (await session.execute(query)).mappings().first()
    return as_entity(ReceiptCheck, row) if row else None


async def list_receipt_checks(
    session: AsyncSession, county_code: str | None, township_code: str | None, status: str | None, limit: int
) -> list[ReceiptCheck]:
    query = (
        select(receipt_checks, beneficiaries.c.case_no)
        .outerjoin(beneficiaries, beneficiaries.c.case_id == receipt_checks.c.case_id)
        .order_by(receipt_checks.c.created_at, receipt_checks.c.id)
        .limit(limit)
    )
    if county_code:
        query = query.where(receipt_checks.c.county_code == county_code)
    if township_code:
        query = query.where(receipt_checks.c.township_code == township_code)
    if status:
        query = query.where(receipt_checks.c.status == status)
    return as_entities(ReceiptCheck, (await session.execute(query)).mappings())


async def update_receipt_check(session: AsyncSession, check_id: str, **values: Any) -> None:
    await session.execute(update(receipt_checks).where(receipt_checks.c.id == check_id).values(**values))


async def statement_by_hash(session: AsyncSession, digest: str) -> ImportedStatement | None:
    query = select(bank_statements).where(bank_statements.c.file_sha256 == digest)
    row = (await session.execute(query)).mappings().first()
    return as_entity(ImportedStatement, row) if row else None


async def add_statement(session: AsyncSession, row: dict[str, Any]) -> None:
    await session.execute(bank_statements.insert().values(**row))


async def instruction_by_reference(session: AsyncSession, reference: str) -> PaymentInstruction | None:
    query = select(payment_instructions).where(payment_instructions.c.reference == reference)
    row = (await session.execute(query)).mappings().first()
    return as_entity(PaymentInstruction, row) if row else None


async def sent_attempts(session: AsyncSession, instruction_id: str) -> list[PaymentAttempt]:
    """The attempts that reached the bank's books: paid, or paid and returned."""
    query = select(payment_attempts).where(
        payment_attempts.c.instruction_id == instruction_id,
        payment_attempts.c.status.in_((AttemptStatus.paid, AttemptStatus.returned)),
    )
    return as_entities(PaymentAttempt, (await session.execute(query)).mappings())


async def paid_items_between(
    session: AsyncSession, county_code: str, start: date, end: date
) -> list[PaidItem]:
    """Batch items of the county with value dates in [start, end] that the bank reported paid."""
    query = (
        select(
            bank_batch_items.c.instruction_id,
            bank_batch_items.c.reference,
            bank_batch_items.c.amount,
            payment_instructions.c.township_code,
        )
        .join(bank_batches, bank_batches.c.id == bank_batch_items.c.batch_id)
        .join(
            payment_attempts,
            and_(
                payment_attempts.c.instruction_id == bank_batch_items.c.instruction_id,
                payment_attempts.c.attempt == bank_batch_items.c.attempt,
            ),
        )
        .join(payment_instructions, payment_instructions.c.id == bank_batch_items.c.instruction_id)
        .where(
            bank_batches.c.county_code == county_code,
            bank_batches.c.batch_date >= start,
            bank_batches.c.batch_date <= end,
            payment_attempts.c.status.in_((AttemptStatus.paid, AttemptStatus.returned)),
        )
    )
    return as_entities(PaidItem, (await session.execute(query)).mappings())
