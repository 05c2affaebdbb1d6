"""The household service's oversight figures (R-OVS-1; 过程透明), from its own records only: notices owed
to households in the period by kind and by delivery status (sent, failed, no phone, opted out, queued),
and the cases it follows by public stage; and its state gauge, read when /metrics is scraped (cases by
public stage). Both from repository queries."""

from __future__ import annotations

from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from services.household import repository as repo
from shared.figures import Filters
from shared.observability import CASES_BY_STATE
from shared.runtime import Runtime


async def figures(session: AsyncSession, f: Filters) -> dict[str, Any]:
    by_kind: dict[str, dict[str, int]] = {}
    totals: dict[str, int] = {}
    for row in await repo.notice_counts(session, f):
        by_kind.setdefault(row.kind, {})[row.status] = row.notices
        totals[row.status] = totals.get(row.status, 0) + row.notices
    return {
        "totals": {"notices": sum(totals.values()), **totals},
        "by_kind": [{"kind": k, **v} for k, v in by_kind.items()],
        "cases_by_stage": await repo.stage_counts(session, f),
    }


async def state_gauges(runtime: Runtime) -> None:
    async with runtime.sessions() as session:
        counts = await repo.cases_by_stage(session)
    CASES_BY_STATE.replace(runtime.name, {(runtime.name, s): n for s, n in counts.items()})
