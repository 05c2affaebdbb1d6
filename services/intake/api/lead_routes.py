"""Leads of proactive discovery (主动发现, 快速响应; R-OVS-2): reported by other government systems (or a
township officer), worked by the township as visit tasks with a response-time target, then converted into
an application or closed with a reason. Routers only: parse, authorise, call the service, answer."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Path, Query, Request, Response, status
from pydantic import BaseModel

from services.intake.api import _view
from services.intake.domain.errors import LeadNotFound
from services.intake.domain.model import LeadSource, LeadStatus
from services.intake.repository import lead_queries as lq
from services.intake.schemas import (
    LeadApplicationIn,
    LeadAssignmentIn,
    LeadCloseIn,
    LeadContactIn,
    LeadConversionOut,
    LeadIn,
    LeadOut,
)
from services.intake.service import leads
from shared import clock
from shared.access import STAFF, ensure_covers, require, scope
from shared.api import PROBLEM_RESPONSES, runtime_of
from shared.auth import Principal, Role
from shared.errors import Forbidden
from shared.pagination import Page, decode_cursor, encode_cursor

router = APIRouter(tags=["leads"], responses=PROBLEM_RESPONSES)
"""Included under intake's ``/intake/v1`` router (services/intake/__init__.py)."""

LEAD_ID = r"^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$"
LeadId = Annotated[str, Path(pattern=LEAD_ID)]

Reporter = Annotated[Principal, Depends(require(Role.gov_system, Role.intake_clerk))]
Worker = Annotated[
    Principal,
    Depends(require(Role.intake_clerk, Role.township_reviewer, Role.township_approver, Role.county_approver)),
]
Clerk = Annotated[Principal, Depends(require(Role.intake_clerk))]
Reader = Annotated[Principal, Depends(require(*STAFF))]


@router.post(
    "/leads",
    status_code=status.HTTP_201_CREATED,
    response_model=LeadOut,
    summary="Report a lead: a household that may need help (proactive discovery, R-OVS-2)",
    description="From a government system (its token's subject is recorded as the reporter) or a township "
    "officer (`source=township_officer`). It becomes a visit task of the township with the county's "
    "response-time target (e.g. 24 hours for an emergency). A township that is not the city's: 422 naming "
    "`township_code`. The same `source_ref` from the same reporter again: 200 with the lead it already is "
    "(`Idempotent-Replayed: true`).",
)
async def report_lead(body: LeadIn, request: Request, response: Response, principal: Reporter) -> LeadOut:
    runtime = runtime_of(request, "intake")
    county = leads.county_of(body.township_code)
    if not principal.covers(county, body.township_code):
        raise Forbidden(f"township {body.township_code} is outside your jurisdiction")
    is_system = principal.has(Role.gov_system)
    if is_system == (body.source is LeadSource.township_officer):
        raise Forbidden(
            "source: a government system reports as itself, a township officer as township_officer (R-OVS-2)",
            slug="lead-source-not-yours",
            field="source",
            errors=[{"field": "source", "message": "does not match the caller's token"}],
        )
    lead, created = await leads.report(runtime, body, reported_by=principal.subject)
    response.headers["Location"] = f"/intake/v1/leads/{lead.id}"
    if not created:
        response.status_code = status.HTTP_200_OK
        response.headers["Idempotent-Replayed"] = "true"
    return leads.to_out(runtime, lead, clock.now())


@router.get(
    "/leads",
    response_model=Page[LeadOut],
    summary="Leads of the caller's jurisdiction, newest first; `overdue=true`: past target, no contact yet",
)
async def list_leads(
    request: Request,
    principal: Reader,
    county_code: Annotated[str | None, Query(pattern=r"^\d{6}$")] = None,
    township_code: Annotated[str | None, Query(pattern=r"^\d{9}$")] = None,
    status_: Annotated[LeadStatus | None, Query(alias="status")] = None,
    source: LeadSource | None = None,
    overdue: bool = False,
    cursor: Annotated[str | None, Query(max_length=200)] = None,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
) -> Page[LeadOut]:
    county_code, township_code = scope(principal, county_code, township_code)
    runtime = runtime_of(request, "intake")
    now = clock.now()
    async with runtime.reading() as session:
        rows = await lq.page(
            session,
            county_code=county_code,
            township_code=township_code,
            status=status_.value if status_ else None,
            source=source.value if source else None,
            overdue_at=now if overdue else None,
            after=decode_cursor(cursor) if cursor else None,
            limit=limit + 1,
        )
    items = [leads.to_out(runtime, r, now) for r in rows[:limit]]
    last = rows[limit - 1] if len(rows) > limit else None
    return Page[LeadOut](items=items, next_cursor=encode_cursor(last.received_at, last.id) if last else None)


