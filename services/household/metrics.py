"""The household service's state gauge, read when /metrics is scraped: the cases it follows by public
stage (accepted, documents_missing, under_review, help_first, approved, refused, paid, referred)."""

from __future__ import annotations

from services.household import repository as repo
from shared.observability import CASES_BY_STATE
from shared.runtime import Runtime


async def state_gauges(runtime: Runtime) -> None:
    async with runtime.sessions() as session:
        counts = await repo.cases_by_stage(session)
    CASES_BY_STATE.replace(runtime.name, {(runtime.name, s): n for s, n in counts.items()})
