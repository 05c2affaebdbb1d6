"""Intake's REST API: one window (一门受理) for walk-ins and other government systems."""

from __future__ import annotations

from datetime import date
from typing import Annotated

from fastapi import APIRouter, Header, Query, Request, Response, status

from services.intake import repository as repo
from services.intake import service
from services.intake.schemas import ApplicationIn, ApplicationOut, ConsentName
from shared.api import PROBLEM_RESPONSES, CaseId, runtime_of
from shared.contracts.common import Category
from shared.errors import NotFound
from shared.pagination import Page, decode_cursor, encode_cursor

router = APIRouter(prefix="/intake/v1", tags=["intake"], responses=PROBLEM_RESPONSES)


@router.post("/applications", status_code=status.HTTP_201_CREATED, response_model=ApplicationOut,
             summary="Submit an application (walk-in or from another government system)")
async def submit_application(
    body: ApplicationIn, request: Request, response: Response,
    idempotency_key: Annotated[str | None, Header(alias="Idempotency-Key", max_length=200)] = None,
) -> ApplicationOut:
    runtime = runtime_of(request, "intake")
    row, created = await service.submit_application(runtime, body, idempotency_key=idempotency_key)
    response.headers["Location"] = f"/intake/v1/applications/{row['id']}"
    if not created:
        response.headers["Idempotent-Replayed"] = "true"
    return service.to_out(runtime, row)


@router.get("/applications/{application_id}", response_model=ApplicationOut, summary="One application")
async def get_application(application_id: CaseId, request: Request) -> ApplicationOut:
    runtime = runtime_of(request, "intake")
    async with runtime.reading() as session:
        row = await repo.get(session, application_id)
    if row is None:
        raise NotFound(f"application {application_id} not found")
    return service.to_out(runtime, row)


@router.get("/applications", response_model=Page[ApplicationOut], summary="List applications, newest first")
async def list_applications(
    request: Request,
    county_code: Annotated[str | None, Query(pattern=r"^\d{6}$")] = None,
    township_code: Annotated[str | None, Query(pattern=r"^\d{9}$")] = None,
    status_: Annotated[str | None, Query(alias="status", max_length=32)] = None,
    category: Category | None = None,
    submitted_from: date | None = None,
    submitted_to: date | None = None,
    cursor: Annotated[str | None, Query(max_length=200)] = None,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
) -> Page[ApplicationOut]:
    runtime = runtime_of(request, "intake")
    async with runtime.reading() as session:
        rows = await repo.page(session, county_code=county_code, township_code=township_code, status=status_,
                               category=category.value if category else None, submitted_from=submitted_from,
                               submitted_to=submitted_to, after=decode_cursor(cursor) if cursor else None,
                               limit=limit + 1)
    items = [service.to_out(runtime, r) for r in rows[:limit]]
    next_cursor = encode_cursor(rows[limit - 1]["created_at"], rows[limit - 1]["id"]) if len(rows) > limit else None
    return Page[ApplicationOut](items=items, next_cursor=next_cursor)


@router.post("/applications/{application_id}/consents/{consent}/withdrawal", response_model=ApplicationOut,
             summary="Withdraw a consent (R-CHA-2); published as ConsentWithdrawn")
async def withdraw_consent(application_id: CaseId, consent: ConsentName,
                           request: Request) -> ApplicationOut:
    runtime = runtime_of(request, "intake")
    return service.to_out(runtime, await service.withdraw_consent(runtime, application_id, consent))