class Announced(BaseModel):
    announced: int
    """How many overdue leads were announced now (LeadOverdue, once each)."""


@router.post(
    "/leads/overdue:check",
    response_model=Announced,
    summary="Announce overdue leads now (LeadOverdue, once per lead; also done every few minutes)",
)
async def check_overdue(request: Request, principal: Worker) -> Announced:
    return Announced(announced=await leads.announce_overdue(runtime_of(request, "intake")))


@router.get("/leads/{lead_id}", response_model=LeadOut, summary="One lead (personal data masked)")
async def get_lead(lead_id: LeadId, request: Request, principal: Reader) -> LeadOut:
    runtime = runtime_of(request, "intake")
    async with runtime.reading() as session:
        lead = await lq.get(session, lead_id)
        if lead is None:
            raise LeadNotFound(lead_id)
        ensure_covers(principal, lead.county_code, lead.township_code, "lead")
    return leads.to_out(runtime, lead, clock.now())


@router.post(
    "/leads/{lead_id}/assignment",
    response_model=LeadOut,
    summary="Name the officer of the township who visits",
    description="A converted or closed lead: 409 `lead-already-ended`.",
)
async def assign_lead(
    lead_id: LeadId, body: LeadAssignmentIn, request: Request, principal: Worker
) -> LeadOut:
    runtime = runtime_of(request, "intake")
    lead = await leads.assign(runtime, lead_id, body.assigned_to)
    return leads.to_out(runtime, lead, clock.now())


@router.post(
    "/leads/{lead_id}/first-contact",
    response_model=LeadOut,
    summary="Record the first contact (visit or call): the response time is measured to it",
    description="A converted or closed lead: 409 `lead-already-ended`; a second contact changes nothing.",
)
async def contact_lead(lead_id: LeadId, body: LeadContactIn, request: Request, principal: Worker) -> LeadOut:
    runtime = runtime_of(request, "intake")
    lead = await leads.contact(runtime, lead_id, by=principal.subject, note=body.note)
    return leads.to_out(runtime, lead, clock.now())


@router.post(
    "/leads/{lead_id}/closing",
    response_model=LeadOut,
    summary="Close a lead with a reason (no application follows)",
    description="Already converted into an application, or already closed: 409 `lead-already-ended`; help "
    "was granted at the scene on it (R-FLOW-2), so its application must follow: 409 `lead-had-scene-help`.",
)
async def close_lead(lead_id: LeadId, body: LeadCloseIn, request: Request, principal: Worker) -> LeadOut:
    runtime = runtime_of(request, "intake")
    lead = await leads.close(runtime, lead_id, by=principal.subject, reason=body.reason)
    return leads.to_out(runtime, lead, clock.now())


@router.post(
    "/leads/{lead_id}/application",
    status_code=status.HTTP_201_CREATED,
    response_model=LeadConversionOut,
    summary="Convert a lead into an application pre-filled from it; the lead links to the case",
    description="What the body leaves out is taken from the lead (applicant, phone, address, category, "
    "what was reported). The application is intake's own (repeat rule R-FLOW-5, duplicate flags, policy "
    "coverage R-AMT-3), its channel the lead's reporter; lead and application are written together or not "
    "at all. The application takes the case id reserved for the lead (`case_id`), so help granted at the "
    "scene (R-FLOW-2, `POST /approval/v1/leads/{id}/help-first`) is this case's and its decision completes "
    "that paperwork; an emergency case goes on to approval, where help first may also be granted at once. "
    "Already converted or closed: 409 `lead-already-ended`; another township: 409 "
    "`lead-application-elsewhere`.",
)
async def convert_lead(
    lead_id: LeadId, body: LeadApplicationIn, request: Request, response: Response, principal: Clerk
) -> LeadConversionOut:
    runtime = runtime_of(request, "intake")
    lead, application = await leads.convert(runtime, lead_id, body, by=principal.subject)
    response.headers["Location"] = f"/intake/v1/applications/{application.id}"
    return LeadConversionOut(
        lead=leads.to_out(runtime, lead, clock.now()),
        application=await _view(runtime, application.id, principal),
    )
