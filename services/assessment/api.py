"""Assessment's REST API: results with every reason and figure, and the policy configuration."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request, status
from pydantic import BaseModel

from services.assessment import repository as repo
from services.assessment import service
from services.assessment.domain.policy import Policy
from shared.access import STAFF, ensure_county_level, ensure_covers, require
from shared.api import PROBLEM_RESPONSES, CaseId, runtime_of
from shared.auth import Principal, Role
from shared.errors import NotFound

router = APIRouter(prefix="/assessment/v1", tags=["assessment"], responses=PROBLEM_RESPONSES)

Reader = Annotated[Principal, Depends(require(*STAFF))]
County = Annotated[Principal, Depends(require(Role.county_approver))]
PolicyReader = Annotated[Principal, Depends(require(*STAFF, Role.policy_admin))]
Admin = Annotated[Principal, Depends(require(Role.policy_admin))]


class AssessmentOut(BaseModel):
    """One frozen assessment: the inputs (application revision) and policy version it pinned, its result."""

    id: str
    case_id: str
    revision: int
    application_revision: int
    raise_decision: dict[str, Any] | None = None
    recorded_by: str | None = None
    eligible: bool
    amount: str
    policy_version: str
    result: dict[str, Any]
    inputs: dict[str, Any]
    created_at: datetime


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
        rows = await repo.for_case(session, case_id)
    if not rows:
        raise NotFound(f"no assessment for case {case_id} (yet)")
    ensure_covers(principal, rows[0]["county_code"], rows[0]["inputs"].get("township_code"))
    return [_out(r) for r in rows]


def _out(row: Any) -> AssessmentOut:
    return AssessmentOut(**{**row, "amount": str(row["amount"])})


@router.post(
    "/cases/{case_id}/raises",
    response_model=AssessmentOut,
    status_code=status.HTTP_201_CREATED,
    summary="Record a county-government raise (R-AMT-4): a new assessment revision, the old one stays",
    description="Approval takes the raised amount while the case awaits review (or was returned). A case "
    "approval has decided already: 409 `case-already-decided` (R-AMT-4).",
)
async def record_raise(
    case_id: CaseId, body: service.RaiseIn, request: Request, principal: County
) -> AssessmentOut:
    body = body.model_copy(update={"recorded_by": principal.subject})
    return _out(await service.record_raise(runtime_of(request, "assessment"), case_id, body))


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
