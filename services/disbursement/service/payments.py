"""Payments: turn approved help (R-FLOW-4 stages) and help-first grants (R-FLOW-2, paid from the township
reserve fund, R-RES) into payment instructions with a stable idempotent reference; record bank results,
retry or re-route failed ones, record direct handovers (R-AID-2, R-AID-3) and correct wrong payments by
reversal (never by editing history). A re-examination that raises the amount (R-REX-3) pays exactly the
difference under its own reference; one that lowers it is recorded, nothing paid is clawed back. Every
movement goes to the ledger (R-OVS-3)."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from services.disbursement.domain.errors import (
    AttemptSuperseded,
    NoAccount,
    NotATransfer,
    NothingSent,
    PaymentNotFound,
    PaymentState,
    ProcurementReferenceMissing,
    ReserveFundExhausted,
    WitnessNotIndependent,
)
from services.disbursement.domain.model import (
    HELP_FIRST_STAGE,
    RECIPIENT,
    REEXAMINATION_STAGE,
    AttemptStatus,
    PaymentInstruction,
    PaymentStatus,
)
from services.disbursement.domain.rules import (
    give_up_allowed,
    payment_reference,
    reexamination_reference,
    result_allowed,
    retry_allowed,
)
from services.disbursement.repository import instructions as repo
from services.disbursement.repository import ledger
from services.disbursement.schemas import CorrectionIn, GiveUpIn, HandoverIn, Result, ResultIn, RetryIn
from services.disbursement.service.funds import draw_reserve
from shared import clock
from shared.access import guard
from shared.contracts.approval import (
    AidForm,
    CaseDecided,
    CaseRedecided,
    Channel,
    Decision,
    HelpFirstGranted,
    Reexamined,
)
from shared.contracts.disbursement import (
    PaymentCorrected,
    PaymentGivenUp,
    PaymentResultRecorded,
    PaymentScheduled,
)
from shared.contracts.processing import BY_SERVICE
from shared.runtime import Runtime

BANK_TRANSFER = Channel.bank_transfer.value
DIRECT = Channel.direct.value


def year_of(moment: datetime) -> int:
    return clock.local_date(moment).year


# --- decisions in ---


async def record_decision(runtime: Runtime, session: AsyncSession, ev: CaseDecided) -> None:
    """An approved decision of cash or goods: its stages become payments once the payee is known. Any other
    decision (refused, or referral services only) closes the case with nothing to pay: recorded, so that its
    payee is purged after the period like a paid case's (R-RET-1, R-RET-2)."""
    if ev.decision is not Decision.approved or ev.form not in (AidForm.cash, AidForm.in_kind):
        await repo.add_unpaid_closing(
            session,
            {
                "case_id": ev.case_id,
                "decision": ev.decision.value,
                "form": ev.form.value,
                "closed_at": ev.decided_at,
            },
        )
        return
    await repo.add_approved(
        session,
        {
            "case_id": ev.case_id,
            "form": ev.form.value,
            "amount": ev.amount,
            "stages": [s.model_dump(mode="json") for s in ev.stages],
            "decided_at": ev.decided_at,
            "help_first_amount": ev.help_first_amount,
        },
    )
    await schedule(runtime, session, ev.case_id)


async def record_redecision(runtime: Runtime, session: AsyncSession, ev: CaseRedecided) -> None:
    """R-REX-3: a re-examination that changed the amount of cash or goods. A raise (or a refusal turned
    into an approval) is paid as exactly the difference; a reduction is recorded as not recovered and
    nothing already paid or instructed is clawed back."""
    if ev.outcome is not Reexamined.changed or ev.form not in (AidForm.cash, AidForm.in_kind):
        return
    await repo.add_redecision(
        session,
        {
            "reexamination_id": ev.reexamination_id,
            "case_id": ev.case_id,
            "seq": ev.seq,
            "form": ev.form.value,
            "amount_before": ev.amount_before,
            "amount_after": ev.amount_after,
            "difference": ev.difference,
            "not_recovered": -ev.difference if ev.difference < 0 else Decimal("0.00"),
            "decided_by": ev.decided_by,
            "decided_at": ev.decided_at,
        },
    )
    await schedule(runtime, session, ev.case_id)


