"""The household service's REST API under /household/v1: status queries for government systems (政务服务平台,
12345), a case's notices and decision letters for staff (jurisdiction-scoped), SMS opt-out, and the
registry of government systems subscribed to status pushes."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Path, Request
from fastapi.responses import Response

from services.household import service
from services.household.api.asyncapi_doc import status_asyncapi
from services.household.domain.errors import TooManyFailedQueries
from services.household.schemas import (
    NoticeOut,
    OptOutIn,
    OptOutOut,
    StatusOut,
    StatusQueryIn,
    SubscriberCreated,
    SubscriberIn,
    SubscriberOut,
)
from shared.access import STAFF, require
from shared.api import PROBLEM_RESPONSES, UUID_PATTERN, CaseId, runtime_of
from shared.auth import Principal, Role
from shared.errors import Problem
from shared.runtime import Runtime

router = APIRouter(prefix="/household/v1", tags=["household"], responses=PROBLEM_RESPONSES)

GovSystem = Annotated[Principal, Depends(require(Role.gov_system))]
Reader = Annotated[Principal, Depends(require(*STAFF))]
Township = Annotated[Principal, Depends(require(Role.intake_clerk, Role.township_reviewer))]
Admin = Annotated[Principal, Depends(require(Role.policy_admin))]
Subscriber = Annotated[Principal, Depends(require(Role.gov_system, *STAFF))]
NoticeId = Annotated[str, Path(pattern=UUID_PATTERN, description="The notice id")]
PROBLEM_JSON = {"content": {"application/problem+json": {"schema": {"type": "object"}}}}
"""A route's own description of an error status keeps the problem+json media type of PROBLEM_RESPONSES."""


def _runtime(request: Request) -> Runtime:
    return runtime_of(request, "household")


class TooManyFailures(Problem):
    """429 with ``Retry-After``: the rate limit of failed status queries is an HTTP matter."""

    status, slug, title = 429, TooManyFailedQueries.slug, TooManyFailedQueries.title


@router.post(
    "/status-queries",
    response_model=StatusOut,
    summary="A case's public-safe status, for a government service platform (case number + verifier)",
    responses={
        404: {
            "description": "Unknown case number, or a verifier that does not match: the same answer",
            **PROBLEM_JSON,
        },
        429: {"description": "Too many failed queries from this system (Retry-After)", **PROBLEM_JSON},
    },
)
async def status_query(body: StatusQueryIn, request: Request, principal: GovSystem) -> StatusOut:
    try:
        view = await service.query_status(_runtime(request), principal.subject, body.case_no, body.id_number)
    except TooManyFailedQueries as refused:
        problem = TooManyFailures(refused.detail)
        problem.headers = {"Retry-After": str(refused.retry_after)}
        raise problem from None
    return StatusOut(**view)


@router.get(
    "/cases/{case_id}/notices",
    response_model=list[NoticeOut],
    summary="The notices sent (or owed) to a case's household, with their delivery status",
)
async def case_notices(case_id: CaseId, request: Request, principal: Reader) -> list[NoticeOut]:
    notices = await service.case_notices(_runtime(request), case_id)
    return [NoticeOut.model_validate(n, from_attributes=True) for n in notices]


@router.get(
    "/notices/{notice_id}/letter",
    summary="The printable decision letter of a notice (救助决定书 / 不予救助决定书), PDF",
    response_class=Response,
    responses={200: {"content": {"application/pdf": {}}, "description": "The letter (PDF)"}},
)
async def notice_letter(notice_id: NoticeId, request: Request, principal: Reader) -> Response:
    pdf = await service.notice_letter(_runtime(request), notice_id)
    return Response(
        pdf,
        media_type="application/pdf",
        headers={"content-disposition": f'inline; filename="notice-{notice_id}.pdf"'},
    )


@router.put(
    "/cases/{case_id}/sms-opt-out",
    response_model=OptOutOut,
    summary="Record the household's choice to receive (or not) SMS notices; letters are still printed",
)
async def sms_opt_out(case_id: CaseId, body: OptOutIn, request: Request, principal: Township) -> OptOutOut:
    case = await service.set_opt_out(_runtime(request), case_id, body.opt_out)
    return OptOutOut(case_id=case.case_id, sms_opt_out=case.sms_opt_out)


@router.post(
    "/subscribers",
    response_model=SubscriberCreated,
    status_code=201,
    summary="Register a government system for status pushes (Standard Webhooks); the secret is shown once",
    responses={
        422: {"description": "The URL may not be called: only https to a public host (SSRF)", **PROBLEM_JSON}
    },
)
async def add_subscriber(body: SubscriberIn, request: Request, principal: Admin) -> SubscriberCreated:
    subscriber, secret = await service.add_subscriber(
        _runtime(request), body.name, body.url, body.county_code
    )
    out = SubscriberOut.model_validate(subscriber, from_attributes=True)
    return SubscriberCreated(**out.model_dump(), secret=secret)


@router.get("/subscribers", response_model=list[SubscriberOut], summary="Government systems subscribed")
async def list_subscribers(request: Request, principal: Admin) -> list[SubscriberOut]:
    subscribers = await service.list_subscribers(_runtime(request))
    return [SubscriberOut.model_validate(s, from_attributes=True) for s in subscribers]


@router.get("/asyncapi.json", summary="AsyncAPI 3 document of the status pushes (Kafka topic and webhook)")
async def asyncapi(request: Request, principal: Subscriber) -> dict[str, Any]:
    return status_asyncapi(_runtime(request))


# --- a person's records (PIPL art. 45) ---
from services.household.api import person_data  # noqa: E402 - the person-data block, kept apart for merges

router.include_router(person_data.router)
