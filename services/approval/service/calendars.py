"""Working-day calendars (R-FLOW-2): the national schedule of each year and counties' amendments, data with
an admin API and a seed; the paperwork deadline computed on them."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

from sqlalchemy.ext.asyncio import AsyncSession

from services.approval import repository as repo
from services.approval.domain.calendar import WorkCalendar, YearSchedule, check_year, paperwork_deadline
from services.approval.domain.errors import CalendarNotFound, CountyNotFound, InvalidValue
from services.approval.domain.model import CalendarYear
from services.approval.schemas import CalendarIn
from shared import clock
from shared.reference import jurisdictions
from shared.runtime import Runtime

SEED = Path(__file__).resolve().parents[1] / "domain" / "national_calendar.json"
NATIONAL = "national"


async def put_calendar(runtime: Runtime, scope: str, year: int, body: CalendarIn) -> CalendarYear:
    if scope != NATIONAL and scope not in {c["code"] for c in jurisdictions()["counties"]}:
        raise CountyNotFound(f"unknown county {scope}")
    problem = check_year(year, YearSchedule.of(body.holidays, body.workdays))
    if problem:
        raise InvalidValue("holidays", problem)
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


async def get_calendar(runtime: Runtime, scope: str, year: int) -> CalendarYear:
    async with runtime.reading() as session:
        found = await repo.calendar(session, scope, year)
    if found is None:
        raise CalendarNotFound(f"no {scope} schedule loaded for {year} (deadlines then count weekends only)")
    return found


async def load_calendar(session: AsyncSession, county_code: str, years: list[int]) -> WorkCalendar:
    rows = await repo.calendars_for(session, [NATIONAL, county_code], years)
    national = {r.year: YearSchedule.of(r.holidays, r.workdays) for r in rows if r.scope == NATIONAL}
    county = {r.year: YearSchedule.of(r.holidays, r.workdays) for r in rows if r.scope == county_code}
    return WorkCalendar(national=national, county=county, county_code=county_code)


async def preview_deadline(runtime: Runtime, county_code: str, over_on: date) -> tuple[date, str]:
    """R-FLOW-2: the deadline a declaration on ``over_on`` would set, and the calendar used."""
    async with runtime.reading() as session:
        calendar = await load_calendar(session, county_code, [over_on.year, over_on.year + 1])
    return paperwork_deadline(calendar, over_on)


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