async def record_help_first(runtime: Runtime, session: AsyncSession, ev: HelpFirstGranted) -> None:
    """A help-first grant (R-FLOW-2): paid at once from the township reserve fund (R-RES)."""
    await repo.add_help_first(
        session,
        {
            "case_id": ev.case_id,
            "grant_id": ev.grant_id,
            "county_code": ev.county_code,
            "township_code": ev.township_code,
            "form": ev.form.value,
            "channel": ev.channel.value,
            "amount": ev.amount,
            "granted_by": ev.granted_by,
            "granted_at": ev.granted_at,
        },
    )
    await schedule(runtime, session, ev.case_id)


async def schedule(runtime: Runtime, session: AsyncSession, case_id: str) -> None:
    """Create what is due once its inputs are known (they arrive in any order); idempotent per stage."""
    await repo.lock(session, f"disbursement:{case_id}")
    beneficiary = await repo.beneficiary(session, case_id)
    payee = beneficiary.payee if beneficiary else None
    grant = await repo.help_first(session, case_id)
    if (
        grant is not None
        and not await repo.instruction_exists(session, case_id, HELP_FIRST_STAGE)
        and (grant.channel == DIRECT or payee is not None)
    ):
        await _create(
            runtime,
            session,
            case_id=case_id,
            stage=HELP_FIRST_STAGE,
            amount=grant.amount,
            due_on=clock.local_date(grant.granted_at),
            channel=grant.channel,
            form=grant.form,
            kind="help_first",
            funding="reserve",
            payee=payee,
            county_code=grant.county_code,
            township_code=grant.township_code,
            fund_year=year_of(grant.granted_at),
            actor=grant.granted_by,
        )
    await _schedule_differences(runtime, session, case_id, payee)
    approved = await repo.approved(session, case_id)
    if approved is None or beneficiary is None:
        return
    channel = DIRECT if approved.form == AidForm.in_kind else BANK_TRANSFER
    if channel == BANK_TRANSFER and payee is None:
        return
    for stage in approved.stages:
        if await repo.instruction_exists(session, case_id, stage.seq):
            continue
        await _create(
            runtime,
            session,
            case_id=case_id,
            stage=stage.seq,
            amount=stage.amount,
            due_on=stage.due_on,
            channel=channel,
            form=approved.form,
            kind="stage",
            funding="budget",
            payee=payee,
            county_code=beneficiary.county_code,
            township_code=beneficiary.township_code,
            fund_year=None,
            actor=None,
        )


async def _schedule_differences(
    runtime: Runtime, session: AsyncSession, case_id: str, payee: str | None
) -> None:
    """R-REX-3: each raise after a re-examination is one instruction for exactly the difference, stage
    REEXAMINATION_STAGE + n, reference ``TA-<case>-R<n>``; a second full payment is never made."""
    beneficiary = await repo.beneficiary(session, case_id)
    if beneficiary is None:
        return
    for r in await repo.redecisions_for(session, case_id):
        stage = REEXAMINATION_STAGE + r.seq
        if r.difference <= 0 or r.instruction_id or await repo.instruction_exists(session, case_id, stage):
            continue
        channel = DIRECT if r.form == AidForm.in_kind else BANK_TRANSFER
        if channel == BANK_TRANSFER and payee is None:
            continue  # paid once an approved account is on file (like the stages)
        instruction_id = await _create(
            runtime,
            session,
            case_id=case_id,
            stage=stage,
            amount=r.difference,
            due_on=clock.local_date(r.decided_at),
            channel=channel,
            form=r.form,
            kind="reexamination",
            funding="budget",
            payee=payee,
            county_code=beneficiary.county_code,
            township_code=beneficiary.township_code,
            fund_year=None,
            actor=r.decided_by,
            reference=reexamination_reference(case_id, r.seq),
        )
        await repo.set_redecision_instruction(session, r.reexamination_id, instruction_id)


