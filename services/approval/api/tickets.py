"""Complaints about handling (delay, conduct), R-REX-4: tickets linked to the case, with deadlines from the
county's policy; filed by the township or a government system, assigned, answered and closed by deciders;
the overdue list for the county."""

from __future__ import annotations

from dataclasses import asdict
from typing import Annotated

from fastapi import APIRouter, Path, Request

from services.approval.api.caller import Decider, Overdue, Reader, Requester, channel_of
from services.approval.domain.model import Complaint
from services.approval.schemas import AnswerIn, AssignIn, CloseIn, ComplaintIn, ComplaintOut
from services.approval.service import complaints as handling
from shared.api import UUID_PATTERN, CaseId, runtime_of

router = APIRouter(tags=["complaints"])

ComplaintId = Annotated[str, Path(pattern=UUID_PATTERN)]


def complaint_out(c: Complaint) -> ComplaintOut:
    return ComplaintOut.model_validate(asdict(c))


@router.post(
    "/cases/{case_id}/complaints",
    response_model=ComplaintOut,
    status_code=201,
    summary="File a complaint about the handling of a case (delay, conduct), with its deadline (R-REX-4)",
    description="404 for an unknown or out-of-jurisdiction case; the deadline is the county's "
    "complaint_days after today (local).",
)
async def file(case_id: CaseId, body: ComplaintIn, request: Request, principal: Requester) -> ComplaintOut:
    body = body.model_copy(update={"actor": principal.subject})
    return complaint_out(
        await handling.file(runtime_of(request, "approval"), case_id, body, channel_of(principal))
    )


@router.get(
    "/cases/{case_id}/complaints", response_model=list[ComplaintOut], summary="A case's complaints (R-REX-4)"
)
async def list_for_case(case_id: CaseId, request: Request, principal: Reader) -> list[ComplaintOut]:
    return [complaint_out(c) for c in await handling.for_case(runtime_of(request, "approval"), case_id)]


@router.post(
    "/complaints/{complaint_id}/assignment",
    response_model=ComplaintOut,
    summary="Assign (or re-assign) an unanswered complaint to the officer who answers it (R-REX-4)",
    description="409 `complaint-state` once answered or closed; 404 for an unknown complaint.",
)
async def assign(
    complaint_id: ComplaintId, body: AssignIn, request: Request, principal: Decider
) -> ComplaintOut:
    body = body.model_copy(update={"actor": principal.subject})
    return complaint_out(await handling.assign(runtime_of(request, "approval"), complaint_id, body))


@router.post(
    "/complaints/{complaint_id}/answer",
    response_model=ComplaintOut,
    summary="Answer a complaint in writing (R-REX-4)",
    description="409 `complaint-state` once answered or closed; 404 for an unknown complaint.",
)
async def answer(
    complaint_id: ComplaintId, body: AnswerIn, request: Request, principal: Decider
) -> ComplaintOut:
    body = body.model_copy(update={"actor": principal.subject})
    return complaint_out(await handling.answer(runtime_of(request, "approval"), complaint_id, body))


@router.post(
    "/complaints/{complaint_id}/closure",
    response_model=ComplaintOut,
    summary="Close an answered complaint (R-REX-4)",
    description="409 `complaint-state` before it is answered or when already closed.",
)
async def close(
    complaint_id: ComplaintId, body: CloseIn, request: Request, principal: Decider
) -> ComplaintOut:
    body = body.model_copy(update={"actor": principal.subject})
    return complaint_out(await handling.close(runtime_of(request, "approval"), complaint_id, body))


@router.get(
    "/complaints/overdue",
    response_model=list[ComplaintOut],
    summary="Complaints not answered by their deadline, oldest deadline first (R-REX-4), in jurisdiction",
)
async def overdue(request: Request, principal: Reader, within: Overdue) -> list[ComplaintOut]:
    found = await handling.overdue(
        runtime_of(request, "approval"), within.county_code, within.township_code, within.limit
    )
    return [complaint_out(c) for c in found]
