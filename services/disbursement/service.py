"""Disbursement's use cases: keep payees as submitted, turn approved cash decisions into payment
instructions with a stable idempotent reference (one per case and stage: never paid twice)."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime

from sqlalchemy.ext.asyncio import AsyncSession

from services.disbursement import repository as repo
from shared.contracts.approval import AidForm, CaseDecided, Decision
from shared.contracts.disbursement import PaymentScheduled
from shared.contracts.intake import ApplicationSubmitted
from shared.events import Envelope
from shared.runtime import Runtime

PAYEE = "disbursement.payee"
BANK_TRANSFER = "bank_transfer"


def payment_reference(case_id: str, stage: int) -> str:
    """Stable across retries and redeliveries: the bank rejects a second instruction with it."""
    return f"TA-{case_id.replace('-', '')[:24]}-{stage:02d}"


async def on_application_submitted(runtime: Runtime, session: AsyncSession, envelope: Envelope,
                                   app: ApplicationSubmitted) -> None:
    payee = runtime.cipher.encrypt(app.payee.model_dump_json(), context=PAYEE) if app.payee else None
    await repo.add_beneficiary(session, {"case_id": app.case_id, "county_code": app.county_code,
                                         "township_code": app.township_code, "payee": payee})
    await _schedule(runtime, session, app.case_id)


async def on_case_decided(runtime: Runtime, session: AsyncSession, envelope: Envelope, ev: CaseDecided) -> None:
    if ev.decision is not Decision.approved or ev.form is not AidForm.cash:
        return
    await repo.add_approved(session, {"case_id": ev.case_id, "form": ev.form.value, "amount": ev.amount,
                                      "stages": [s.model_dump(mode="json") for s in ev.stages],
                                      "decided_at": ev.decided_at})
    await _schedule(runtime, session, ev.case_id)


async def _schedule(runtime: Runtime, session: AsyncSession, case_id: str) -> None:
    """Once both the payee and the approval are known (they may arrive in either order)."""
    approved = await repo.approved(session, case_id)
    beneficiary = await repo.beneficiary(session, case_id)
    if approved is None or beneficiary is None or beneficiary["payee"] is None:
        return
    now = datetime.now(UTC)
    for stage in approved["stages"]:
        instruction_id = str(uuid.uuid4())
        reference = payment_reference(case_id, stage["seq"])
        due_on = date.fromisoformat(stage["due_on"])
        created = await repo.add_instruction(session, {
            "id": instruction_id, "case_id": case_id, "stage": stage["seq"], "reference": reference,
            "amount": stage["amount"], "channel": BANK_TRANSFER, "payee": beneficiary["payee"],
            "status": "scheduled", "due_on": due_on, "created_at": now,
        })
        if created:
            await runtime.outbox.add(session, PaymentScheduled(
                case_id=case_id, instruction_id=instruction_id, reference=reference, stage=stage["seq"],
                amount=stage["amount"], channel=BANK_TRANSFER, due_on=due_on, scheduled_at=now,
            ), subject=case_id)
