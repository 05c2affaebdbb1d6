"""Receipt checks (到账核查), as HOPE's payment verification does: a deterministic sample of the households
paid through a bank file (the county's rate and seed, docs/bank-file.md) becomes a township task "did the
money arrive?"; its outcome (arrived, not arrived, unreachable) is recorded with who and when, and a
household that says the money did not arrive raises an item in the reconciliation exceptions queue."""

from __future__ import annotations

import uuid

from sqlalchemy.ext.asyncio import AsyncSession

from services.disbursement.domain.bankfile import in_receipt_sample
from services.disbursement.domain.errors import CheckDone, ReceiptCheckNotFound
from services.disbursement.domain.model import CheckStatus, ExceptionStatus, PaymentInstruction, ReceiptCheck
from services.disbursement.repository import bank
from services.disbursement.schemas import Outcome, OutcomeIn
from shared import clock
from shared.access import guard
from shared.runtime import Runtime


async def sample(session: AsyncSession, ins: PaymentInstruction) -> bool:
    """After a bank-file payment: open a receipt check if the county's sample takes this reference."""
    paid_on = clock.local_today()
    settings = await bank.settings_on(session, ins.county_code, paid_on)
    if settings is None or not in_receipt_sample(
        settings.receipt_seed, ins.reference, settings.receipt_sample_rate
    ):
        return False
    await bank.add_receipt_check(
        session,
        {
            "id": str(uuid.uuid4()),
            "instruction_id": ins.id,
            "case_id": ins.case_id,
            "county_code": ins.county_code,
            "township_code": ins.township_code,
            "reference": ins.reference,
            "amount": ins.amount,
            "status": CheckStatus.open,
            "created_at": clock.now(),
        },
    )
    return True


async def record_outcome(runtime: Runtime, check_id: str, body: OutcomeIn) -> ReceiptCheck:
    async with runtime.transaction() as session:
        check = await bank.receipt_check(session, check_id, for_update=True)
        if check is None:
            raise ReceiptCheckNotFound(check_id)
        guard(check.county_code, check.township_code, "receipt check")
        if check.status is not CheckStatus.open:
            raise CheckDone(f"receipt check {check_id} was already answered: {check.outcome}")
        now = clock.now()
        await bank.update_receipt_check(
            session,
            check_id,
            status=CheckStatus.done,
            outcome=body.outcome.value,
            note=body.note,
            checked_by=body.actor,
            checked_at=now,
        )
        if body.outcome is Outcome.not_arrived:
            await bank.add_exception(
                session,
                {
                    "kind": "not_arrived",
                    "county_code": check.county_code,
                    "township_code": check.township_code,
                    "instruction_id": check.instruction_id,
                    "receipt_check_id": check_id,
                    "detail": f"the household says payment {check.reference} "
                    f"({check.amount:.2f}) did not arrive",
                    "status": ExceptionStatus.open,
                    "created_at": now,
                },
            )
        row = await bank.receipt_check(session, check_id)
    if row is None:
        raise RuntimeError("the row just written is missing from its own transaction")
    return row
