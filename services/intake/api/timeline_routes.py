"""Intake's REST API: the case's timeline at the single window (R-OVS-2), with its referrals to government
schemes and their outcomes (R-AID-1)."""

from __future__ import annotations

from fastapi import APIRouter, Request

from services.intake import repository as repo
from services.intake.api import Reader
from services.intake.domain.errors import ApplicationNotFound
from services.intake.schemas import TimelineEntryOut
from services.intake.service.timeline import timeline
from shared.access import ensure_covers
from shared.api import PROBLEM_RESPONSES, CaseId, runtime_of

router = APIRouter(tags=["intake"], responses=PROBLEM_RESPONSES)


@router.get(
    "/applications/{application_id}/timeline",
    response_model=list[TimelineEntryOut],
    summary="The case's timeline, oldest first: submitted, review and approval, referrals to government "
    "schemes (due date, overdue, outcome with amount or reason)",
)
async def case_timeline(
    application_id: CaseId, request: Request, principal: Reader
) -> list[TimelineEntryOut]:
    async with runtime_of(request, "intake").reading() as session:
        case = await repo.get(session, application_id)
        if case is None:
            raise ApplicationNotFound(application_id)
        ensure_covers(principal, case.county_code, case.township_code, "application")
        return await timeline(session, case)
