"""The bank's return files (回盘) and the reconciliation (对账) of each line against the instruction it
answers, by reference, amount and account: a matching line records the bank's result through the same
rules as a single result (paid, failed, returned; never paid twice; events through the outbox); a line that
does not match goes to the exceptions queue and changes no payment. A whole file is one transaction: a
malformed file is refused (422 naming the line and the field) with nothing applied, and the same file
imported again (same SHA-256) changes nothing. Failed and returned payments are then retried or re-routed
as any other (POST /payments/{id}/retry), under the same reference."""

from __future__ import annotations

import asyncio
import hashlib
import json
import logging
import uuid
from typing import cast

import asyncssh
from sqlalchemy.ext.asyncio import AsyncSession

from services.disbursement.adapters.bank_sftp import SftpRefused, fetch_returns
from services.disbursement.domain.bankfile import ReturnLine, bank_format, peek_batch_no
from services.disbursement.domain.errors import (
    BankFileError,
    BankUnreachable,
    BatchState,
    ExceptionNotFound,
    ExceptionResolved,
    MalformedFile,
)
from services.disbursement.domain.model import (
    PAYEE,
    AttemptStatus,
    BankBatch,
    BatchItem,
    BatchStatus,
    ExceptionStatus,
    FetchedReturn,
    ImportedReturnFile,
    PaymentStatus,
    ReconciliationException,
)
from services.disbursement.domain.rules import result_allowed
from services.disbursement.repository import bank
from services.disbursement.repository import instructions as repo
from services.disbursement.schemas import ResolutionIn, Result, ResultIn
from services.disbursement.service import receipts
from services.disbursement.service.payments import apply_result
from services.disbursement.settings import DisbursementSettings
from shared import clock
from shared.access import caller, covers, guard
from shared.domain_errors import DomainError
from shared.idnumber import mask_account
from shared.runtime import Runtime

log = logging.getLogger("assistance.disbursement.returns")
SFTP_ACTOR = "bank-sftp"
"""Who imported a return file taken from the bank's SFTP outbox by the background fetch."""


async def import_return(runtime: Runtime, data: bytes, actor: str) -> tuple[ImportedReturnFile, bool]:
    """Import and reconcile one return file; (the file's record, True if this call imported it)."""
    digest = hashlib.sha256(data).hexdigest()
    try:
        batch_no = peek_batch_no(data)
    except BankFileError as exc:
        raise MalformedFile(exc) from exc
    async with runtime.transaction() as session:
        await repo.lock(session, f"bank-return:{batch_no}")
        done = await bank.return_file_by_hash(session, digest)
        if done is not None:
            batch = await bank.batch(session, done.batch_id)
            guard(batch.county_code if batch else None, batch.township_code if batch else None, "batch")
            return done, False
        batch = await bank.batch_by_no(session, batch_no)
        if batch is None:
            raise MalformedFile(BankFileError(1, "batch_no", f"no batch {batch_no} was sent to the bank"))
        guard(batch.county_code, batch.township_code, "batch")
        if batch.status not in (BatchStatus.released, BatchStatus.reconciled):
            raise BatchState(f"batch {batch_no} is {batch.status}: it never went to the bank")
        try:
            parsed = bank_format(batch.bank_format).parse_return(data)
        except BankFileError as exc:
            raise MalformedFile(exc) from exc
        file_id = str(uuid.uuid4())
        counts = {"paid": 0, "failed": 0, "returned": 0, "exception": 0, "unchanged": 0}
        items = {i.reference: i for i in await bank.batch_items(session, batch.id)}
        lines = []
        for line in parsed.lines:
            outcome, instruction_id = await _reconcile(runtime, session, batch, file_id, items, line, actor)
            counts[outcome] += 1
            lines.append(
                {
                    "return_file_id": file_id,
                    "line_no": line.line,
                    "reference": line.reference,
                    "amount": line.amount,
                    "status": line.status,
                    "reason_code": line.reason_code,
                    "reason_text": line.reason_text,
                    "outcome": outcome,
                    "instruction_id": instruction_id,
                }
            )
        await bank.add_return_file(
            session,
            {
                "id": file_id,
                "file_sha256": digest,
                "batch_id": batch.id,
                "return_date": parsed.return_date,
                "line_count": len(parsed.lines),
                "paid": counts["paid"],
                "failed": counts["failed"],
                "returned": counts["returned"],
                "exceptions": counts["exception"],
                "unchanged": counts["unchanged"],
                "imported_by": actor,
                "imported_at": clock.now(),
            },
            lines,
        )
        answered = [
            i for i in await bank.batch_items(session, batch.id) if i.attempt_status is not AttemptStatus.sent
        ]
        if len(answered) == batch.item_count:
            await bank.update_batch(session, batch.id, status=BatchStatus.reconciled)
        row = await bank.return_file_by_hash(session, digest)
    if row is None:
        raise RuntimeError("the row just written is missing from its own transaction")
    return row, True


async def fetch_from_bank(runtime: Runtime, actor: str) -> list[FetchedReturn]:
    """Take the return files in the bank's SFTP outbox and import each (R-AID-2); a file is applied once
    (its SHA-256 is recorded), so fetching again changes nothing. Each file is its own transaction: a
    malformed one (or, in an API call, one of a batch outside the caller's jurisdiction) is refused alone."""
    try:
        files = await fetch_returns(cast(DisbursementSettings, runtime.settings))
    except (ValueError, SftpRefused) as exc:
        raise BankUnreachable(str(exc)) from exc
    except (OSError, asyncssh.Error) as exc:
        raise BankUnreachable(f"the bank's SFTP server: {type(exc).__name__}: {str(exc)[:200]}") from exc
    results = []
    for name, data in files:
        if not await _callers(runtime, data):
            results.append(FetchedReturn(name, "refused", detail="not a batch of the caller's jurisdiction"))
            continue
        try:
            row, created = await import_return(runtime, data, actor)
        except DomainError as exc:
            results.append(FetchedReturn(name, "refused", detail=exc.detail[:300]))
            continue
        results.append(FetchedReturn(name, "imported" if created else "already_imported", row.id))
    return results


