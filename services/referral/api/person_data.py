"""A person's records held by referral (PIPL arts. 23, 45): the needs records made from the cases intake
names, their offers to partners, the scheme referrals, and the recipients list."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Request

from services.referral.api import desk, staff
from services.referral.service.recipients import recipients_of
from shared.access import PROTECTION, require
from shared.api import PROBLEM_RESPONSES, runtime_of
from shared.auth import Principal
from shared.person_data import PersonDataIn, PersonDataSection, Recipient, dumped, per_case

router = APIRouter(prefix="/referral/v1", tags=["referral"], responses=PROBLEM_RESPONSES)
Protector = Annotated[Principal, Depends(require(*PROTECTION))]
ABOUT = (
    "Called by intake (`POST /intake/v1/person-data/export`, `.../recipients`) with the caller's token; the "
    "ID number is in the body, never in a URL or a log. Unknown cases and cases outside the caller's "
    "jurisdiction are absent."
)


@router.post(
    "/person-data",
    response_model=PersonDataSection,
    summary="A person's records held by referral: needs records, offers, scheme referrals, recipients",
    description=ABOUT,
)
async def person_data(body: PersonDataIn, request: Request, principal: Protector) -> PersonDataSection:
    records = await per_case(body.case_ids, lambda c: staff.case_records(c, request, principal))
    offers = await per_case(body.case_ids, lambda c: staff.case_referrals(c, request, principal))
    schemes = await per_case(body.case_ids, lambda c: desk.case_scheme_referrals(c, request, principal))
    recipients = await recipients_of(runtime_of(request, "referral"), body.case_ids)
    return PersonDataSection(
        service="referral",
        records={
            "needs_records": dumped(records),
            "referrals": dumped(offers),
            "scheme_referrals": dumped(schemes),
            "recipients": [r.model_dump(mode="json") for r in recipients],
        },
    )


@router.post(
    "/person-data/recipients",
    response_model=list[Recipient],
    summary="Which partners received the person's data, what classes of it, when and on which consent "
    "(PIPL arts. 23, 45; R-CHA-2)",
    description=ABOUT,
)
async def person_recipients(body: PersonDataIn, request: Request, principal: Protector) -> list[Recipient]:
    return await recipients_of(runtime_of(request, "referral"), body.case_ids)
