"""The payer account's bank statement (对账单): every debit must be a transfer the bank reported paid (same
reference, amount and account), every credit a returned one, and every transfer reported paid in the
statement's period must show as a debit. What does not match goes to the exceptions queue; nothing else
changes (the statement checks the return files, it does not record results). The same statement twice
(same SHA-256) changes nothing; a malformed one is a 422 naming its line and field."""

from __future__ import annotations

import hashlib
import json
import uuid
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from services.disbursement.domain.bankfile import Statement, StatementLine, parse_statement
from services.disbursement.domain.errors import BankFileError, MalformedFile
from services.disbursement.domain.model import (
    PAYEE,
    PAYER,
    ExceptionStatus,
    ImportedStatement,
    PaymentInstruction,
    PaymentStatus,
)
from services.disbursement.repository import bank
from services.disbursement.repository.instructions import lock
from services.disbursement.service.batches import settings_in_force
from shared import clock
from shared.access import guard
from shared.idnumber import mask_account
from shared.runtime import Runtime


async def import_statement(
    runtime: Runtime, county_code: str, data: bytes, actor: str
) -> tuple[ImportedStatement, bool]:
    guard(county_code, None, "county")
    try:
        statement = parse_statement(data)
    except BankFileError as exc:
        raise MalformedFile(exc) from exc
    digest = hashlib.sha256(data).hexdigest()
    async with runtime.transaction() as session:
        await lock(session, f"bank-statement:{digest}")
        done = await bank.statement_by_hash(session, digest)
        if done is not None:
            return done, False
        settings = await settings_in_force(session, county_code, statement.end)
        if runtime.cipher.decrypt(settings.payer_account, context=PAYER) != statement.payer_account:
            raise MalformedFile(
                BankFileError(1, "payer_account", f"is not county {county_code}'s payer account")
            )
        statement_id = str(uuid.uuid4())
        exceptions = await _reconcile(runtime, session, county_code, statement_id, statement)
        await bank.add_statement(
            session,
            {
                "id": statement_id,
                "file_sha256": digest,
                "county_code": county_code,
                "period_start": statement.start,
                "period_end": statement.end,
                "line_count": len(statement.lines),
                "matched": len(statement.lines) - sum(1 for e in exceptions if e["line_no"]),
                "exceptions": len(exceptions),
                "imported_by": actor,
                "imported_at": clock.now(),
            },
        )
        for row in exceptions:
            await bank.add_exception(session, row)
        saved = await bank.statement_by_hash(session, digest)
    if saved is None:
        raise RuntimeError("the row just written is missing from its own transaction")
    return saved, True


async def _reconcile(
    runtime: Runtime, session: AsyncSession, county_code: str, statement_id: str, statement: Statement
) -> list[dict[str, Any]]:
    now = clock.now()

    def item(
        kind: str,
        detail: str,
        line: StatementLine | None,
        ins: PaymentInstruction | None = None,
        *,
        place: tuple[str, str] | None = None,
    ) -> dict[str, Any]:
        instruction_id, township_code = (ins.id, ins.township_code) if ins else place or (None, None)
        return {
            "kind": kind,
            "county_code": county_code,
            "township_code": township_code,
            "statement_id": statement_id,
            "line_no": line.line if line else None,
            "instruction_id": instruction_id,
            "detail": f"statement line {line.line}: {detail}" if line else f"statement: {detail}",
            "status": ExceptionStatus.open,
            "created_at": now,
        }

    found: list[dict[str, Any]] = []
    debited = set()
    for line in statement.lines:
        ins = await bank.instruction_by_reference(session, line.reference)
        if ins is None or ins.county_code != county_code:
            found.append(
                item(
                    "statement_unknown_reference",
                    f"{line.direction} {line.reference} is no payment of ours",
                    line,
                )
            )
            continue
        if line.amount != ins.amount:
            found.append(
                item(
                    "statement_amount_mismatch",
                    f"{line.direction} {line.amount:.2f}, the payment is {ins.amount:.2f}",
                    line,
                    ins,
                )
            )
            continue
        attempts = await bank.sent_attempts(session, ins.id)
        wanted = (
            (PaymentStatus.paid, PaymentStatus.returned, PaymentStatus.reversed)
            if line.direction == "DR"
            else (PaymentStatus.returned,)
        )
        if ins.status not in wanted or not attempts:
            found.append(
                item(
                    "statement_not_reported",
                    f"{line.direction} for a payment that is {ins.status}",
                    line,
                    ins,
                )
            )
            continue
        accounts = {
            json.loads(runtime.cipher.decrypt(a.payee, context=PAYEE))["account"] for a in attempts if a.payee
        }
        if line.counterparty not in accounts:
            found.append(
                item(
                    "statement_account_mismatch",
                    f"{line.direction} to {mask_account(line.counterparty)}",
                    line,
                    ins,
                )
            )
            continue
        if line.direction == "DR":
            debited.add(line.reference)
    for paid in await bank.paid_items_between(session, county_code, statement.start, statement.end):
        if paid.reference not in debited:
            found.append(
                item(
                    "statement_missing_debit",
                    f"{paid.reference} ({paid.amount:.2f}) was reported paid but is not debited",
                    None,
                    place=(paid.instruction_id, paid.township_code),
                )
            )
    return found
