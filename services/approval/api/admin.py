"""Approval's admin API: townships' delegated limits (R-FLOW-3) and working-day calendars (R-FLOW-2)."""

from __future__ import annotations

from dataclasses import asdict
from datetime import date
from typing import Annotated

from fastapi import APIRouter, Depends, Path, Query, Request

from services.approval.domain.model import CalendarYear, TownshipLimits
from services.approval.schemas import CalendarIn, CalendarOut, DeadlineOut, LimitIn, LimitOut, LimitsOut
from services.approval.service import calendars
from services.approval.service import limits as township_limits
from services.approval.service.calendars import NATIONAL
from shared.access import ADMIN, STAFF, ensure_county_level, ensure_covers, require
from shared.api import runtime_of
from shared.auth import Principal, Role
from shared.errors import Forbidden

Reader = Annotated[Principal, Depends(require(*STAFF, Role.policy_admin))]
Admin = Annotated[Principal, Depends(require(*ADMIN))]

router = APIRouter(tags=["approval admin"])

Township = Annotated[str, Path(pattern=r"^\d{9}$")]
County = Annotated[str, Path(pattern=r"^\d{6}$")]
Year = Annotated[int, Path(ge=2000, le=2100)]


def _limit(version: TownshipLimits) -> LimitOut:
    return LimitOut(
        **{
            **asdict(version),
            "approval_limit": str(version.approval_limit),
            "disbursement_limit": str(version.disbursement_limit),
        }
    )


def _calendar(year: CalendarYear) -> CalendarOut:
    return CalendarOut.model_validate(asdict(year))


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
    current, history = await township_limits.limits(runtime_of(request, "approval"), township_code, on)
    return LimitsOut(
        township_code=township_code,
        in_force=_limit(current) if current else None,
        history=[_limit(v) for v in history],
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
    return _limit(await township_limits.add_limit(runtime_of(request, "approval"), township_code, body))


@router.put(
    "/calendars/national/{year}",
    response_model=CalendarOut,
    summary="Load or replace the national holiday schedule of a year (R-FLOW-2)",
)
async def put_national(year: Year, body: CalendarIn, request: Request, principal: Admin) -> CalendarOut:
    if principal.county_code is not None:
        raise Forbidden("the national calendar is loaded by the city's administrators")
    body = body.model_copy(update={"actor": principal.subject})
    return _calendar(await calendars.put_calendar(runtime_of(request, "approval"), NATIONAL, year, body))


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
    return _calendar(await calendars.put_calendar(runtime_of(request, "approval"), county_code, year, body))


@router.get("/calendars/{scope}/{year}", response_model=CalendarOut, summary="A loaded schedule")
async def get_calendar(
    scope: Annotated[str, Path(pattern=r"^(national|\d{6})$")], year: Year, request: Request, _: Reader
) -> CalendarOut:
    return _calendar(await calendars.get_calendar(runtime_of(request, "approval"), scope, year))


@router.get(
    "/calendars/deadline",
    response_model=DeadlineOut,
    summary="Preview: the 10-working-day paperwork deadline (R-FLOW-2)",
)
async def preview_deadline(
    request: Request,
    _: Reader,
    county_code: Annotated[str, Query(pattern=r"^\d{6}$")],
    over_on: Annotated[date, Query(ge=date(2000, 1, 1), le=date(2100, 12, 31))],
) -> DeadlineOut:
    deadline, used = await calendars.preview_deadline(runtime_of(request, "approval"), county_code, over_on)
    return DeadlineOut(over_on=over_on, deadline=deadline, calendar=used)
