"""Assessment's REST API: results with every reason and figure, and the policy configuration."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request, status

from services.assessment import repository as repo
from services.assessment import service
from services.assessment.domain.errors import AssessmentNotFound
from services.assessment.domain.policy import Policy
from services.assessment.schemas import AssessmentOut, RaiseIn
from shared.access import STAFF, ensure_county_level, ensure_covers, require
from shared.api import PROBLEM_RESPONSES, CaseId, runtime_of
from shared.auth import Principal, Role

router = APIRouter(prefix="/assessment/v1", tags=["assessment"], responses=PROBLEM_RESPONSES)

Reader = Annotated[Principal, Depends(require(*STAFF))]
County = Annotated[Principal, Depends(require(Role.county_approver))]
PolicyReader = Annotated[Principal, Depends(require(*STAFF, Role.policy_admin))]
Admin = Annotated[Principal, Depends(require(Role.policy_admin))]


@router.get("/cases/{case_id}", response_model=AssessmentOut, summary="The latest assessment of a case")
async def latest_assessment(case_id: CaseId, request: Request, principal: Reader) -> AssessmentOut:
    rows = await _assessments(request, case_id, principal)
    return rows[0]


@router.get(
    "/cases/{case_id}/assessments",
    response_model=list[AssessmentOut],
    summary="Every assessment of a case, newest revision first",
)
async def all_assessments(case_id: CaseId, request: Request, principal: Reader) -> list[AssessmentOut]:
    return await _assessments(request, case_id, principal)


async def _assessments(request: Request, case_id: str, principal: Principal) -> list[AssessmentOut]:
    async with runtime_of(request, "assessment").reading() as session:
        found = await repo.for_case(session, case_id)
    if not found:
        raise AssessmentNotFound(case_id)
    ensure_covers(principal, found[0].county_code, found[0].township_code)
    return [AssessmentOut.of(a) for a in found]


@router.post(
    "/cases/{case_id}/raises",
    response_model=AssessmentOut,
    status_code=status.HTTP_201_CREATED,
    summary="Record a county-government raise (R-AMT-4): a new assessment revision, the old one stays",
    description="Approval takes the raised amount while the case awaits review (or was returned). A case "
    "approval has decided already: 409 `case-already-decided` (R-AMT-4); an ineligible case: 409 "
    "`not-eligible`; a raise beyond the policy's absolute maximum of months (R-AMT-2) or not above the "
    "current amount (R-AMT-4): 409 `raise-refused` naming the field; neither or both of months and "
    "amount, or a decision dated in the future: 422 naming the field.",
)
async def record_raise(case_id: CaseId, body: RaiseIn, request: Request, principal: County) -> AssessmentOut:
    body = body.model_copy(update={"recorded_by": principal.subject})
    return AssessmentOut.of(await service.record_raise(runtime_of(request, "assessment"), case_id, body))


@router.get("/policies", response_model=list[Policy], summary="Policy versions, per county, effective-dated")
async def list_policies(
    request: Request, _: PolicyReader, county_code: Annotated[str | None, Query(pattern=r"^\d{6}$")] = None
) -> list[Policy]:
    async with runtime_of(request, "assessment").reading() as session:
        return await repo.list_policies(session, county_code)


@router.post(
    "/policies",
    response_model=Policy,
    status_code=status.HTTP_201_CREATED,
    summary="Add a policy version (versions are immutable; assessments pin the one they used)",
)
async def add_policy(policy: Policy, request: Request, principal: Admin) -> Policy:
    ensure_county_level(principal, policy.county_code, "county policy")
    return await service.add_policy(runtime_of(request, "assessment"), policy, created_by=principal.subject)
