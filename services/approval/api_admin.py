"""Approval's admin API: townships' delegated limits (R-FLOW-3) and working-day calendars (R-FLOW-2)."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Path, Query, Request
from pydantic import BaseModel

from services.approval import admin
from services.approval import repository as repo
from services.approval.admin import NATIONAL, CalendarIn, LimitIn
from services.approval.help_first import today
from shared.access import ADMIN, STAFF, ensure_county_level, ensure_covers, require
from shared.api import runtime_of
from shared.auth import Principal, Role
from shared.errors import Forbidden, NotFound

Reader = Annotated[Principal, Depends(require(*STAFF, Role.policy_admin))]
Admin = Annotated[Principal, Depends(require(*ADMIN))]

router = APIRouter(tags=["approval admin"])

Township = Annotated[str, Path(pattern=r"^\d{9}$")]
County = Annotated[str, Path(pattern=r"^\d{6}$")]
Year = Annotated[int, Path(ge=2000, le=2100)]


class LimitOut(BaseModel):
    county_code: str
    township_code: str
    effective_from: date
    approval_limit: str
    disbursement_limit: str
    actor: str | None
    created_at: datetime


class LimitsOut(BaseModel):
    township_code: str
    in_force: LimitOut | None
    history: list[LimitOut]


class CalendarOut(BaseModel):
    scope: str
    year: int
    holidays: list[date]
    workdays: list[date]
    source: str
    actor: str
    updated_at: datetime


def _limit(row: Any) -> LimitOut:
    return LimitOut(
        **{
            **row,
            "approval_limit": str(row["approval_limit"]),
            "disbursement_limit": str(row["disbursement_limit"]),
        }
    )


@router.get(
    "/townships/{township_code}/limits",
    response_model=LimitsOut,
    summary="A township's delegated approval and disbursement limits, in force and history (R-FLOW-3)",
)
async def limits(
    township_code: Township,
    request: Request,
    principal: Reader,
    on: Annotated[date | None, Query(ge=date(2000, 1, 1), le=date(2100, 12, 31))] = None,
) -> LimitsOut:
    ensure_covers(principal, township_code[:6], township_code, "township")
    async with runtime_of(request, "approval").reading() as session:
        current = await repo.township_limits_on(session, township_code, on or today())
        history = await repo.limit_history(session, township_code)
    return LimitsOut(
        township_code=township_code,
        in_force=_limit(current) if current else None,
        history=[_limit(r) for r in history],
    )


@router.post(
    "/townships/{township_code}/limits",
    response_model=LimitOut,
    status_code=201,
    summary="Set a new effective-dated version of a township's limits (by its county, R-FLOW-3)",
    description="County-level: a policy admin of the county (or the city); a township's admin gets 403.",
)
async def add_limit(township_code: Township, body: LimitIn, request: Request, principal: Admin) -> LimitOut:
    ensure_county_level(principal, township_code[:6], "township's limits")  # set by its county (R-FLOW-3)
    body = body.model_copy(update={"actor": principal.subject})
    return _limit(await admin.add_limit(runtime_of(request, "approval"), township_code, body))


@router.put(
    "/calendars/national/{year}",
    response_model=CalendarOut,
    summary="Load or replace the national holiday schedule of a year (R-FLOW-2)",
)
async def put_national(year: Year, body: CalendarIn, request: Request, principal: Admin) -> CalendarOut:
    if principal.county_code is not None:
        raise Forbidden("the national calendar is loaded by the city's administrators")
    body = body.model_copy(update={"actor": principal.subject})
    return CalendarOut(**await admin.put_calendar(runtime_of(request, "approval"), NATIONAL, year, body))


@router.put(
    "/calendars/counties/{county_code}/{year}",
    response_model=CalendarOut,
    summary="A county's amendments to the national calendar for a year (R-FLOW-2)",
    description="County-level: a policy admin of the county (or the city); a township's admin gets 403.",
)
async def put_county(
    county_code: County, year: Year, body: CalendarIn, request: Request, principal: Admin
) -> CalendarOut:
    ensure_county_level(principal, county_code, "county calendar")
    body = body.model_copy(update={"actor": principal.subject})
    return CalendarOut(**await admin.put_calendar(runtime_of(request, "approval"), county_code, year, body))


@router.get("/calendars/{scope}/{year}", response_model=CalendarOut, summary="A loaded schedule")
async def get_calendar(
    scope: Annotated[str, Path(pattern=r"^(national|\d{6})$")], year: Year, request: Request, _: Reader
) -> CalendarOut:
    async with runtime_of(request, "approval").reading() as session:
        row = await repo.calendar(session, scope, year)
    if row is None:
        raise NotFound(f"no {scope} schedule loaded for {year} (deadlines then count weekends only)")
    return CalendarOut(**row)


@router.get("/calendars/deadline", summary="Preview: the 10-working-day paperwork deadline (R-FLOW-2)")
async def preview_deadline(
    request: Request,
    _: Reader,
    county_code: Annotated[str, Query(pattern=r"^\d{6}$")],
    over_on: Annotated[date, Query(ge=date(2000, 1, 1), le=date(2100, 12, 31))],
) -> dict[str, Any]:
    from services.approval.domain.calendar import paperwork_deadline

    async with runtime_of(request, "approval").reading() as session:
        calendar = await admin.load_calendar(session, county_code, [over_on.year, over_on.year + 1])
    deadline, used = paperwork_deadline(calendar, over_on)
    return {"over_on": over_on, "deadline": deadline, "calendar": used}