async def _create(
    runtime: Runtime,
    session: AsyncSession,
    *,
    case_id: str,
    stage: int,
    amount: Decimal,
    due_on: date,
    channel: str,
    form: str,
    kind: str,
    funding: str,
    payee: str | None,
    county_code: str,
    township_code: str,
    fund_year: int | None,
    actor: str | None,
    reference: str | None = None,
    correction_of: str | None = None,
) -> str:
    instruction_id = str(uuid.uuid4())
    reference = reference or payment_reference(case_id, stage)
    now = clock.now()
    fund_entry_id, reason = None, None
    if funding == "reserve" and fund_year is not None:
        fund_entry_id = await draw_reserve(
            session,
            township_code=township_code,
            county_code=county_code,
            year=fund_year,
            amount=amount,
            case_id=case_id,
            instruction_id=instruction_id,
            reference=reference,
            actor=actor,
            memo=f"{kind} payment",
        )
        if fund_entry_id is None:
            reason = f"township reserve fund {township_code}/{fund_year} missing or short of {amount} (R-RES)"
    if reason:
        status = PaymentStatus.unfunded
    else:
        status = PaymentStatus.scheduled if channel == BANK_TRANSFER else PaymentStatus.awaiting_handover
    await repo.add_instruction(
        session,
        {
            "id": instruction_id,
            "case_id": case_id,
            "stage": stage,
            "reference": reference,
            "amount": amount,
            "channel": channel,
            "payee": payee if channel == BANK_TRANSFER else None,
            "status": status,
            "due_on": due_on,
            "created_at": now,
            "kind": kind,
            "form": form,
            "funding": funding,
            "county_code": county_code,
            "township_code": township_code,
            "correction_of": correction_of,
            "fund_entry_id": fund_entry_id,
            "status_reason": reason,
            "attempts": 1 if status is PaymentStatus.scheduled else 0,
        },
    )
    if status is PaymentStatus.scheduled:
        await repo.add_attempt(
            session,
            {
                "instruction_id": instruction_id,
                "attempt": 1,
                "channel": channel,
                "payee": payee,
                "status": AttemptStatus.sent,
                "actor": actor,
                "sent_at": now,
            },
        )
    if status is not PaymentStatus.unfunded:
        await runtime.outbox.add(
            session,
            PaymentScheduled(
                case_id=case_id,
                instruction_id=instruction_id,
                reference=reference,
                stage=stage,
                amount=amount,
                channel=channel,
                due_on=due_on,
                scheduled_at=now,
                attempt=1 if status is PaymentStatus.scheduled else 0,
                funding=funding,
                kind=kind,
            ),
            subject=case_id,
        )
    return instruction_id


# --- results, retries, handovers, corrections ---


async def _locked(session: AsyncSession, instruction_id: str) -> PaymentInstruction:
    ins = await repo.instruction(session, instruction_id, for_update=True)
    if ins is None:
        raise PaymentNotFound(instruction_id)
    guard(ins.county_code, ins.township_code, "payment")
    return ins


def _fund(ins: PaymentInstruction) -> str:
    if ins.funding == "reserve":
        return ledger.reserve_fund_name(ins.township_code, year_of(ins.created_at))
    return ledger.budget_fund_name(ins.county_code)


async def _entry(
    session: AsyncSession,
    ins: PaymentInstruction,
    kind: str,
    amount: Decimal,
    actor: str | None,
    *,
    source: int | None = None,
    reverses: int | None = None,
    memo: str | None = None,
) -> int:
    return await ledger.add_entry(
        session,
        {
            "kind": kind,
            "fund": _fund(ins),
            "amount": amount,
            "county_code": ins.county_code,
            "township_code": ins.township_code,
            "case_id": ins.case_id,
            "instruction_id": ins.id,
            "reference": ins.reference,
            "source_entry_id": source,
            "reverses_id": reverses,
            "memo": memo,
            "actor": actor,
        },
    )


