"""What re-examinations (复核) and complaints (R-REX-1..4) share: the case they are about, within the
caller's reach; the county's effective-dated windows and deadlines; the list of those past their deadline."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import date
from typing import TypeVar

from sqlalchemy.ext.asyncio import AsyncSession

from services.approval import repository as repo
from services.approval.domain.errors import CaseNotFound, NoReexaminationPolicy
from services.approval.domain.model import Case, ReexaminationPolicy
from shared import clock
from shared.access import guard
from shared.runtime import Runtime

Ticket = TypeVar("Ticket")
OverdueQuery = Callable[..., Awaitable[list[Ticket]]]
"""``repo.overdue_reexaminations`` or ``repo.overdue_complaints``: (session, on, county_code=,
township_code=, limit=)."""


async def case_in_reach(session: AsyncSession, case_id: str, *, for_update: bool = False) -> Case:
    """The case, within the caller's jurisdiction (else the same 404 as an unknown case)."""
    case = await repo.get(session, case_id, for_update=for_update)
    if case is None:
        raise CaseNotFound(f"case {case_id} has not reached approval (yet)")
    guard(case.county_code, case.township_code)
    return case


async def policy_in_force(session: AsyncSession, county_code: str) -> ReexaminationPolicy:
    """The county's windows and deadlines today (R-REX-1, R-REX-4); none in force: refused, never
    defaulted."""
    policy = await repo.reexamination_policy_on(session, county_code, clock.local_today())
    if policy is None:
        raise NoReexaminationPolicy(county_code)
    return policy


async def overdue(
    runtime: Runtime,
    query: OverdueQuery[Ticket],
    county_code: str | None,
    township_code: str | None,
    limit: int,
) -> list[Ticket]:
    """Those past their deadline as of today (local; the deadline day itself is still in time), oldest
    deadline first, in the given county/township."""
    today: date = clock.local_today()
    async with runtime.reading() as session:
        return await query(session, today, county_code=county_code, township_code=township_code, limit=limit)
