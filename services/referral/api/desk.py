"""Referral's REST API, the referral desk (staff, bearer JWTs; R-AID-1, R-OVS-2): a case's needs left after
the decision, its referrals to government schemes and their outcomes, its timeline, and the desk's list of
cases whose hardship outlasts temporary help (低保 suggestions)."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Path, Query, Request

from services.referral import repository as repo
from services.referral.api.staff import CountyCode, Reader, _known_case
from services.referral.domain.errors import CaseNotFound
from services.referral.domain.schemes import SchemeStatus
from services.referral.repository import scheme_queries as schemes_repo
from services.referral.schemas import (
    CaseNeedOut,
    SchemeOutcomeIn,
    SchemeReferralIn,
    SchemeReferralOut,
    SuggestionOut,
    TimelineEntry,
)
from services.referral.service import scheme_referrals
from services.referral.service.timeline import timeline
from shared import clock
from shared.access import require, scope
from shared.api import PROBLEM_RESPONSES, UUID_PATTERN, CaseId, runtime_of
from shared.auth import Principal, Role
from shared.contracts.common import NeedType

router = APIRouter(prefix="/referral/v1", tags=["referral: desk"], responses=PROBLEM_RESPONSES)
Desk = Annotated[
    Principal,
    Depends(require(Role.intake_clerk, Role.township_reviewer, Role.township_approver, Role.county_approver)),
]
SchemeReferralId = Annotated[str, Path(pattern=UUID_PATTERN, description="The scheme referral id")]
TownshipCode = Annotated[str | None, Query(pattern=r"^\d{9}$", description="a township code")]


@router.get(
    "/cases/{case_id}/needs",
    response_model=list[CaseNeedOut],
    summary="The case's needs left after the decision (stated at intake, assessed; R-AID-1, R-CHA-1)",
)
async def case_needs(case_id: CaseId, request: Request, principal: Reader) -> list[CaseNeedOut]:
    async with runtime_of(request, "referral").reading() as session:
        case = await repo.known_case(session, case_id)
    _known_case(principal, case_id, case)
    if case is None:
        raise CaseNotFound(case_id)
    return [
        CaseNeedOut(need_type=n.need_type, amount=n.amount)
        for n in scheme_referrals.needs_after_decision(case)
    ]


@router.post(
    "/cases/{case_id}/scheme-referrals",
    status_code=201,
    response_model=SchemeReferralOut,
    summary="Refer one of the case's needs to a government scheme: a task due by the county's date",
    description="409 `scheme-suspended` for a suspended scheme; 409 naming `partner_id` when it is no "
    "scheme, `need_type` when the need is not the case's, not the scheme's or not covered by the consent "
    "(R-CHA-2).",
)
async def refer(
    case_id: CaseId, body: SchemeReferralIn, request: Request, principal: Desk
) -> SchemeReferralOut:
    row = await scheme_referrals.refer(
        runtime_of(request, "referral"), case_id, body.partner_id, NeedType(body.need_type), principal.subject
    )
    return SchemeReferralOut.of(row)


@router.get(
    "/cases/{case_id}/scheme-referrals",
    response_model=list[SchemeReferralOut],
    summary="The case's referrals to government schemes and their outcomes",
)
async def case_scheme_referrals(
    case_id: CaseId, request: Request, principal: Reader
) -> list[SchemeReferralOut]:
    async with runtime_of(request, "referral").reading() as session:
        _known_case(principal, case_id, await repo.known_case(session, case_id))
        rows = await schemes_repo.referrals_of_case(session, case_id)
    return [SchemeReferralOut.of(r) for r in rows]


@router.post(
    "/scheme-referrals/{scheme_referral_id}/outcome",
    response_model=SchemeReferralOut,
    summary="Record a scheme's answer for it (staff): accepted, applied, granted (amount), refused (reason)",
)
async def record_outcome(
    scheme_referral_id: SchemeReferralId, body: SchemeOutcomeIn, request: Request, _: Desk
) -> SchemeReferralOut:
    return await answer_scheme_referral(request, scheme_referral_id, body)


async def answer_scheme_referral(
    request: Request, scheme_referral_id: str, body: SchemeOutcomeIn, partner_id: str | None = None
) -> SchemeReferralOut:
    """A scheme's answer to one of its referrals (R-AID-1), recorded by the desk (staff, within their
    jurisdiction) or by the scheme itself (``partner_id``: its own referrals only): the one body of both
    routes."""
    row = await scheme_referrals.record_outcome(
        runtime_of(request, "referral"),
        scheme_referral_id,
        SchemeStatus(body.outcome),
        amount=body.amount,
        reason=body.reason,
        partner_id=partner_id,
    )
    return SchemeReferralOut.of(row)


@router.get(
    "/cases/{case_id}/timeline",
    response_model=list[TimelineEntry],
    summary="The case's referral timeline: needs records, offers and answers, scheme referrals and outcomes",
)
async def case_timeline(case_id: CaseId, request: Request, principal: Reader) -> list[TimelineEntry]:
    async with runtime_of(request, "referral").reading() as session:
        _known_case(principal, case_id, await repo.known_case(session, case_id))
        return await timeline(session, case_id)


@router.get(
    "/desk/suggestions",
    response_model=list[SuggestionOut],
    summary="The referral desk's list: cases whose hardship outlasts temporary help (低保 application)",
)
async def suggestions(
    request: Request,
    principal: Reader,
    county_code: CountyCode = None,
    township_code: TownshipCode = None,
    status: Literal["open", "referred"] | None = "open",
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
) -> list[SuggestionOut]:
    county_code, township_code = scope(principal, county_code, township_code)
    async with runtime_of(request, "referral").reading() as session:
        rows = await schemes_repo.suggestions(session, county_code, township_code, status, limit)
    return [SuggestionOut.of(r) for r in rows]


@router.get(
    "/desk/overdue-scheme-referrals",
    response_model=list[SchemeReferralOut],
    summary="The referral desk's overdue list: scheme referrals past their due date without a final "
    "outcome, oldest due first (R-AID-1)",
)
async def overdue_scheme_referrals(
    request: Request,
    principal: Reader,
    county_code: CountyCode = None,
    township_code: TownshipCode = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
) -> list[SchemeReferralOut]:
    county_code, township_code = scope(principal, county_code, township_code)
    async with runtime_of(request, "referral").reading() as session:
        rows = await schemes_repo.overdue(session, clock.local_today(), county_code, township_code, limit)
    return [SchemeReferralOut.of(r) for r in rows]
