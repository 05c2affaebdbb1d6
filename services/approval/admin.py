"""Approval's configuration use cases: townships' delegated limits (R-FLOW-3) and working-day calendars
(R-FLOW-2), both data with an admin API."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, model_validator
from sqlalchemy.engine import RowMapping
from sqlalchemy.ext.asyncio import AsyncSession

from services.approval import repository as repo
from services.approval.domain.calendar import WorkCalendar, YearSchedule, check_year
from services.approval.service import NO_NUL, Actor
from shared import clock
from shared.errors import InvalidField, NotFound
from shared.money import Money
from shared.reference import jurisdictions, township_county
from shared.runtime import Runtime

SEED = Path(__file__).parent / "seed" / "national_calendar.json"
NATIONAL = "national"


class LimitIn(BaseModel):
    """A new effective-dated version of a township's delegation, set by its county (R-FLOW-3)."""

    model_config = ConfigDict(extra="forbid")
    county_code: Annotated[str, Field(pattern=r"^\d{6}$")]
    effective_from: Annotated[date, Field(ge=date(2000, 1, 1), le=date(2100, 12, 31))]
    approval_limit: Money
    disbursement_limit: Money
    actor: Actor = None


class CalendarIn(BaseModel):
    """One year's days off and make-up working days (调休)."""

    model_config = ConfigDict(extra="forbid")
    holidays: Annotated[list[date], Field(max_length=366)]
    workdays: Annotated[list[date], Field(max_length=366)] = []
    source: Annotated[str, Field(min_length=1, max_length=500, pattern=NO_NUL)]
    """e.g. the State Council notice, or the county's decision."""
    actor: Actor = None

    @model_validator(mode="after")
    def _distinct(self) -> CalendarIn:
        if set(self.holidays) & set(self.workdays):
            raise ValueError("a date cannot be both a holiday and a make-up working day")
        return self


async def add_limit(runtime: Runtime, township_code: str, body: LimitIn) -> RowMapping:
    if township_county(township_code) != body.county_code:
        raise InvalidField("county_code", f"township {township_code} is not in county {body.county_code}")
    async with runtime.transaction() as session:
        return await repo.add_limit(
            session,
            {
                "county_code": body.county_code,
                "township_code": township_code,
                "effective_from": body.effective_from,
                "approval_limit": body.approval_limit,
                "disbursement_limit": body.disbursement_limit,
                "actor": body.actor,
            },
        )


async def put_calendar(runtime: Runtime, scope: str, year: int, body: CalendarIn) -> RowMapping:
    if scope != NATIONAL and scope not in {c["code"] for c in jurisdictions()["counties"]}:
        raise NotFound(f"unknown county {scope}")
    problem = check_year(year, YearSchedule.of(body.holidays, body.workdays))
    if problem:
        raise InvalidField("holidays", problem)
    async with runtime.transaction() as session:
        await repo.put_calendar(
            session,
            {
                "scope": scope,
                "year": year,
                "holidays": sorted(d.isoformat() for d in set(body.holidays)),
                "workdays": sorted(d.isoformat() for d in set(body.workdays)),
                "source": body.source,
                "actor": body.actor,
                "updated_at": clock.now(),
            },
        )
        row = await repo.calendar(session, scope, year)
    if row is None:
        raise RuntimeError("the row just written is missing from its own transaction")
    return row


async def load_calendar(session: AsyncSession, county_code: str, years: list[int]) -> WorkCalendar:
    rows = await repo.calendars_for(session, [NATIONAL, county_code], years)
    national = {
        r["year"]: YearSchedule.of(r["holidays"], r["workdays"]) for r in rows if r["scope"] == NATIONAL
    }
    county = {
        r["year"]: YearSchedule.of(r["holidays"], r["workdays"]) for r in rows if r["scope"] == county_code
    }
    return WorkCalendar(national=national, county=county, county_code=county_code)


async def seed_calendars(session: AsyncSession) -> None:
    """Seed data (see the note in the JSON): the national schedules of the years it knows."""
    data = json.loads(SEED.read_text(encoding="utf-8"))
    for year, schedule in data["years"].items():
        await repo.seed_calendar(
            session,
            {
                "scope": NATIONAL,
                "year": int(year),
                "holidays": schedule["holidays"],
                "workdays": schedule["workdays"],
                "source": schedule["source"],
                "actor": "seed",
            },
        )
