"""Approval's REST API: cases, the review (审核) and approval (审批) steps, batches, help first."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request
from pydantic import BaseModel, Field

from services.approval import help_first, service
from services.approval import repository as repo
from services.approval.api_admin import router as admin_router
from services.approval.domain.tiers import Level
from services.approval.help_first import EmergencyOverIn, GrantIn
from services.approval.service import BatchItem, DecisionIn, ReviewBatchItem, ReviewIn, Status
from shared.access import DECIDERS, STAFF, ensure_covers, require, scope
from shared.api import PROBLEM_RESPONSES, CaseId, runtime_of
from shared.auth import Principal, Role
from shared.errors import NotFound

Reader = Annotated[Principal, Depends(require(*STAFF))]
Reviewer = Annotated[Principal, Depends(require(Role.township_reviewer, Role.county_approver))]
Decider = Annotated[Principal, Depends(require(*DECIDERS))]
Caseworker = Annotated[Principal, Depends(require(Role.township_reviewer, *DECIDERS))]
Operator = Annotated[Principal, Depends(require(*DECIDERS, Role.policy_admin))]


def level_of(principal: Principal, requested: Level | None) -> Level:
    """The level the caller acts at (R-FLOW-3): county approvers at the county (or the township level when
    they also hold that role and ask for it), everyone else at the township."""
    if principal.has(Role.county_approver) and not (
        requested is Level.township and principal.has(Role.township_approver, Role.township_reviewer)
    ):
        return Level.county
    return Level.township


def as_caller(body: Any, principal: Principal) -> Any:
    """The recorded actor and acting level come from the token, never from the request body."""
    return body.model_copy(update={"actor": principal.subject, "role": level_of(principal, body.role)})


router = APIRouter(prefix="/approval/v1", tags=["approval"], responses=PROBLEM_RESPONSES)
router.include_router(admin_router)


class DecisionOut(BaseModel):
    step: str
    """review (审核) or approval (审批)."""
    decision: str
    level: str
    role: str | None = None
    actor: str
    reasons: str
    amount: str
    form: str
    stages: list[dict[str, Any]]
    at: datetime
    extended_duration: dict[str, Any] | None = None
    """R-AMT-2: the county rule (tier, policy version, figures) the approver confirmed for more than the
    normal months, and who confirmed it."""


class GrantOut(BaseModel):
    grant_id: str
    case_id: str
    level: str
    actor: str
    reasons: str
    amount: str
    form: str
    channel: str
    granted_at: datetime
    emergency_over_on: date | None
    deadline: date | None
    calendar: str | None
    """Which calendar computed the deadline, e.g. 'national 2026' or 'weekends-only (no national schedule
    loaded for 2027)'."""
    status: str
    overdue_notified_at: datetime | None
    completed_at: datetime | None


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
    help_first: GrantOut | None = None
    created_at: datetime
    updated_at: datetime


class BatchIn(BaseModel):
    items: Annotated[list[BatchItem], Field(min_length=1, max_length=1000)]


class ReviewBatchIn(BaseModel):
    items: Annotated[list[ReviewBatchItem], Field(min_length=1, max_length=1000)]


class BatchOut(BaseModel):
    succeeded: int
    failed: int
    results: list[dict[str, Any]]
    """Per item, in order: case_id, status (200 or the problem's status), case_status or problem."""


def grant_out(row: Any) -> GrantOut:
    return GrantOut(**{**row, "amount": str(row["amount"])})


def _out(row: Any, decisions: list[Any], grant: Any = None) -> CaseOut:
    return CaseOut(
        **{**row, "assessed_amount": str(row["assessed_amount"])},
        decisions=[DecisionOut(**{**d, "amount": str(d["amount"])}) for d in decisions],
        help_first=grant_out(grant) if grant else None,
    )


async def _case_out(request: Request, case_id: str, principal: Principal) -> CaseOut:
    async with runtime_of(request, "approval").reading() as session:
        row = await repo.get(session, case_id)
        if row is None:
            raise NotFound(f"case {case_id} has not reached approval (yet)")
        ensure_covers(principal, row["county_code"], row["township_code"])
        return _out(row, await repo.decisions_for(session, case_id), await repo.grant(session, case_id))


