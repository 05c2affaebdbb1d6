"""Cases with their recorded steps, the review (审核) and approval (审批) steps, and their batches."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import asdict
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request

from services.approval import repository as repo
from services.approval.api.caller import as_caller
from services.approval.api.grants import grant_out
from services.approval.domain.model import ArchiveState, Case, CaseStatus, DecisionRecord, HelpFirstGrant
from services.approval.schemas import (
    ArchiveOverrideIn,
    ArchiveStateOut,
    BatchIn,
    BatchItem,
    BatchOut,
    CaseOut,
    DecisionIn,
    DecisionOut,
    ReviewBatchIn,
    ReviewBatchItem,
    ReviewIn,
)
from services.approval.service import archive as archiving
from services.approval.service import decision as deciding
from services.approval.service import review as reviewing
from shared.access import DECIDERS, STAFF, ensure_covers, require, scope
from shared.api import CaseId, runtime_of
from shared.auth import Principal, Role
from shared.domain_errors import DomainError
from shared.errors import NotFound, Problem, problem_of
from shared.runtime import Runtime

log = logging.getLogger("assistance.approval")

Reader = Annotated[Principal, Depends(require(*STAFF))]
Reviewer = Annotated[Principal, Depends(require(Role.township_reviewer, Role.county_approver))]
Decider = Annotated[Principal, Depends(require(*DECIDERS))]
CountyApprover = Annotated[Principal, Depends(require(Role.county_approver))]

router = APIRouter()

BATCH_CONCURRENCY = 8


def _decision_out(d: DecisionRecord) -> DecisionOut:
    return DecisionOut(**{**asdict(d), "amount": str(d.amount)})


def _archive_out(state: ArchiveState) -> ArchiveStateOut:
    values = {k: v for k, v in asdict(state).items() if k in ArchiveStateOut.model_fields}
    return ArchiveStateOut(**{**values, "blocking": state.still_blocking})


def _out(
    case: Case,
    decisions: list[DecisionRecord],
    grant: HelpFirstGrant | None = None,
    archive: ArchiveState | None = None,
) -> CaseOut:
    return CaseOut(
        **{**asdict(case), "assessed_amount": str(case.assessed_amount)},
        decisions=[_decision_out(d) for d in decisions],
        help_first=grant_out(grant) if grant else None,
        archive=_archive_out(archive) if archive else None,
    )


async def _case_out(request: Request, case_id: str, principal: Principal) -> CaseOut:
    async with runtime_of(request, "approval").reading() as session:
        case = await repo.get(session, case_id)
        if case is None:
            raise NotFound(f"case {case_id} has not reached approval (yet)")
        ensure_covers(principal, case.county_code, case.township_code)
        return _out(*await reviewing.details(session, case))


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
    status: CaseStatus | None = None,
    county_code: Annotated[str | None, Query(pattern=r"^\d{6}$")] = None,
    township_code: Annotated[str | None, Query(pattern=r"^\d{9}$")] = None,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
) -> list[CaseOut]:
    county_code, township_code = scope(principal, county_code, township_code)
    async with runtime_of(request, "approval").reading() as session:
        found = await repo.page(
            session, status=status, county_code=county_code, township_code=township_code, limit=limit
        )
    return [_out(c, []) for c in found]


@router.post(
    "/cases/{case_id}/review",
    response_model=CaseOut,
    summary="Review (审核, R-FLOW-1): approve/reject opinion or send back; publishes CaseReviewed",
    description="409 `not-awaiting-review` or `case-already-decided` when the case is past review; 409 "
    "`above-assessed-amount` for more than assessed without a county-government raise (R-AMT-4); an "
    "approving opinion while the archive lacks items the county requires before review: 409 "
    "`archive-incomplete` naming them in `missing` (R-ARC-1).",
)
async def review(case_id: CaseId, body: ReviewIn, request: Request, principal: Reviewer) -> CaseOut:
    runtime = runtime_of(request, "approval")
    return _out(*await reviewing.review_then(runtime, case_id, as_caller(body, principal), reviewing.details))


@router.post(
    "/cases/{case_id}/decision",
    response_model=CaseOut,
    summary="Approve (审批), reject or send back a reviewed case (R-FLOW-1, R-FLOW-3, R-FLOW-4); "
    "publishes CaseDecided",
    description="More than the normal months' amount (a county severity tier, R-AMT-2) needs "
    "`confirm_extended_duration: true`, else 409 `extended-duration-unconfirmed` naming the tier and policy "
    "version. 409 also for `review-required` and `separation-of-duties` (R-FLOW-1), "
    "`county-approval-required` (R-FLOW-3), `above-assessed-amount` (R-AMT-4) and `below-help-first` "
    "(R-FLOW-2), `archive-incomplete` naming the `missing` archive items (R-ARC-1). Stages that do not add "
    "up: 422. Unknown or out-of-jurisdiction case: 404.",
)
async def decide(case_id: CaseId, body: DecisionIn, request: Request, principal: Decider) -> CaseOut:
    runtime = runtime_of(request, "approval")
    return _out(*await deciding.decide_then(runtime, case_id, as_caller(body, principal), reviewing.details))


async def run_batch(items: Sequence[Any], one: Callable[[Any], Awaitable[Case]]) -> list[dict[str, Any]]:
    """Each item in its own transaction, a few at a time: one failure never holds back or undoes another;
    a refusal is answered per item as the problem+json the single call would answer."""
    gate = asyncio.Semaphore(BATCH_CONCURRENCY)

    async def run(item: Any) -> dict[str, Any]:
        async with gate:
            try:
                case = await one(item)
                return {"case_id": item.case_id, "status": 200, "case_status": case.status.value}
            except (Problem, DomainError) as refused:
                problem = problem_of(refused) if isinstance(refused, DomainError) else refused
                return {"case_id": item.case_id, "status": problem.status, "problem": problem.body()}
            except Exception:  # reported per item, the batch goes on
                log.exception("batch item failed", extra={"case_id": item.case_id})
                return {
                    "case_id": item.case_id,
                    "status": 500,
                    "problem": {"title": "Internal error", "status": 500, "detail": "logged"},
                }

    return list(await asyncio.gather(*(run(i) for i in items)))


def _batch_out(results: list[dict[str, Any]]) -> BatchOut:
    ok = sum(1 for r in results if r["status"] == 200)
    return BatchOut(succeeded=ok, failed=len(results) - ok, results=results)


def _decide(runtime: Runtime) -> Callable[[BatchItem], Awaitable[Case]]:
    return lambda i: deciding.decide(runtime, i.case_id, DecisionIn(**i.model_dump(exclude={"case_id"})))


def _review(runtime: Runtime) -> Callable[[ReviewBatchItem], Awaitable[Case]]:
    return lambda i: reviewing.review(runtime, i.case_id, ReviewIn(**i.model_dump(exclude={"case_id"})))


@router.post(
    "/decisions:batch",
    response_model=BatchOut,
    summary="Decide many cases: each item its own transaction, results per item",
)
async def decide_batch(body: BatchIn, request: Request, principal: Decider) -> BatchOut:
    items = [as_caller(i, principal) for i in body.items]
    return _batch_out(await run_batch(items, _decide(runtime_of(request, "approval"))))


@router.post(
    "/reviews:batch",
    response_model=BatchOut,
    summary="Review many cases: each item its own transaction, results per item",
)
async def review_batch(body: ReviewBatchIn, request: Request, principal: Reviewer) -> BatchOut:
    items = [as_caller(i, principal) for i in body.items]
    return _batch_out(await run_batch(items, _review(runtime_of(request, "approval"))))


@router.post(
    "/cases/{case_id}/archive-override",
    response_model=CaseOut,
    summary="A county approver lets a case proceed without the archive items missing now (R-ARC-1)",
    description="Recorded with who, why, when and which items; an item that goes missing later blocks "
    "again. Nothing blocking: 409 `nothing-to-override`. Only `county_approver` (403 otherwise).",
)
async def override_archive(
    case_id: CaseId, body: ArchiveOverrideIn, request: Request, principal: CountyApprover
) -> CaseOut:
    await archiving.override(
        runtime_of(request, "approval"), case_id, actor=principal.subject, reason=body.reason
    )
    return await _case_out(request, case_id, principal)
