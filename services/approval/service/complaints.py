"""Complaints about handling (delay, conduct), R-REX-4: a ticket linked to the case with a deadline from the
county's policy, assigned to an officer, answered, closed; the ones past their deadline are listed for the
county. Each step one transaction, who acted taken from the token."""

from __future__ import annotations

import uuid

from sqlalchemy.ext.asyncio import AsyncSession

from services.approval import repository as repo
from services.approval.domain.errors import CaseNotFound, ComplaintNotFound, ComplaintState
from services.approval.domain.model import Complaint, ComplaintStatus
from services.approval.domain.reexamination_rules import due_on
from services.approval.schemas import AnswerIn, AssignIn, CloseIn, ComplaintIn
from services.approval.service.reexamination import policy_in_force
from shared import clock
from shared.access import guard
from shared.runtime import Runtime

WAITING = (ComplaintStatus.open, ComplaintStatus.assigned)


async def file(runtime: Runtime, case_id: str, body: ComplaintIn, channel: str) -> Complaint:
    async with runtime.transaction() as session:
        case = await repo.get(session, case_id, for_update=True)
        if case is None:
            raise CaseNotFound(f"case {case_id} has not reached approval (yet)")
        guard(case.county_code, case.township_code)
        if body.actor is None:
            raise RuntimeError("a complaint names who filed it (the API sets the actor from the token)")
        policy = await policy_in_force(session, case.county_code)
        complaint_id = str(uuid.uuid4())
        await repo.add_complaint(
            session,
            {
                "id": complaint_id,
                "case_id": case_id,
                "county_code": case.county_code,
                "township_code": case.township_code,
                "topic": body.topic.value,
                "summary": body.summary,
                "channel": channel,
                "filed_by": body.actor,
                "filed_at": clock.now(),
                "deadline": due_on(clock.local_today(), policy.complaint_days),
                "status": ComplaintStatus.open.value,
            },
        )
        return await _reload(session, complaint_id)


async def _locked(session: AsyncSession, complaint_id: str) -> Complaint:
    found = await repo.complaint(session, complaint_id, for_update=True)
    if found is None:
        raise ComplaintNotFound(f"no complaint {complaint_id}")
    guard(found.county_code, found.township_code)
    return found


async def _reload(session: AsyncSession, complaint_id: str) -> Complaint:
    found = await repo.complaint(session, complaint_id)
    if found is None:
        raise RuntimeError("the row just written is missing from its own transaction")
    return found


async def assign(runtime: Runtime, complaint_id: str, body: AssignIn) -> Complaint:
    """Assigned (or re-assigned while unanswered) to the officer who will answer."""
    async with runtime.transaction() as session:
        found = await _locked(session, complaint_id)
        if found.status not in WAITING:
            raise ComplaintState(complaint_id, found.status, "assign it")
        await repo.update_complaint(
            session,
            complaint_id,
            status=ComplaintStatus.assigned.value,
            assigned_to=body.assignee,
            assigned_by=body.actor,
            assigned_at=clock.now(),
        )
        return await _reload(session, complaint_id)


async def answer(runtime: Runtime, complaint_id: str, body: AnswerIn) -> Complaint:
    async with runtime.transaction() as session:
        found = await _locked(session, complaint_id)
        if found.status not in WAITING:
            raise ComplaintState(complaint_id, found.status, "answer it")
        await repo.update_complaint(
            session,
            complaint_id,
            status=ComplaintStatus.answered.value,
            answer=body.answer,
            answered_by=body.actor,
            answered_at=clock.now(),
        )
        return await _reload(session, complaint_id)


async def close(runtime: Runtime, complaint_id: str, body: CloseIn) -> Complaint:
    """Closed once answered."""
    async with runtime.transaction() as session:
        found = await _locked(session, complaint_id)
        if found.status is not ComplaintStatus.answered:
            raise ComplaintState(complaint_id, found.status, "close it before it is answered")
        await repo.update_complaint(
            session,
            complaint_id,
            status=ComplaintStatus.closed.value,
            closed_by=body.actor,
            closed_at=clock.now(),
        )
        return await _reload(session, complaint_id)


async def for_case(runtime: Runtime, case_id: str) -> list[Complaint]:
    async with runtime.reading() as session:
        case = await repo.get(session, case_id)
        if case is None:
            raise CaseNotFound(f"case {case_id} has not reached approval (yet)")
        guard(case.county_code, case.township_code)
        return await repo.complaints_for(session, case_id)


async def overdue(
    runtime: Runtime, county_code: str | None, township_code: str | None, limit: int
) -> list[Complaint]:
    """Complaints not answered by their deadline (the deadline day itself is still in time)."""
    async with runtime.reading() as session:
        return await repo.overdue_complaints(
            session, clock.local_today(), county_code=county_code, township_code=township_code, limit=limit
        )