async def _callers(runtime: Runtime, data: bytes) -> bool:
    """Whether the caller (none: the background fetch) covers the batch the file answers; a file naming
    no known batch is left to the import, which refuses it as malformed."""
    principal = caller()
    if principal is None:
        return True
    try:
        batch_no = peek_batch_no(data)
    except BankFileError:
        return True
    async with runtime.reading() as session:
        batch = await bank.batch_by_no(session, batch_no)
    return batch is None or covers(principal, batch.county_code, batch.township_code)


async def return_poll(runtime: Runtime) -> None:
    """Background task (ServiceModule.background): fetch the SFTP outbox every ``bank_sftp_poll_seconds``;
    off (returns at once) while that is 0 or no county hands off over SFTP."""
    settings = cast(DisbursementSettings, runtime.settings)
    if settings.bank_sftp_poll_seconds <= 0 or not settings.bank_sftp_host:
        return
    while True:
        try:
            done = await fetch_from_bank(runtime, SFTP_ACTOR)
            imported = sum(1 for f in done if f.outcome == "imported")
            if imported or any(f.outcome == "refused" for f in done):
                log.info(
                    "bank return files fetched",
                    extra={"imported": imported, "refused": [f.name for f in done if f.outcome == "refused"]},
                )
        except asyncio.CancelledError:
            raise
        except Exception as exc:  # keep polling after a network or database hiccup
            log.warning("return-file fetch failed", extra={"error": repr(exc)[:300]})
        await asyncio.sleep(settings.bank_sftp_poll_seconds)


async def _reconcile(
    runtime: Runtime,
    session: AsyncSession,
    batch: BankBatch,
    file_id: str,
    items: dict[str, BatchItem],
    line: ReturnLine,
    actor: str,
) -> tuple[str, str | None]:
    """One line: (outcome, instruction id). Outcome paid/failed/returned, unchanged, or exception."""
    item = items.get(line.reference)

    async def queue(kind: str, detail: str) -> tuple[str, str | None]:
        await bank.add_exception(
            session,
            {
                "kind": kind,
                "county_code": batch.county_code,
                "township_code": item.township_code if item else batch.township_code,
                "return_file_id": file_id,
                "line_no": line.line,
                "instruction_id": item.instruction_id if item else None,
                "detail": f"line {line.line}: {detail}",
                "status": ExceptionStatus.open,
                "created_at": clock.now(),
            },
        )
        return "exception", item.instruction_id if item else None

    if item is None:
        return await queue(
            "unknown_reference", f"reference {line.reference} is not in batch {batch.batch_no}"
        )
    if line.amount != item.amount:
        return await queue(
            "amount_mismatch", f"the bank reports {line.amount:.2f}, the instruction is {item.amount:.2f}"
        )
    account = json.loads(runtime.cipher.decrypt(item.payee, context=PAYEE))["account"]
    if line.account != account:
        return await queue(
            "account_mismatch",
            f"the bank reports account {mask_account(line.account)}, "
            f"the instruction went to {mask_account(account)}",
        )
    ins = await repo.instruction(session, item.instruction_id, for_update=True)
    current = await repo.current_attempt(session, item.instruction_id)
    if ins is None or current is None or current.attempt != item.attempt:
        return await queue("superseded_attempt", f"attempt {item.attempt} of {line.reference} was superseded")
    result = Result(line.status)
    reason = " ".join(p for p in (line.reason_code, line.reason_text) if p) or None
    if ins.status == result:
        return "unchanged", ins.id
    if result is Result.returned and ins.status is PaymentStatus.scheduled:
        # 退汇: the money left and came back; recorded as paid, then returned, so the ledger shows both
        await apply_result(
            runtime, session, ins.id, ResultIn(result=Result.paid, actor=actor, attempt=item.attempt)
        )
    elif not result_allowed(ins.status, result):
        return await queue(
            "state_conflict", f"payment {line.reference} is {ins.status}: cannot record {result}"
        )
    await apply_result(
        runtime,
        session,
        ins.id,
        ResultIn(result=result, actor=actor, reason=reason, attempt=item.attempt),
    )
    if result is Result.paid:
        await receipts.sample(session, ins)
    return result.value, ins.id


async def resolve_exception(
    runtime: Runtime, exception_id: int, body: ResolutionIn
) -> ReconciliationException:
    async with runtime.transaction() as session:
        row = await bank.exception(session, exception_id, for_update=True)
        if row is None:
            raise ExceptionNotFound(exception_id)
        guard(row.county_code, row.township_code, "exception")
        if row.status is not ExceptionStatus.open:
            raise ExceptionResolved(f"exception {exception_id} is already {row.status}")
        await bank.update_exception(
            session,
            exception_id,
            status=ExceptionStatus.resolved,
            resolved_by=body.actor,
            resolution=body.resolution,
            resolved_at=clock.now(),
        )
        done = await bank.exception(session, exception_id)
    if done is None:
        raise RuntimeError("the row just written is missing from its own transaction")
    return done
