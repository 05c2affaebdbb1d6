"""Help first (先行救助, R-FLOW-2): grant, declare the emergency over, list and announce overdue paperwork."""

from __future__ import annotations

from dataclasses import asdict
from datetime import date
from typing import Annotated

from fastapi import APIRouter, Depends, Path, Query, Request

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


LeadId = Annotated[
    str, Path(pattern=r"^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$")
]


def grant_out(grant: HelpFirstGrant, application_missing: bool = False) -> GrantOut:
    return GrantOut(
        **{**asdict(grant), "amount": str(grant.amount), "application_missing": application_missing}
    )


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
    "/leads/{lead_id}/help-first",
    response_model=GrantOut,
    status_code=201,
    summary="Grant help first at the scene on an emergency lead, before its application (R-FLOW-2, R-OVS-2)",
    description="Cash or goods handed over directly (channel `direct`), within the township's disbursement "
    "limit (above it the county grants, R-FLOW-3), paid at once from the township's reserve fund "
    "(HelpFirstGranted with `lead_id`). Bound to the case id intake reserved for the lead's application; "
    "the application and its paperwork are due 10 working days after the grant (`deadline`). An unknown "
    "lead or one of another jurisdiction: 404; 409 `not-an-emergency` (the lead's urgency or category), "
    "`lead-closed` (intake closed it without an application), `help-first-already-granted`, "
    "`county-grant-required`, `case-already-decided`; 422 for a referral form or a bank transfer.",
)
async def grant_at_scene(lead_id: LeadId, body: GrantIn, request: Request, principal: Decider) -> GrantOut:
    runtime = runtime_of(request, "approval")
    grant = await help_first.grant_at_scene(runtime, lead_id, as_caller(body, principal))
    return grant_out(grant, await help_first.application_missing(runtime, grant))


@router.post(
    "/cases/{case_id}/help-first/emergency-over",
    response_model=GrantOut,
    summary="Declare the emergency over: the paperwork is due in 10 working days (R-FLOW-2)",
    description="Help given at the scene on a lead: 409 `paperwork-clock-from-the-scene` (its deadline "
    "counts from the grant).",
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
    description="Help given at the scene whose application has not arrived shows `lead_id` and "
    "`application_missing: true`.",
)
async def overdue(
    request: Request,
    principal: Reader,
    on: Annotated[date | None, Query(ge=date(2000, 1, 1), le=date(2100, 12, 31))] = None,
    county_code: Annotated[str | None, Query(pattern=r"^\d{6}$")] = None,
) -> list[GrantOut]:
    county_code, township_code = scope(principal, county_code, None)
    found = await help_first.overdue(runtime_of(request, "approval"), on, county_code)
    return [
        grant_out(g, missing)
        for g, missing in found
        if township_code is None or g.township_code == township_code
    ]


@router.post(
    "/help-first/overdue:check", summary="Announce overdue paperwork now (PaperworkOverdue, once each)"
)
async def check_overdue(request: Request, _: Operator) -> dict[str, int]:
    return {"announced": await help_first.announce_overdue(runtime_of(request, "approval"))}
