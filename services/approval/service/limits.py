"""Townships' delegated limits (R-FLOW-3): effective-dated versions set by the county, data with an admin
API; the illustrative seed."""

from __future__ import annotations

from datetime import date

from services.approval import repository as repo
from services.approval.domain.errors import InvalidValue
from services.approval.domain.model import TownshipLimits
from services.approval.schemas import LimitIn
from shared import clock
from shared.reference import township_county
from shared.runtime import Runtime


async def add_limit(runtime: Runtime, township_code: str, body: LimitIn) -> TownshipLimits:
    if township_county(township_code) != body.county_code:
        raise InvalidValue("county_code", f"township {township_code} is not in county {body.county_code}")
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


async def limits(
    runtime: Runtime, township_code: str, on: date | None
) -> tuple[TownshipLimits | None, list[TownshipLimits]]:
    """The version in force on ``on`` (default: today, local), and every version."""
    async with runtime.reading() as session:
        current = await repo.township_limits_on(session, township_code, on or clock.local_today())
        return current, await repo.limit_history(session, township_code)
