"""A person's records held by household (PIPL art. 45): the cases intake names and those whose applicant
matches the person's blind index, with the phone notices go to and every notice sent or owed."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request

from services.household import service
from services.household.domain.model import Case
from services.household.schemas import NoticeOut
from shared.access import PROTECTION, require
from shared.api import runtime_of
from shared.auth import Principal
from shared.person_data import PersonDataIn, PersonDataSection
from shared.runtime import Runtime

router = APIRouter()
Protector = Annotated[Principal, Depends(require(*PROTECTION))]


def _case_record(runtime: Runtime, case: Case) -> dict[str, Any]:
    return {
        "case_id": case.case_id,
        "case_no": case.case_no,
        "stage": str(case.stage),
        "submitted_at": case.submitted_at.isoformat() if case.submitted_at else None,
        "decided_at": case.decided_at.isoformat() if case.decided_at else None,
        "missing": case.missing,
        "paid_total": str(case.paid_total),
        "phone": service.phone_on_file(runtime, case),
        "sms_opt_out": case.sms_opt_out,
    }


@router.post(
    "/person-data",
    response_model=PersonDataSection,
    summary="A person's records held by household: case status, phone on file, notices (PIPL art. 45)",
    description="Called by intake's export with the caller's token; the ID number is in the body, never in "
    "a URL or a log. Matches the named cases and the person's own blind index; unknown cases and cases "
    "outside the caller's jurisdiction are absent.",
)
async def person_data(body: PersonDataIn, request: Request, principal: Protector) -> PersonDataSection:
    runtime = runtime_of(request, "household")
    held = await service.person_cases(runtime, body.id_number, body.case_ids)
    return PersonDataSection(
        service="household",
        records={
            "cases": [_case_record(runtime, case) for case, _ in held],
            "notices": [
                NoticeOut.model_validate(n, from_attributes=True).model_dump(mode="json")
                for _, notices in held
                for n in notices
            ],
        },
    )
