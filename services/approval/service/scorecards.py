"""Supervision (R-OVS-1, R-FLOW-3): the county's targets per year, each township's scorecard from approval's
own records, and the findings and actions the results led to (结果运用)."""

from __future__ import annotations

from datetime import date

from services.approval import repository as repo
from services.approval.domain.scorecard import Finding, Score, Target, TownshipTally, score
from services.approval.schemas import FindingIn, TargetIn
from shared import clock
from shared.reference import jurisdictions
from shared.runtime import Runtime


def _townships(county_code: str) -> list[str]:
    county = next((c for c in jurisdictions()["counties"] if c["code"] == county_code), None)
    return [t["code"] for t in county["townships"]] if county else []


async def scorecards(
    runtime: Runtime, county_code: str, year: int, township_code: str | None
) -> tuple[list[Target], list[tuple[TownshipTally, list[Score], list[Finding]]]]:
    """Every township of the county (or one), scored against the year's targets, with its findings."""
    today = clock.local_today()
    as_of = min(today, date(year, 12, 31))
    async with runtime.reading() as session:
        targets = await repo.targets_for(session, county_code, year)
        tallies = {t.township_code: t for t in await repo.township_tallies(session, county_code, year, as_of)}
        found = await repo.findings(session, county_code, year, township_code)
    wanted = {t.indicator: t.target for t in targets}
    codes = [township_code] if township_code else sorted({*_townships(county_code), *tallies})
    cards = []
    for code in codes:
        tally = tallies.get(code) or TownshipTally(code, 0, 0, None, 0, 0, 0, 0)
        cards.append((tally, score(tally, wanted), [f for f in found if f.township_code == code]))
    return targets, cards


async def put_target(runtime: Runtime, county_code: str, year: int, body: TargetIn) -> Target:
    async with runtime.transaction() as session:
        return await repo.put_target(
            session,
            {
                "county_code": county_code,
                "year": year,
                "indicator": body.indicator.value,
                "target": body.target,
                "actor": body.actor,
            },
        )


async def add_finding(runtime: Runtime, county_code: str, body: FindingIn) -> Finding:
    async with runtime.transaction() as session:
        return await repo.add_finding(
            session,
            {
                "county_code": county_code,
                "township_code": body.township_code,
                "year": body.year,
                "indicator": body.indicator.value if body.indicator else None,
                "finding": body.finding,
                "action": body.action,
                "follow_up_on": body.follow_up_on,
                "actor": body.actor,
            },
        )
