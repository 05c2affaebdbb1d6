"""Disbursement's payment routes: payments (results, retries, handovers, corrections) and payee changes."""

from __future__ import annotations

import json
from dataclasses import asdict
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Path, Query, Request

from services.disbursement.domain.model import (
    PAYEE,
    ChangeStatus,
    PayeeChange,
    PaymentAttempt,
    PaymentInstruction,
)
from services.disbursement.repository import instructions as repo
from services.disbursement.schemas import (
    AttemptOut,
    ChangeDecisionIn,
    CorrectionIn,
    GiveUpIn,
    HandoverIn,
    PayeeChangeIn,
    PayeeChangeOut,
    PayeeOut,
    PaymentOut,
    ResultIn,
    RetryIn,
)
from services.disbursement.service import payees, payments
from shared.access import DECIDERS, STAFF, ensure_covers, require, scope
from shared.api import UUID_PATTERN, CaseId, runtime_of
from shared.auth import Principal, Role
from shared.errors import NotFound
from shared.idnumber import mask_account, mask_name
from shared.runtime import Runtime

router = APIRouter()

PaymentId = Annotated[str, Path(pattern=UUID_PATTERN)]

Reader = Annotated[Principal, Depends(require(*STAFF))]
Finance = Annotated[Principal, Depends(require(Role.finance_officer))]
PayeeClerk = Annotated[Principal, Depends(require(Role.intake_clerk, Role.finance_officer))]
PayeeDecider = Annotated[Principal, Depends(require(*DECIDERS, Role.finance_officer))]
"""R-AID-2: the second person who approves or rejects an account change (never its requester)."""


def _by(body: Any, principal: Principal) -> Any:
    """The recorded actor comes from the token, never from the request body."""
    return body.model_copy(update={"actor": principal.subject})


def _payee(runtime: Runtime, token: str | None) -> dict[str, str] | None:
    return json.loads(runtime.cipher.decrypt(token, context=PAYEE)) if token else None


def _attempt_out(runtime: Runtime, a: PaymentAttempt) -> AttemptOut:
    payee = _payee(runtime, a.payee)
    return AttemptOut(**{**asdict(a), "payee_account": mask_account(payee["account"]) if payee else None})


def _out(runtime: Runtime, r: PaymentInstruction, attempts: list[PaymentAttempt]) -> PaymentOut:
    payee = _payee(runtime, r.payee)
    return PaymentOut(
        **{
            **asdict(r),
            "amount": str(r.amount),
            "payee_name": mask_name(payee["name"]) if payee else None,
            "payee_account": mask_account(payee["account"]) if payee else None,
        },
        attempt_history=[_attempt_out(runtime, a) for a in attempts if a.instruction_id == r.id],
    )


def masked(runtime: Runtime, token: str | None) -> PayeeOut | None:
    payee = _payee(runtime, token)
    if payee is None:
        return None
    return PayeeOut(name=mask_name(payee["name"]), bank=payee["bank"], account=mask_account(payee["account"]))


def change_out(runtime: Runtime, row: PayeeChange) -> PayeeChangeOut:
    return PayeeChangeOut(
        id=row.id,
        case_id=row.case_id,
        status=row.status,
        old=masked(runtime, row.old_payee),
        new=masked(runtime, row.new_payee),
        requested_by=row.requested_by,
        reason=row.reason,
        requested_at=row.requested_at,
        decided_by=row.decided_by,
        decision_reason=row.decision_reason,
        decided_at=row.decided_at,
    )


async def _one(request: Request, instruction_id: str, principal: Principal) -> PaymentOut:
    runtime = runtime_of(request, "disbursement")
    async with runtime.reading() as session:
        row = await repo.instruction(session, instruction_id)
        if row is None:
            raise NotFound(f"payment {instruction_id} not found")
        ensure_covers(principal, row.county_code, row.township_code, "payment")
        attempts = await repo.attempts_for(session, [instruction_id])
    return _out(runtime, row, attempts)


@router.get(
    "/cases/{case_id}/payments",
    response_model=list[PaymentOut],
    summary="A case's payment instructions with their attempts (payee masked)",
)
async def case_payments(case_id: CaseId, request: Request, principal: Reader) -> list[PaymentOut]:
    runtime = runtime_of(request, "disbursement")
    async with runtime.reading() as session:
        place = await repo.case_place(session, case_id)
        if place is None:
            raise NotFound(f"case {case_id} is not known to disbursement")
        ensure_covers(principal, place.county_code, place.township_code)
        rows = await repo.instructions_for(session, case_id)
        attempts = await repo.attempts_for(session, [r.id for r in rows]) if rows else []
    return [_out(runtime, r, attempts) for r in rows]


@router.get("/payments/{payment_id}", response_model=PaymentOut, summary="One payment instruction")
async def get_payment(payment_id: PaymentId, request: Request, principal: Reader) -> PaymentOut:
    return await _one(request, payment_id, principal)


@router.post(
    "/payments/{payment_id}/result",
    response_model=PaymentOut,
    summary="Record a bank result: paid, failed or returned (finance officer or bank callback)",
)
async def record_result(
    payment_id: PaymentId, body: ResultIn, request: Request, principal: Finance
) -> PaymentOut:
    await payments.record_result(runtime_of(request, "disbursement"), payment_id, _by(body, principal))
    return await _one(request, payment_id, principal)


