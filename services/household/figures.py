"""The household service's oversight figures (R-OVS-1; 过程透明), from its own records only: notices owed
to households in the period by kind and by delivery status (sent, failed, no phone, opted out, queued),
and the cases it follows by public stage."""

from __future__ import annotations

from typing import Any

from sqlalchemy import and_, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from services.household.tables import cases, notices
from shared.figures import Filters


async def figures(session: AsyncSession, f: Filters) -> dict[str, Any]:
    n = notices
    where = and_(
        f.place(n.c.county_code, n.c.township_code),
        f.period(n.c.created_at),
        n.c.case_id.in_(select(cases.c.case_id).where(f.kind(cases.c.category, cases.c.subtype))),
    )
    rows = (
        await session.execute(
            select(n.c.kind, n.c.status, func.count().label("notices"))
            .where(where)
            .group_by(n.c.kind, n.c.status)
            .order_by(n.c.kind, n.c.status)
        )
    ).mappings()
    by_kind: dict[str, dict[str, int]] = {}
    for r in rows:
        by_kind.setdefault(r["kind"], {})[r["status"]] = r["notices"]
    stages = (
        await session.execute(
            select(cases.c.stage, func.count())
            .where(
                f.place(cases.c.county_code, cases.c.township_code), f.kind(cases.c.category, cases.c.subtype)
            )
            .group_by(cases.c.stage)
            .order_by(cases.c.stage)
        )
    ).all()
    totals: dict[str, int] = {}
    for statuses in by_kind.values():
        for status, count in statuses.items():
            totals[status] = totals.get(status, 0) + count
    return {
        "totals": {"notices": sum(totals.values()), **totals},
        "by_kind": [{"kind": k, **v} for k, v in by_kind.items()],
        "cases_by_stage": {str(stage): int(count) for stage, count in stages},
    }