@router.get(
    "/cases/{case_id}",
    response_model=CaseOut,
    summary="A case with its recorded steps (read-only: approvers see and decide, never edit)",
)
async def get_case(case_id: CaseId, request: Request, principal: Reader) -> CaseOut:
    return await _case_out(request, case_id, principal)


@router.get("/cases", response_model=list[CaseOut], summary="Cases, newest first")
async def list_cases(
    request: Request,
    principal: Reader,
    status: Status | None = None,
    county_code: Annotated[str | None, Query(pattern=r"^\d{6}$")] = None,
    township_code: Annotated[str | None, Query(pattern=r"^\d{9}$")] = None,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
) -> list[CaseOut]:
    county_code, township_code = scope(principal, county_code, township_code)
    async with runtime_of(request, "approval").reading() as session:
        rows = await repo.page(
            session,
            status=status.value if status else None,
            county_code=county_code,
            township_code=township_code,
            limit=limit,
        )
    return [_out(r, []) for r in rows]


@router.post(
    "/cases/{case_id}/review",
    response_model=CaseOut,
    summary="Review (审核, R-FLOW-1): approve/reject opinion or send back; publishes CaseReviewed",
)
async def review(case_id: CaseId, body: ReviewIn, request: Request, principal: Reviewer) -> CaseOut:
    await service.review(runtime_of(request, "approval"), case_id, as_caller(body, principal))
    return await _case_out(request, case_id, principal)


@router.post(
    "/cases/{case_id}/decision",
    response_model=CaseOut,
    summary="Approve (审批), reject or send back a reviewed case (R-FLOW-1, R-FLOW-3, R-FLOW-4); "
    "publishes CaseDecided",
    description="More than the normal months' amount (a county severity tier, R-AMT-2) needs "
    "`confirm_extended_duration: true`, else 409 `extended-duration-unconfirmed` naming the tier and policy "
    "version. Unknown or out-of-jurisdiction case: 404.",
)
async def decide(case_id: CaseId, body: DecisionIn, request: Request, principal: Decider) -> CaseOut:
    await service.decide(runtime_of(request, "approval"), case_id, as_caller(body, principal))
    return await _case_out(request, case_id, principal)


@router.post(
    "/decisions:batch",
    response_model=BatchOut,
    summary="Decide many cases: each item its own transaction, results per item",
)
async def decide_batch(body: BatchIn, request: Request, principal: Decider) -> BatchOut:
    items = [as_caller(i, principal) for i in body.items]
    return _batch_out(await service.decide_batch(runtime_of(request, "approval"), items))


@router.post(
    "/reviews:batch",
    response_model=BatchOut,
    summary="Review many cases: each item its own transaction, results per item",
)
async def review_batch(body: ReviewBatchIn, request: Request, principal: Reviewer) -> BatchOut:
    items = [as_caller(i, principal) for i in body.items]
    return _batch_out(await service.review_batch(runtime_of(request, "approval"), items))


def _batch_out(results: list[dict[str, Any]]) -> BatchOut:
    ok = sum(1 for r in results if r["status"] == 200)
    return BatchOut(succeeded=ok, failed=len(results) - ok, results=results)


@router.post(
    "/cases/{case_id}/help-first",
    response_model=GrantOut,
    status_code=201,
    summary="Grant help first to an emergency case (R-FLOW-2); publishes HelpFirstGranted",
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
    rows = await help_first.overdue(runtime_of(request, "approval"), on, county_code)
    return [grant_out(r) for r in rows if township_code is None or r["township_code"] == township_code]


@router.post(
    "/help-first/overdue:check", summary="Announce overdue paperwork now (PaperworkOverdue, once each)"
)
async def check_overdue(request: Request, _: Operator) -> dict[str, int]:
    return {"announced": await help_first.announce_overdue(runtime_of(request, "approval"))}
