"""A person's records held by disbursement (PIPL art. 45): the payments of the cases intake names with their
attempts, and the account changes — payee names and accounts masked, as in every staff view."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Request

from services.disbursement.api import payment_routes
from shared.access import PROTECTION, require
from shared.auth import Principal
from shared.person_data import PersonDataIn, PersonDataSection, dumped, per_case

router = APIRouter()
Protector = Annotated[Principal, Depends(require(*PROTECTION))]


@router.post(
    "/person-data",
    response_model=PersonDataSection,
    summary="A person's records held by disbursement: payments and account changes, masked (PIPL art. 45)",
    description="Called by intake's export with the caller's token; the ID number is in the body, never in "
    "a URL or a log. Unknown cases and cases outside the caller's jurisdiction are absent.",
)
async def person_data(body: PersonDataIn, request: Request, principal: Protector) -> PersonDataSection:
    paid = await per_case(body.case_ids, lambda c: payment_routes.case_payments(c, request, principal))
    changes = await per_case(body.case_ids, lambda c: payment_routes.payee_changes(c, request, principal))
    return PersonDataSection(
        service="disbursement",
        records={
            "payments": dumped(paid),
            "payee_changes": dumped(changes),
        },
    )
