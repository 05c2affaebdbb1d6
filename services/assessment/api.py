"""Assessment's REST API: results with every reason and figure, and the policy configuration."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request, status
from pydantic import BaseModel

from services.assessment import repository as repo
from services.assessment import service
from services.assessment.domain.policy import Policy
from shared.api import PROBLEM_RESPONSES, CaseId, runtime_of
from shared.errors import NotFound

router = APIRouter(prefix="/assessment/v1", tags=["assessment"], responses=PROBLEM_RESPONSES)


class AssessmentOut(BaseModel):
    id: str
    case_id: str
    revision: int
    eligible: bool
    amount: str
    policy_version: str
    result: dict[str, Any]
    inputs: dict[str, Any]
    created_at: datetime


@router.get("/cases/{case_id}", response_model=AssessmentOut, summary="The latest assessment of a case")
async def latest_assessment(case_id: CaseId, request: Request) -> AssessmentOut:
    rows = await _assessments(request, case_id)
    return rows[0]


@router.get("/cases/{case_id}/assessments", response_model=list[AssessmentOut],
            summary="Every assessment of a case, newest revision first")
async def all_assessments(case_id: CaseId, request: Request) -> list[AssessmentOut]:
    return await _assessments(request, case_id)


async def _assessments(request: Request, case_id: str) -> list[AssessmentOut]:
    async with runtime_of(request, "assessment").reading() as session:
        rows = await repo.for_case(session, case_id)
    if not rows:
        raise NotFound(f"no assessment for case {case_id} (yet)")
    return [AssessmentOut(**{**r, "amount": str(r["amount"])}) for r in rows]


@router.get("/policies", response_model=list[Policy], summary="Policy versions, per county, effective-dated")
async def list_policies(request: Request,
                        county_code: Annotated[str | None, Query(pattern=r"^\d{6}$")] = None) -> list[Policy]:
    async with runtime_of(request, "assessment").reading() as session:
        return await repo.list_policies(session, county_code)


@router.post("/policies", response_model=Policy, status_code=status.HTTP_201_CREATED,
             summary="Add a policy version (versions are immutable; assessments pin the one they used)")
async def add_policy(policy: Policy, request: Request) -> Policy:
    return await service.add_policy(runtime_of(request, "assessment"), policy, created_by="policy-admin")