@router.post(
    "/payments/{payment_id}/retry",
    response_model=PaymentOut,
    summary="Re-issue a failed/returned transfer (same reference, new attempt) or re-route it",
)
async def retry(payment_id: PaymentId, body: RetryIn, request: Request, principal: Finance) -> PaymentOut:
    await payments.retry(runtime_of(request, "disbursement"), payment_id, _by(body, principal))
    return await _one(request, payment_id, principal)


@router.post(
    "/payments/{payment_id}/give-up",
    response_model=PaymentOut,
    summary="Give up a failed, returned or unfunded payment (terminal; its commitment is released, R-OVS-3)",
    description="The payment becomes `given_up`: a reserve-fund draw goes back to the fund, approval "
    "releases what it committed (PaymentGivenUp) and the case shows needs_attention in intake.",
    responses={409: {"description": "the payment is not failed, returned or unfunded (payment-state)"}},
)
async def give_up(payment_id: PaymentId, body: GiveUpIn, request: Request, principal: Finance) -> PaymentOut:
    await payments.give_up(runtime_of(request, "disbursement"), payment_id, _by(body, principal))
    return await _one(request, payment_id, principal)


@router.post(
    "/payments/{payment_id}/handover",
    response_model=PaymentOut,
    summary="Record a direct cash or goods handover with its witness (R-AID-2, R-AID-3)",
    responses={
        409: {"description": "not awaiting a handover, or the witness is who hands over (R-AID-2)"},
        422: {"description": "goods without their procurement reference (R-AID-3), or an invalid field"},
    },
)
async def handover(
    payment_id: PaymentId, body: HandoverIn, request: Request, principal: Finance
) -> PaymentOut:
    await payments.handover(runtime_of(request, "disbursement"), payment_id, _by(body, principal))
    return await _one(request, payment_id, principal)


@router.post(
    "/payments/{payment_id}/correction",
    response_model=PaymentOut,
    status_code=201,
    summary="Correct a wrong payment: reversing ledger entry and a new instruction (returned)",
)
async def correct(
    payment_id: PaymentId, body: CorrectionIn, request: Request, principal: Finance
) -> PaymentOut:
    row = await payments.correct(runtime_of(request, "disbursement"), payment_id, _by(body, principal))
    return await _one(request, row.id, principal)


@router.put(
    "/cases/{case_id}/payee",
    status_code=201,
    response_model=PayeeChangeOut,
    summary="Ask to change the beneficiary's account: pending until a second person approves (R-AID-2)",
    responses={409: {"description": "another change of this case is already pending"}},
)
async def change_payee(
    case_id: CaseId, body: PayeeChangeIn, request: Request, principal: PayeeClerk
) -> PayeeChangeOut:
    runtime = runtime_of(request, "disbursement")
    return change_out(runtime, await payees.request_change(runtime, case_id, _by(body, principal)))


@router.get(
    "/cases/{case_id}/payee-changes",
    response_model=list[PayeeChangeOut],
    summary="The audit trail of a case's account changes (masked)",
)
async def payee_changes(case_id: CaseId, request: Request, principal: Reader) -> list[PayeeChangeOut]:
    runtime = runtime_of(request, "disbursement")
    async with runtime.reading() as session:
        owner = await repo.beneficiary(session, case_id)
        if owner is None:
            raise NotFound(f"case {case_id} is not known to disbursement")
        ensure_covers(principal, owner.county_code, owner.township_code)
        rows = await repo.payee_changes_for(session, case_id)
    return [change_out(runtime, r) for r in rows]


@router.get(
    "/payee-changes",
    response_model=list[PayeeChangeOut],
    summary="Account changes in your jurisdiction, oldest first; status=pending is the second person's queue",
)
async def list_payee_changes(
    request: Request,
    principal: Reader,
    status: Annotated[ChangeStatus | None, Query()] = ChangeStatus.pending,
    county_code: Annotated[str | None, Query(pattern=r"^\d{6}$")] = None,
    township_code: Annotated[str | None, Query(pattern=r"^\d{9}$")] = None,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
) -> list[PayeeChangeOut]:
    county_code, township_code = scope(principal, county_code, township_code)
    runtime = runtime_of(request, "disbursement")
    async with runtime.reading() as session:
        rows = await payees.page(
            session,
            status=status,
            county_code=county_code,
            township_code=township_code,
            limit=limit,
        )
    return [change_out(runtime, r) for r in rows]


@router.post(
    "/payee-changes/{change_id}/decision",
    response_model=PayeeChangeOut,
    summary="Approve or reject a pending account change: someone other than who asked (R-AID-2)",
    responses={409: {"description": "already decided, or the caller asked for it (separation-of-duties)"}},
)
async def decide_payee_change(
    change_id: PaymentId, body: ChangeDecisionIn, request: Request, principal: PayeeDecider
) -> PayeeChangeOut:
    runtime = runtime_of(request, "disbursement")
    return change_out(runtime, await payees.decide_change(runtime, change_id, _by(body, principal)))
