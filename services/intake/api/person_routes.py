"""A person's rights over their data at the single window (PIPL arts. 23, 44-47): the staff-mediated export
of everything the six services hold about them (R-RIGHTS-1), the recipients list (R-RIGHTS-3), and correction
requests applied as amendments after a second officer's review (R-RIGHTS-2). The ID number is always in the
body, never in a URL or a log; every call is audit-logged by the runtime (who, which route, where)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Path, Request, status

from services.intake.adapters import peers
from services.intake.api import archive, get_application, list_home_visits, list_revisions
from services.intake.schemas import CorrectionIn, CorrectionOut, CorrectionReviewIn
from services.intake.service import corrections
from services.intake.service import person_data as own
from services.intake.settings import IntakeSettings
from shared import clock, idnumber
from shared.access import DECIDERS, PROTECTION, STAFF, require
from shared.api import PROBLEM_RESPONSES, CaseId, runtime_of
from shared.auth import Principal, Role
from shared.errors import Problem
from shared.person_data import (
    UUID_PATTERN,
    PersonDataIn,
    PersonDataSection,
    PersonExportOut,
    PersonIn,
    Recipient,
    dumped,
    per_case,
)

router = APIRouter(tags=["person data"], responses=PROBLEM_RESPONSES)
"""Included under intake's ``/intake/v1`` router (services/intake/__init__.py)."""

Protector = Annotated[Principal, Depends(require(*PROTECTION))]
Recorder = Annotated[Principal, Depends(require(Role.intake_clerk, *PROTECTION))]
CorrectionReader = Annotated[Principal, Depends(require(*STAFF, *PROTECTION))]
CorrectionReviewer = Annotated[Principal, Depends(require(*DECIDERS, *PROTECTION))]
CorrectionId = Annotated[str, Path(pattern=UUID_PATTERN, description="A correction request's id")]
PEER_FAILURE: dict[int | str, dict[str, Any]] = {
    502: {"description": "Another service could not answer for its part (problem+json)"}
}


class PeerFailed(Problem):
    status, slug, title = 502, "service-unavailable", "A service could not answer"


def _settings(request: Request) -> IntakeSettings:
    settings = runtime_of(request, "intake").settings
    if not isinstance(settings, IntakeSettings):
        raise TypeError("intake runs with IntakeSettings")
    return settings


async def _own_section(request: Request, principal: Principal, id_number: str) -> tuple[list[str], Any]:
    runtime = runtime_of(request, "intake")
    rows = await own.applications_of(runtime, id_number)
    ids = [r.id for r in rows]
    leads, fixes = await own.leads_and_corrections(runtime, id_number, ids)
    section = PersonDataSection(
        service="intake",
        records={
            "applications": dumped(await per_case(ids, lambda c: get_application(c, request, principal))),
            "stated": [own.stated(runtime, r, id_number) for r in rows],
            "revisions": dumped(await per_case(ids, lambda c: list_revisions(c, request, principal))),
            "archive": dumped(await per_case(ids, lambda c: archive(c, request, principal))),
            "home_visits": dumped(await per_case(ids, lambda c: list_home_visits(c, request, principal))),
            "leads": own.lead_records(runtime, leads),
            "corrections": fixes,
        },
    )
    return ids, section


@router.post(
    "/person-data",
    response_model=PersonDataSection,
    summary="A person's records held by intake: cases as stated, revisions, archive items, home visits, "
    "leads, corrections (PIPL art. 45)",
    description="The same contract as every service's `POST /<service>/v1/person-data`; `case_ids` are "
    "ignored here: intake finds the person by the blind index of the ID number.",
)
async def person_data(body: PersonDataIn, request: Request, principal: Protector) -> PersonDataSection:
    _, section = await _own_section(request, principal, body.id_number)
    return section


