"""Complaints about handling (delay, conduct), R-REX-4: a ticket linked to the case with a deadline from the
county's policy, assigned to an officer, answered, closed; the ones past their deadline are listed for the
county. Each step one transaction, who acted taken from the token."""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from services.approval import repository as repo
from services.approval.domain.errors import ComplaintNotFound, ComplaintState
from services.approval.domain.model import Complaint, ComplaintStatus
from services.approval.domain.reexamination_rules import ANSWER, ASSIGN, CLOSE, TicketStep, due_on
from services.approval.schemas import AnswerIn, AssignIn, CloseIn, ComplaintIn
from services.approval.service import contesting
from services.approval.service.contesting import case_in_reach, policy_in_force
from shared import clock
from shared.access import guard
from shared.runtime import Runtime


async def file(runtime: Runtime, case_id: str, body: ComplaintIn, channel: str) -> Complaint:
    async with runtime.transaction() as session:
        case = await case_in_reach(session, case_id, for_update=True)
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


async def _reload(session: AsyncSession, complaint_id: str) -> Complaint:
    found = await repo.complaint(session, complaint_id)
    if found is None:
        raise RuntimeError("the row just written is missing from its own transaction")
    return found


async def _move(
    runtime: Runtime, complaint_id: str, step: TicketStep, actor: str | None, **values: Any
) -> Complaint:
    """One move of the ticket (R-REX-4), locked: refused (409) from a status it does not start from; who
    moved it and when are recorded as ``<status>_by`` / ``<status>_at``."""
    async with runtime.transaction() as session:
        found = await repo.complaint(session, complaint_id, for_update=True)
        if found is None:
            raise ComplaintNotFound(f"no complaint {complaint_id}")
        guard(found.county_code, found.township_code)
        if not step.allows(found.status):
            raise ComplaintState(complaint_id, found.status, step.refusal)
        moved = {"status": step.to.value, f"{step.to.value}_by": actor, f"{step.to.value}_at": clock.now()}
        await repo.update_complaint(session, complaint_id, **moved, **values)
        return await _reload(session, complaint_id)


async def assign(runtime: Runtime, complaint_id: str, body: AssignIn) -> Complaint:
    """Assigned (or re-assigned while unanswered) to the officer who will answer."""
    return await _move(runtime, complaint_id, ASSIGN, body.actor, assigned_to=body.assignee)


async def answer(runtime: Runtime, complaint_id: str, body: AnswerIn) -> Complaint:
    return await _move(runtime, complaint_id, ANSWER, body.actor, answer=body.answer)


async def close(runtime: Runtime, complaint_id: str, body: CloseIn) -> Complaint:
    """Closed once answered."""
    return await _move(runtime, complaint_id, CLOSE, body.actor)


async def for_case(runtime: Runtime, case_id: str) -> list[Complaint]:
    async with runtime.reading() as session:
        await case_in_reach(session, case_id)
        return await repo.complaints_for(session, case_id)


async def overdue(
    runtime: Runtime, county_code: str | None, township_code: str | None, limit: int
) -> list[Complaint]:
    """Complaints not answered by their deadline (the deadline day itself is still in time)."""
    return await contesting.overdue(runtime, repo.overdue_complaints, county_code, township_code, limit)
