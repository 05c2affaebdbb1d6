"""Help first (先行救助, R-FLOW-2): grant, declare the emergency over, list and announce overdue paperwork."""

from __future__ import annotations

from dataclasses import asdict
from datetime import date
from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request

from services.approval.api.caller import as_caller
from services.approval.domain.model import HelpFirstGrant
from services.approval.schemas import EmergencyOverIn, GrantIn, GrantOut
from services.approval.service import help_first
from shared.access import DECIDERS, STAFF, require, scope
from shared.api import CaseId, runtime_of
from shared.auth import Principal, Role

Reader = Annotated[Principal, Depends(require(*STAFF))]
Decider = Annotated[Principal, Depends(require(*DECIDERS))]
Caseworker = Annotated[Principal, Depends(require(Role.township_reviewer, *DECIDERS))]
Operator = Annotated[Principal, Depends(require(*DECIDERS, Role.policy_admin))]

router = APIRouter()


def grant_out(grant: HelpFirstGrant) -> GrantOut:
    return GrantOut(**{**asdict(grant), "amount": str(grant.amount)})


@router.post(
    "/cases/{case_id}/help-first",
    response_model=GrantOut,
    status_code=201,
    summary="Grant help first to an emergency case (R-FLOW-2); publishes HelpFirstGranted",
    description="409 `not-an-emergency`, `case-already-decided`, `help-first-already-granted`, "
    "`county-grant-required` (above the township's disbursement limit, R-FLOW-3) or `above-assessed-amount` "
    "(R-AMT-4); 422 for a referral form (help first is cash or goods, R-AID-2).",
)
async def grant_help_first(case_id: CaseId, body: GrantIn, request: Request, principal: Decider) -> GrantOut:
    return grant_out(
        await help_first.grant(runtime_of(request, "approval"), case_id, as_caller(body, principal))
    )


@router.post(
    "/cases/{case_id}/help-first/emergency-over",
    response_model=GrantOut,
    summary="Declare the emergency over: the paperwork is due in 10 working days (R-FLOW-2)",
)
async def emergency_over(
    case_id: CaseId, body: EmergencyOverIn, request: Request, principal: Caseworker
) -> GrantOut:
    body = body.model_copy(update={"actor": principal.subject})
    return grant_out(await help_first.emergency_over(runtime_of(request, "approval"), case_id, body))


@router.get(
    "/help-first/overdue",
    response_model=list[GrantOut],
    summary="Help-first cases whose paperwork is past its deadline (R-FLOW-2)",
)
async def overdue(
    request: Request,
    principal: Reader,
    on: Annotated[date | None, Query(ge=date(2000, 1, 1), le=date(2100, 12, 31))] = None,
    county_code: Annotated[str | None, Query(pattern=r"^\d{6}$")] = None,
) -> list[GrantOut]:
    county_code, township_code = scope(principal, county_code, None)
    found = await help_first.overdue(runtime_of(request, "approval"), on, county_code)
    return [grant_out(g) for g in found if township_code is None or g.township_code == township_code]


@router.post(
    "/help-first/overdue:check", summary="Announce overdue paperwork now (PaperworkOverdue, once each)"
)
async def check_overdue(request: Request, _: Operator) -> dict[str, int]:
    return {"announced": await help_first.announce_overdue(runtime_of(request, "approval"))}