@router.post(
    "/person-data/export",
    response_model=PersonExportOut,
    responses=PEER_FAILURE,
    summary="Everything the six services hold about one person, in one document (PIPL art. 45, R-RIGHTS-1)",
    description="For the data-protection officer (role `data_protection_officer`), within their "
    "jurisdiction. Intake finds the person's cases by the blind index of the ID number and asks each other "
    "service for its records of them with the caller's token (base URLs: `INTAKE_PEER_URLS`; standalone: "
    "this process). An unknown person: an empty export. A service that cannot answer: 502 naming it — "
    "never a partial export.",
)
async def export(body: PersonIn, request: Request, principal: Protector) -> PersonExportOut:
    ids, section = await _own_section(request, principal, body.id_number)
    ask = PersonDataIn(id_number=body.id_number, case_ids=ids)
    try:
        others = await peers.ask_all(request, _settings(request), ask)
    except peers.PeerUnavailable as exc:
        raise PeerFailed(f"{exc.service} could not answer: {exc.why}", service=exc.service) from None
    sections = [section, *(PersonDataSection.model_validate(s) for s in others)]
    recipients = [
        Recipient.model_validate(r)
        for s in sections
        if s.service == "referral"
        for r in s.records["recipients"]
    ]
    return PersonExportOut(
        generated_at=clock.now(),
        id_number=idnumber.mask(body.id_number),
        case_ids=ids,
        sections=sections,
        recipients=recipients,
    )


@router.post(
    "/person-data/recipients",
    response_model=list[Recipient],
    responses=PEER_FAILURE,
    summary="Which partners received the person's data, what classes of it, when and on which consent "
    "(PIPL arts. 23, 45; R-RIGHTS-3)",
    description="From referral's sharing records of the person's cases (asked with the caller's token). An "
    "unknown person: an empty list.",
)
async def recipients(body: PersonIn, request: Request, principal: Protector) -> list[Recipient]:
    rows = await own.applications_of(runtime_of(request, "intake"), body.id_number)
    if not rows:
        return []
    ask = PersonDataIn(id_number=body.id_number, case_ids=[r.id for r in rows])
    try:
        found = await peers.ask_recipients(request, _settings(request), ask)
    except peers.PeerUnavailable as exc:
        raise PeerFailed(f"{exc.service} could not answer: {exc.why}", service=exc.service) from None
    return [Recipient.model_validate(r) for r in found]


@router.post(
    "/applications/{application_id}/corrections",
    status_code=status.HTTP_201_CREATED,
    response_model=CorrectionOut,
    summary="Record a person's request to correct one field of their data (PIPL art. 46, R-RIGHTS-2)",
    description="The corrected value is stored only encrypted and shown masked. A value that cannot be one "
    "(a phone that is not digits, an account of the wrong length): 422 naming `value`.",
)
async def request_correction(
    application_id: CaseId, body: CorrectionIn, request: Request, principal: Recorder
) -> CorrectionOut:
    runtime = runtime_of(request, "intake")
    row = await corrections.request(runtime, application_id, body, by=principal.subject)
    return corrections.to_out(runtime, row)


@router.get(
    "/applications/{application_id}/corrections",
    response_model=list[CorrectionOut],
    summary="A case's correction requests, oldest first, with their reviews (R-RIGHTS-2)",
)
async def list_corrections(
    application_id: CaseId, request: Request, principal: CorrectionReader
) -> list[CorrectionOut]:
    runtime = runtime_of(request, "intake")
    return [corrections.to_out(runtime, c) for c in await corrections.of_case(runtime, application_id)]


@router.post(
    "/applications/{application_id}/corrections/{correction_id}/review",
    response_model=CorrectionOut,
    summary="A second officer applies a correction (an amendment: a new revision, re-assessed) or refuses "
    "it with a reason (R-RIGHTS-2)",
    description="Four eyes: the officer who recorded the request: 409 `separation-of-duties`; a request "
    "reviewed already: 409 `correction-already-reviewed`; a case no longer amendable (review started): 409 "
    "`case-not-amendable` and the request stays open; a payee field of an application without a payee: 409 "
    "`no-payee-on-file`; a refusal without a reason: 422.",
)
async def review_correction(
    application_id: CaseId,
    correction_id: CorrectionId,
    body: CorrectionReviewIn,
    request: Request,
    principal: CorrectionReviewer,
) -> CorrectionOut:
    runtime = runtime_of(request, "intake")
    row = await corrections.review(runtime, application_id, correction_id, body, by=principal.subject)
    return corrections.to_out(runtime, row)
