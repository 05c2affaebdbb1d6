"""Approval's use cases, one module per aggregate: review (审核, review.py), decision (审批, decision.py),
help first (help_first.py), townships' limits (limits.py), working-day calendars (calendars.py),
re-examination (reexamination.py) and complaints (complaints.py), with what the two share (contesting.py)."""

from __future__ import annotations

from services.approval import repository as repo
from services.approval.service.budgets import seed_budgets
from services.approval.service.calendars import seed_calendars
from services.approval.service.reexamination import seed_policies
from shared.runtime import Runtime


async def seed(runtime: Runtime) -> None:
    """On start: the illustrative limits (R-FLOW-3), the national calendars (R-FLOW-2) and the counties'
    re-examination windows (R-REX-1) of the seed."""
    async with runtime.transaction() as session:
        await repo.seed_limits(session)
        await seed_calendars(session)
        await seed_policies(session)
        await seed_budgets(session)  # R-OVS-3