async def _announce(
    runtime: Runtime, session: AsyncSession, ins: PaymentInstruction, result: str, attempt: int
) -> None:
    await runtime.outbox.add(
        session,
        PaymentResultRecorded(
            case_id=ins.case_id,
            instruction_id=ins.id,
            reference=ins.reference,
            stage=ins.stage,
            attempt=attempt,
            result=result,
            amount=ins.amount,
            channel=ins.channel,
            recorded_at=clock.now(),
        ),
        subject=ins.case_id,
    )


async def record_result(runtime: Runtime, instruction_id: str, body: ResultIn) -> PaymentInstruction:
    async with runtime.transaction() as session:
        return await apply_result(runtime, session, instruction_id, body)


async def apply_result(
    runtime: Runtime, session: AsyncSession, instruction_id: str, body: ResultIn
) -> PaymentInstruction:
    """Record a bank result in the caller's transaction (a return file applies all its lines in one)."""
    ins = await _locked(session, instruction_id)
    if ins.channel != BANK_TRANSFER:
        raise NotATransfer(f"payment {instruction_id} is a direct handover: record the handover")
    attempt = await repo.current_attempt(session, instruction_id)
    if attempt is None:
        raise NothingSent(f"payment {instruction_id} is {ins.status}: nothing was sent")
    if body.attempt is not None and body.attempt != attempt.attempt:
        raise AttemptSuperseded(f"attempt {body.attempt} was superseded by attempt {attempt.attempt}")
    if ins.status == body.result:
        return ins  # the same result again (a repeated callback): nothing changes
    if not result_allowed(ins.status, body.result):
        raise PaymentState(f"payment {instruction_id} is {ins.status}: cannot record {body.result}")
    now = clock.now()
    await repo.set_attempt(
        session,
        attempt.id,
        status=AttemptStatus(body.result.value),
        result_at=now,
        reason=body.reason,
        actor=body.actor,
    )
    if body.result is Result.paid:
        await repo.update_instruction(
            session, instruction_id, status=PaymentStatus.paid, paid_at=now, status_reason=None
        )
        await _entry(session, ins, "payment", ins.amount, body.actor, source=ins.fund_entry_id)
    elif body.result is Result.failed:
        await repo.update_instruction(
            session, instruction_id, status=PaymentStatus.failed, status_reason=body.reason
        )
    else:
        paid = await ledger.entry_for(session, instruction_id, ("payment",))
        await repo.update_instruction(
            session, instruction_id, status=PaymentStatus.returned, paid_at=None, status_reason=body.reason
        )
        await _entry(
            session,
            ins,
            "payment_returned",
            ins.amount,
            body.actor,
            source=paid.id if paid else None,
            memo=body.reason,
        )
    await _announce(runtime, session, ins, body.result.value, attempt.attempt)
    return await _locked(session, instruction_id)


async def retry(runtime: Runtime, instruction_id: str, body: RetryIn) -> PaymentInstruction:
    """Re-issue a failed or returned transfer under the same reference (a new attempt, to the account as
    currently approved), or fund an unfunded help-first payment once the reserve allows."""
    async with runtime.transaction() as session:
        ins = await _locked(session, instruction_id)
        if not retry_allowed(ins.status):
            raise PaymentState(
                f"payment {instruction_id} is {ins.status}: only failed, returned or unfunded "
                "payments are retried"
            )
        values: dict[str, Any] = {"status_reason": None}
        if ins.status is PaymentStatus.unfunded:
            entry = await draw_reserve(
                session,
                township_code=ins.township_code,
                county_code=ins.county_code,
                year=year_of(ins.created_at),
                amount=ins.amount,
                case_id=ins.case_id,
                instruction_id=instruction_id,
                reference=ins.reference,
                actor=body.actor,
                memo="help_first payment (retried)",
            )
            if entry is None:
                raise ReserveFundExhausted("the township reserve fund is missing or short (R-RES)")
            values["fund_entry_id"] = entry
        channel = body.channel.value if body.channel else ins.channel
        beneficiary = await repo.beneficiary(session, ins.case_id)
        payee = beneficiary.payee if beneficiary else None
        if channel == BANK_TRANSFER and payee is None:
            raise NoAccount("no approved account to pay to")
        now = clock.now()
        attempt = ins.attempts + (1 if channel == BANK_TRANSFER else 0)
        if channel == BANK_TRANSFER:
            await repo.add_attempt(
                session,
                {
                    "instruction_id": instruction_id,
                    "attempt": attempt,
                    "channel": channel,
                    "payee": payee,
                    "status": AttemptStatus.sent,
                    "actor": body.actor,
                    "sent_at": now,
                    "reason": body.reason,
                },
            )
        await repo.update_instruction(
            session,
            instruction_id,
            **values,
            channel=channel,
            attempts=attempt,
            payee=payee if channel == BANK_TRANSFER else None,
            status=PaymentStatus.scheduled if channel == BANK_TRANSFER else PaymentStatus.awaiting_handover,
        )
        await runtime.outbox.add(
            session,
            PaymentScheduled(
                case_id=ins.case_id,
                instruction_id=instruction_id,
                reference=ins.reference,
                stage=ins.stage,
                amount=ins.amount,
                channel=channel,
                due_on=ins.due_on,
                scheduled_at=now,
                attempt=attempt,
                funding=ins.funding,
                kind=ins.kind,
            ),
            subject=ins.case_id,
        )
        return await _locked(session, instruction_id)


