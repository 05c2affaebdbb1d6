"""Payees: the beneficiary as disbursement knows it (from the application, its payee sealed) and the
changes to its bank account (R-AID-2), four eyes always: a change is never applied by the person who asked
for it, before or after the approval of the case. It waits, pending, until a second authorised person
(another subject, an approver or finance officer of the case's jurisdiction) approves or rejects it; until
then payments go to the account on record, or wait when there is none. Approving it schedules the payments
that were waiting for an account and publishes PayeeChangeApproved naming the payments it affects.
Payments already instructed keep their account; a retry uses the account approved at that time. An
amended application (intake revision) whose account differs becomes such a change too."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from services.disbursement.domain.errors import (
    CaseNotKnown,
    ChangeAlreadyDecided,
    PayeeChangeNotFound,
    PayeeChangePending,
    SeparationOfDuties,
)
from services.disbursement.domain.model import (
    PAYEE,
    Beneficiary,
    ChangeStatus,
    PayeeChange,
    PaymentStatus,
)
from services.disbursement.repository import instructions as repo
from services.disbursement.schemas import ChangeDecision, ChangeDecisionIn, PayeeChangeIn
from services.disbursement.service.payments import schedule
from shared import clock
from shared.access import guard
from shared.contracts.approval import Channel
from shared.contracts.disbursement import PayeeChangeApproved
from shared.contracts.intake import PAYEE_SEAL_CONTEXT, ApplicationSubmitted, Payee
from shared.runtime import Runtime

RETRYABLE = (PaymentStatus.failed, PaymentStatus.returned)


async def record_application(runtime: Runtime, session: AsyncSession, app: ApplicationSubmitted) -> None:
    """The beneficiary of a submitted (or amended) application, its payee sealed for disbursement."""
    sealed = (
        runtime.cipher.decrypt(app.payee_sealed, context=PAYEE_SEAL_CONTEXT) if app.payee_sealed else None
    )
    clear = sealed or (app.payee.model_dump_json() if app.payee else None)
    payee = (
        runtime.cipher.encrypt(Payee.model_validate_json(clear).model_dump_json(), context=PAYEE)
        if clear
        else None
    )
    await repo.add_beneficiary(
        session,
        {
            "case_id": app.case_id,
            "county_code": app.county_code,
            "township_code": app.township_code,
            "payee": payee,
            "case_no": app.case_no,
            "category": app.category,  # the reserve-fund report's per-case lines (R-RES-2)
        },
    )
    if app.revision > 1:  # an amendment never replaces the account on record by itself (R-AID-2)
        await on_amended_payee(runtime, session, app.case_id, clear, app.amended_by)
    await schedule(runtime, session, app.case_id)


async def request_change(runtime: Runtime, case_id: str, body: PayeeChangeIn) -> PayeeChange:
    """R-AID-2: recorded as pending, never applied here (one pending change per case at a time)."""
    async with runtime.transaction() as session:
        beneficiary = await repo.beneficiary(session, case_id, for_update=True)
        if beneficiary is None:
            raise CaseNotKnown(case_id)
        guard(beneficiary.county_code, beneficiary.township_code)
        if await repo.pending_payee_change(session, case_id) is not None:
            raise PayeeChangePending(
                f"case {case_id} already has an account change awaiting a second person (R-AID-2)"
            )
        sealed = runtime.cipher.encrypt(
            Payee(name=body.name, bank=body.bank, account=body.account).model_dump_json(), context=PAYEE
        )
        change_id = await _add_pending(session, beneficiary, sealed, str(body.actor), body.reason)
        row = await repo.payee_change(session, change_id)
    if row is None:
        raise RuntimeError("the row just written is missing from its own transaction")
    return row


async def _add_pending(
    session: AsyncSession, beneficiary: Beneficiary, sealed: str, requested_by: str, reason: str
) -> str:
    change_id = str(uuid.uuid4())
    await repo.add_payee_change(
        session,
        {
            "id": change_id,
            "case_id": beneficiary.case_id,
            "old_payee": beneficiary.payee,
            "new_payee": sealed,
            "status": ChangeStatus.pending,
            "requested_by": requested_by,
            "reason": reason,
            "requested_at": clock.now(),
        },
    )
    return change_id


async def on_amended_payee(
    runtime: Runtime, session: AsyncSession, case_id: str, payee_json: str | None, amended_by: str | None
) -> None:
    """An amended application whose account differs from the one on record (and from any pending change)
    is a change like any other (R-AID-2): pending, requested by whoever amended it; an older pending
    change is superseded."""
    beneficiary = await repo.beneficiary(session, case_id, for_update=True)
    if beneficiary is None or payee_json is None:
        return
    new = Payee.model_validate_json(payee_json)
    pending = await repo.pending_payee_change(session, case_id)
    for known in (beneficiary.payee, pending.new_payee if pending else None):
        if known is not None and _payee(runtime, known) == new:
            return
    if pending is not None:
        await repo.update_payee_change(
            session,
            pending.id,
            status=ChangeStatus.superseded,
            decided_by=amended_by or "intake",
            decision_reason="replaced by a later amendment of the application",
            decided_at=clock.now(),
        )
    sealed = runtime.cipher.encrypt(new.model_dump_json(), context=PAYEE)
    await _add_pending(
        session, beneficiary, sealed, amended_by or "intake", "account changed by an amendment"
    )


def _payee(runtime: Runtime, sealed: str) -> Payee:
    return Payee.model_validate_json(runtime.cipher.decrypt(sealed, context=PAYEE))


async def decide_change(runtime: Runtime, change_id: str, body: ChangeDecisionIn) -> PayeeChange:
    async with runtime.transaction() as session:
        change = await repo.payee_change(session, change_id, for_update=True)
        if change is None:
            raise PayeeChangeNotFound(change_id)
        owner = await repo.beneficiary(session, change.case_id, for_update=True)
        guard(owner.county_code if owner else None, owner.township_code if owner else None, "payee change")
        if change.status is not ChangeStatus.pending:
            raise ChangeAlreadyDecided(f"payee change {change_id} is {change.status}")
        if body.actor is None or change.requested_by == body.actor:
            raise SeparationOfDuties(
                "who asked for an account change cannot decide it: a second person does (R-AID-2)",
                rule="R-AID-2",
            )
        now = clock.now()
        await repo.update_payee_change(
            session,
            change_id,
            status=ChangeStatus(body.decision.value),
            decided_by=body.actor,
            decision_reason=body.reason,
            decided_at=now,
        )
        if body.decision is ChangeDecision.approved:
            await _apply(runtime, session, change, body.actor, now)
        row = await repo.payee_change(session, change_id)
    if row is None:
        raise RuntimeError("the row just written is missing from its own transaction")
    return row


async def _apply(
    runtime: Runtime, session: AsyncSession, change: PayeeChange, approver: str, now: datetime
) -> None:
    case_id = change.case_id
    before = {r.id for r in await repo.instructions_for(session, case_id)}
    await repo.set_payee(session, case_id, change.new_payee)
    await schedule(runtime, session, case_id)  # payments that waited for an account are instructed now
    rows = await repo.instructions_for(session, case_id)
    scheduled = [r.id for r in rows if r.id not in before]
    retry = [r.id for r in rows if r.status in RETRYABLE and r.channel == Channel.bank_transfer]
    if scheduled or retry:
        await runtime.outbox.add(
            session,
            PayeeChangeApproved(
                case_id=case_id,
                change_id=change.id,
                requested_by=change.requested_by,
                approved_by=approver,
                scheduled_instruction_ids=scheduled,
                awaiting_retry_instruction_ids=retry,
                approved_at=now,
            ),
            subject=case_id,
        )


async def page(
    session: AsyncSession,
    *,
    status: ChangeStatus | None,
    county_code: str | None,
    township_code: str | None,
    limit: int,
) -> list[PayeeChange]:
    return await repo.payee_changes_page(
        session, status=status, county_code=county_code, township_code=township_code, limit=limit
    )
