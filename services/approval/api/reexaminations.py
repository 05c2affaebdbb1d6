"""Re-examination (复核, R-REX-1..3): a county's windows (effective-dated policy), the request brought by the
township or a government system, the decision by an uninvolved officer, and the overdue list."""

from __future__ import annotations

from dataclasses import asdict
from datetime import date
from decimal import Decimal
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Path, Query, Request

from services.approval.api.caller import Decider, Overdue, Reader, Requester, channel_of, level_of
from services.approval.domain.model import Reexamination, ReexaminationPolicy
from services.approval.schemas import (
    ReexaminationDecisionIn,
    ReexaminationIn,
    ReexaminationOut,
    ReexaminationPoliciesOut,
    ReexaminationPolicyIn,
    ReexaminationPolicyOut,
)
from services.approval.service import reexamination as reexamining
from shared.access import ADMIN, STAFF, ensure_covers, require
from shared.api import CaseId, runtime_of
from shared.auth import Principal, Role

PolicyReader = Annotated[Principal, Depends(require(*STAFF, Role.policy_admin))]
Admin = Annotated[Principal, Depends(require(*ADMIN))]
County = Annotated[str, Path(pattern=r"^\d{6}$")]

router = APIRouter(tags=["re-examination"])


def _text(value: Decimal | None) -> str | None:
    return None if value is None else str(value)


def reexamination_out(r: Reexamination) -> ReexaminationOut:
    money = ("amount_before", "amount_after", "difference", "not_recovered")
    values: dict[str, Any] = asdict(r)
    return ReexaminationOut(**{**values, **{k: _text(values[k]) for k in money}})


def _policy(p: ReexaminationPolicy) -> ReexaminationPolicyOut:
    return ReexaminationPolicyOut.model_validate(asdict(p))


@router.get(
    "/counties/{county_code}/reexamination-policy",
    response_model=ReexaminationPoliciesOut,
    summary="A county's re-examination window and complaint deadlines, in force and history (R-REX-1)",
)
async def get_policy(
    county_code: County,
    request: Request,
    principal: PolicyReader,
    on: Annotated[date | None, Query(ge=date(2000, 1, 1), le=date(2100, 12, 31))] = None,
) -> ReexaminationPoliciesOut:
    ensure_covers(principal, county_code, None, "county")
    current, history = await reexamining.policies(runtime_of(request, "approval"), county_code, on)
    return ReexaminationPoliciesOut(
        county_code=county_code,
        in_force=_policy(current) if current else None,
        history=[_policy(p) for p in history],
    )


@router.post(
    "/counties/{county_code}/reexamination-policy",
    response_model=ReexaminationPolicyOut,
    status_code=201,
    summary="Set a new effective-dated version of a county's windows and deadlines (R-REX-1, R-REX-4)",
    description="County-level: a policy admin of the county (or the city); a township's admin gets 403.",
)
async def add_policy(
    county_code: County, body: ReexaminationPolicyIn, request: Request, principal: Admin
) -> ReexaminationPolicyOut:
    body = body.model_copy(update={"actor": principal.subject})
    return _policy(await reexamining.add_policy(runtime_of(request, "approval"), county_code, body))


@router.post(
    "/cases/{case_id}/reexaminations",
    response_model=ReexaminationOut,
    status_code=201,
    summary="Ask for a re-examination (复核) of a refusal or of the amount, for the applicant (R-REX-1)",
    description="Brought by the township (or county) staff or a government system on the applicant's "
    "behalf. 404 for an unknown or out-of-jurisdiction case; 409 `case-not-decided`, `ground-does-not-fit` "
    "(a refusal is contested as a refusal, an approval for its amount), `reexamination-window-closed` "
    "(the county's window after the decision notice), `reexamination-already-open`.",
)
async def ask(
    case_id: CaseId, body: ReexaminationIn, request: Request, principal: Requester
) -> ReexaminationOut:
    body = body.model_copy(update={"actor": principal.subject})
    return reexamination_out(
        await reexamining.request(runtime_of(request, "approval"), case_id, body, channel_of(principal))
    )


@router.get(
    "/cases/{case_id}/reexaminations",
    response_model=list[ReexaminationOut],
    summary="A case's re-examinations, oldest first (R-REX-1..3)",
)
async def list_for_case(case_id: CaseId, request: Request, principal: Reader) -> list[ReexaminationOut]:
    return [
        reexamination_out(r) for r in await reexamining.for_case(runtime_of(request, "approval"), case_id)
    ]


@router.post(
    "/cases/{case_id}/reexaminations/decision",
    response_model=ReexaminationOut,
    summary="Decide the open re-examination: upheld, or changed with reasons (R-REX-2, R-REX-3); "
    "publishes CaseRedecided",
    description="By an officer who took no part in the decision (409 `separation-of-duties`, R-REX-2), at "
    "the first decision's level or higher (409 `reexamination-level-too-low`); a changed amount within the "
    "township's delegation (409 `county-approval-required`, R-FLOW-3) and the assessed amount (409 "
    "`above-assessed-amount`, R-AMT-4); 409 `change-without-effect` when nothing changes. 404 when no "
    "re-examination is open. Disbursement pays exactly the difference (R-REX-3).",
)
async def decide(
    case_id: CaseId, body: ReexaminationDecisionIn, request: Request, principal: Decider
) -> ReexaminationOut:
    body = body.model_copy(update={"actor": principal.subject, "role": level_of(principal, body.role)})
    return reexamination_out(await reexamining.decide(runtime_of(request, "approval"), case_id, body))


@router.get(
    "/reexaminations/overdue",
    response_model=list[ReexaminationOut],
    summary="Open re-examinations past their deadline, oldest deadline first (R-REX-4), in your jurisdiction",
)
async def overdue(request: Request, principal: Reader, within: Overdue) -> list[ReexaminationOut]:
    found = await reexamining.overdue(
        runtime_of(request, "approval"), within.county_code, within.township_code, within.limit
    )
    return [reexamination_out(r) for r in found]