async def give_up(runtime: Runtime, instruction_id: str, body: GiveUpIn) -> PaymentInstruction:
    """R-OVS-3: stop trying a failed, returned or unfunded payment (terminal ``given_up``). In one
    transaction: a reserve-fund draw goes back to the fund (a ``reserve_release`` ledger line), approval is
    told to release the commitment (``PaymentGivenUp``) and the case shows ``needs_attention`` in intake
    (nothing silent: the household was granted help it has not received)."""
    async with runtime.transaction() as session:
        ins = await _locked(session, instruction_id)
        if not give_up_allowed(ins.status):
            raise PaymentState(
                f"payment {instruction_id} is {ins.status}: only a failed, returned or unfunded payment "
                "is given up"
            )
        now = clock.now()
        if ins.funding == "reserve" and ins.fund_entry_id is not None:
            await ledger.release(session, ins.township_code, year_of(ins.created_at), ins.amount)
            await _entry(
                session, ins, "reserve_release", ins.amount, body.actor, memo=f"given up: {body.reason}"
            )
        await repo.update_instruction(
            session, instruction_id, status=PaymentStatus.given_up, status_reason=body.reason
        )
        await runtime.outbox.add(
            session,
            PaymentGivenUp(
                case_id=ins.case_id,
                instruction_id=ins.id,
                reference=ins.reference,
                stage=ins.stage,
                attempts=ins.attempts,
                amount=ins.amount,
                funding=ins.funding,
                previous_status=ins.status,
                reason=body.reason,
                given_up_at=now,
            ),
            subject=ins.case_id,
        )
        await runtime.outbox.add(
            session,
            BY_SERVICE["disbursement"](
                case_id=ins.case_id,
                service="disbursement",
                failed_event_type=PaymentGivenUp.event_type,
                reason=f"payment {ins.reference} ({ins.amount} CNY) given up after {ins.attempts} "
                f"attempt(s), {ins.status}: {body.reason}; its budget commitment is released (R-OVS-3)",
                failed_at=now,
            ),
            subject=ins.case_id,
        )
        return await _locked(session, instruction_id)


