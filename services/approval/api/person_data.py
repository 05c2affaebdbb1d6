"""A person's records held by approval (PIPL art. 45): the cases intake names, as their staff views show
them — review and approval steps with reasons, help first, re-examinations and complaints."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Request

from services.approval.api import cases, reexaminations, tickets
from shared.access import PROTECTION, require
from shared.auth import Principal
from shared.person_data import PersonDataIn, PersonDataSection, dumped, per_case

router = APIRouter()
Protector = Annotated[Principal, Depends(require(*PROTECTION))]


@router.post(
    "/person-data",
    response_model=PersonDataSection,
    summary="A person's records held by approval: decisions, re-examinations, complaints (PIPL art. 45)",
    description="Called by intake's export with the caller's token; the ID number is in the body, never in "
    "a URL or a log. Unknown cases and cases outside the caller's jurisdiction are absent.",
)
async def person_data(body: PersonDataIn, request: Request, principal: Protector) -> PersonDataSection:
    found = await per_case(body.case_ids, lambda c: cases.get_case(c, request, principal))
    held = [case_id for case_id, _ in found]
    rex = await per_case(held, lambda c: reexaminations.list_for_case(c, request, principal))
    complaints = await per_case(held, lambda c: tickets.list_for_case(c, request, principal))
    return PersonDataSection(
        service="approval",
        records={
            "cases": dumped(found),
            "reexaminations": dumped(rex),
            "complaints": dumped(complaints),
        },
    )
