"""Approval's REST API."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from pydantic import BaseModel

from services.approval import repository as repo
from services.approval import service
from services.approval.service import DecisionIn
from shared.api import PROBLEM_RESPONSES, CaseId, runtime_of
from shared.errors import NotFound

router = APIRouter(prefix="/approval/v1", tags=["approval"], responses=PROBLEM_RESPONSES)


class DecisionOut(BaseModel):
    step: str
    decision: str
    level: str
    actor: str
    reasons: str
    amount: str
    form: str
    stages: list[dict[str, Any]]
    at: datetime


class CaseOut(BaseModel):
    case_id: str
    revision: int
    county_code: str
    township_code: str
    category: str
    subtype: str
    status: str
    eligible: bool
    assessed_amount: str
    months: int
    household_size: int
    decisions: list[DecisionOut] = []
    created_at: datetime
    updated_at: datetime


def _out(row: Any, decisions: list[Any]) -> CaseOut:
    return CaseOut(**{**row, "assessed_amount": str(row["assessed_amount"])},
                   decisions=[DecisionOut(**{**d, "amount": str(d["amount"])}) for d in decisions])


@router.get("/cases/{case_id}", response_model=CaseOut, summary="A case awaiting or past approval")
async def get_case(case_id: CaseId, request: Request) -> CaseOut:
    async with runtime_of(request, "approval").reading() as session:
        row = await repo.get(session, case_id)
        if row is None:
            raise NotFound(f"case {case_id} has not reached approval (yet)")
        return _out(row, await repo.decisions_for(session, case_id))


@router.get("/cases", response_model=list[CaseOut], summary="Cases, newest first")
async def list_cases(request: Request, status: Annotated[str | None, Query(max_length=32)] = None,
                     township_code: Annotated[str | None, Query(pattern=r"^\d{9}$")] = None,
                     limit: Annotated[int, Query(ge=1, le=200)] = 50) -> list[CaseOut]:
    async with runtime_of(request, "approval").reading() as session:
        rows = await repo.page(session, status=status, township_code=township_code, limit=limit)
    return [_out(r, []) for r in rows]


@router.post("/cases/{case_id}/decision", response_model=CaseOut,
             summary="Approve or reject a case (R-FLOW-1, R-FLOW-3); publishes CaseDecided")
async def decide(case_id: CaseId, body: DecisionIn, request: Request) -> CaseOut:
    runtime = runtime_of(request, "approval")
    row = await service.decide(runtime, case_id, body)
    async with runtime.reading() as session:
        return _out(row, await repo.decisions_for(session, case_id))