async def handover(runtime: Runtime, instruction_id: str, body: HandoverIn) -> PaymentInstruction:
    async with runtime.transaction() as session:
        ins = await _locked(session, instruction_id)
        if ins.status is not PaymentStatus.awaiting_handover:
            raise PaymentState(f"payment {instruction_id} is {ins.status}, not awaiting a handover")
        handed_over_by = str(body.actor)  # the token's subject, never the body (R-AID-2)
        if body.witness_name.strip() == handed_over_by:
            raise WitnessNotIndependent()
        goods = ins.form == AidForm.in_kind
        if goods and body.procurement_reference is None:
            raise ProcurementReferenceMissing()
        now = clock.now()
        await repo.add_handover(
            session,
            {
                "id": str(uuid.uuid4()),
                "instruction_id": instruction_id,
                "case_id": ins.case_id,
                "kind": "goods" if goods else "cash",
                "items": body.items,
                "value": ins.amount,
                "procurement_reference": body.procurement_reference,
                "recipient": runtime.cipher.encrypt(body.recipient_name, context=RECIPIENT),
                "handed_over_by": handed_over_by,
                "witness": body.witness_name,
                "handed_over_at": body.handed_over_at or now,
            },
        )
        await repo.update_instruction(
            session, instruction_id, status=PaymentStatus.paid, paid_at=body.handed_over_at or now
        )
        memo = f"{'goods' if goods else 'cash'} handed over by {handed_over_by}, witness {body.witness_name}"
        if body.procurement_reference:
            memo += f", procurement {body.procurement_reference}"
        await _entry(
            session, ins, "handover", ins.amount, handed_over_by, source=ins.fund_entry_id, memo=memo
        )
        await _announce(runtime, session, ins, PaymentStatus.paid, 0)
        return await _locked(session, instruction_id)


async def correct(runtime: Runtime, instruction_id: str, body: CorrectionIn) -> PaymentInstruction:
    """A wrong payment: a reversing ledger entry and a new instruction; history stays as it was."""
    async with runtime.transaction() as session:
        ins = await _locked(session, instruction_id)
        if ins.status is not PaymentStatus.paid:
            raise PaymentState(f"payment {instruction_id} is {ins.status}: only a paid payment is corrected")
        paid = await ledger.entry_for(session, instruction_id, ("payment", "handover"))
        await _entry(
            session,
            ins,
            "reversal",
            ins.amount,
            body.actor,
            reverses=paid.id if paid else None,
            memo=body.reason,
        )
        await repo.update_instruction(
            session, instruction_id, status=PaymentStatus.reversed, status_reason=body.reason
        )
        fund_entry = ins.fund_entry_id
        difference = body.amount - ins.amount
        if ins.funding == "reserve" and difference:
            fund_entry = await _adjust_reserve(session, ins, difference, body.actor) or fund_entry
        n = await repo.corrections_of(session, instruction_id) + 1
        beneficiary = await repo.beneficiary(session, ins.case_id)
        new_id = await _create(
            runtime,
            session,
            case_id=ins.case_id,
            stage=ins.stage,
            amount=body.amount,
            due_on=ins.due_on,
            channel=ins.channel,
            form=ins.form,
            kind="correction",
            funding=ins.funding,
            payee=beneficiary.payee if beneficiary else ins.payee,
            county_code=ins.county_code,
            township_code=ins.township_code,
            fund_year=None,
            actor=body.actor,
            reference=f"{ins.reference}-C{n}",
            correction_of=instruction_id,
        )
        if ins.funding == "reserve":
            await repo.update_instruction(session, new_id, fund_entry_id=fund_entry)
        await runtime.outbox.add(
            session,
            PaymentCorrected(
                case_id=ins.case_id,
                reversed_instruction_id=instruction_id,
                new_instruction_id=new_id,
                reversed_amount=ins.amount,
                new_amount=body.amount,
                reason=body.reason,
                corrected_at=clock.now(),
            ),
            subject=ins.case_id,
        )
        row = await repo.instruction(session, new_id)
    if row is None:
        raise RuntimeError("the row just written is missing from its own transaction")
    return row


async def _adjust_reserve(
    session: AsyncSession, ins: PaymentInstruction, difference: Decimal, actor: str | None
) -> int | None:
    year = year_of(ins.created_at)
    if difference > 0:
        entry = await draw_reserve(
            session,
            township_code=ins.township_code,
            county_code=ins.county_code,
            year=year,
            amount=difference,
            case_id=ins.case_id,
            instruction_id=ins.id,
            reference=ins.reference,
            actor=actor,
            memo="correction: further draw",
        )
        if entry is None:
            raise ReserveFundExhausted("the township reserve fund is short of the difference (R-RES)")
        return entry
    await ledger.release(session, ins.township_code, year, -difference)
    await _entry(session, ins, "reserve_release", -difference, actor, memo="correction: lower amount")
    return None
