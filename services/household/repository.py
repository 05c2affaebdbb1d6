"""All of the household service's queries."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import and_, case, func, or_, select, update
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.engine import RowMapping
from sqlalchemy.ext.asyncio import AsyncSession

from services.household.tables import cases, notices, query_failures, subscribers, webhook_deliveries


async def merge_case(session: AsyncSession, case_id: str, **values: Any) -> RowMapping:
    """Create the case's row or update the given columns (events of several services arrive in any order);
    returns the row, locked for this transaction."""
    values = dict(values)
    values["updated_at"] = func.now()
    stmt = insert(cases).values(case_id=case_id, **values)
    stmt = stmt.on_conflict_do_update(index_elements=[cases.c.case_id], set_=values)
    await session.execute(stmt)
    row = (
        await session.execute(select(cases).where(cases.c.case_id == case_id).with_for_update())
    ).mappings()
    return row.one()


async def get_case(session: AsyncSession, case_id: str) -> RowMapping | None:
    return (await session.execute(select(cases).where(cases.c.case_id == case_id))).mappings().first()


async def case_by_number(session: AsyncSession, case_no: str) -> RowMapping | None:
    return (await session.execute(select(cases).where(cases.c.case_no == case_no))).mappings().first()


async def add_notice(session: AsyncSession, row: dict[str, Any]) -> None:
    await session.execute(notices.insert().values(**row))


async def notices_for(session: AsyncSession, case_id: str) -> list[RowMapping]:
    q = select(notices).where(notices.c.case_id == case_id).order_by(notices.c.created_at, notices.c.id)
    return list((await session.execute(q)).mappings())


async def has_notice(session: AsyncSession, case_id: str, kind: str) -> bool:
    q = select(notices.c.id).where(notices.c.case_id == case_id, notices.c.kind == kind).limit(1)
    return (await session.execute(q)).first() is not None


async def get_notice(session: AsyncSession, notice_id: str) -> RowMapping | None:
    return (await session.execute(select(notices).where(notices.c.id == notice_id))).mappings().first()


async def claim_due_notices(
    session: AsyncSession, limit: int, now: datetime, lease: float
) -> list[RowMapping]:
    """Queued notices due now, leased (``next_attempt_at`` moved on) so that another replica skips them."""
    q = (
        select(notices.c.id)
        .where(notices.c.status == "queued", notices.c.next_attempt_at <= now)
        .order_by(notices.c.next_attempt_at)
        .limit(limit)
        .with_for_update(skip_locked=True)
    )
    ids = list((await session.execute(q)).scalars())
    if not ids:
        return []
    await session.execute(
        update(notices).where(notices.c.id.in_(ids)).values(next_attempt_at=now + timedelta(seconds=lease))
    )
    rows = await session.execute(select(notices).where(notices.c.id.in_(ids)))
    return list(rows.mappings())


async def update_notice(session: AsyncSession, notice_id: str, values: dict[str, Any]) -> None:
    await session.execute(update(notices).where(notices.c.id == notice_id).values(**values))


async def set_opt_out(session: AsyncSession, case_id: str, opt_out: bool) -> None:
    await session.execute(update(cases).where(cases.c.case_id == case_id).values(sms_opt_out=opt_out))


# --- status queries: failed verifiers per source (rate limit) ---------------------------------------------


async def failures(session: AsyncSession, source: str) -> RowMapping | None:
    q = select(query_failures).where(query_failures.c.source == source)
    return (await session.execute(q)).mappings().first()


async def count_failure(session: AsyncSession, source: str, now: datetime, window: float) -> None:
    """One more failure in the source's window; a window older than ``window`` seconds starts again."""
    start = now - timedelta(seconds=window)
    stmt = insert(query_failures).values(source=source, failures=1, window_started_at=now)
    stmt = stmt.on_conflict_do_update(
        index_elements=[query_failures.c.source],
        set_={
            "failures": case(
                (query_failures.c.window_started_at < start, 1), else_=query_failures.c.failures + 1
            ),
            "window_started_at": case(
                (query_failures.c.window_started_at < start, now), else_=query_failures.c.window_started_at
            ),
        },
    )
    await session.execute(stmt)


# --- subscribers and webhook deliveries --------------------------------------------------------------------


async def add_subscriber(session: AsyncSession, row: dict[str, Any]) -> None:
    await session.execute(subscribers.insert().values(**row))


async def list_subscribers(session: AsyncSession) -> list[RowMapping]:
    q = select(subscribers).order_by(subscribers.c.created_at, subscribers.c.id)
    return list((await session.execute(q)).mappings())


async def subscribers_for(session: AsyncSession, county_code: str | None) -> list[RowMapping]:
    q = select(subscribers).where(
        subscribers.c.active,
        or_(subscribers.c.county_code.is_(None), subscribers.c.county_code == county_code),
    )
    return list((await session.execute(q)).mappings())


async def add_delivery(session: AsyncSession, row: dict[str, Any]) -> None:
    await session.execute(webhook_deliveries.insert().values(**row))


async def claim_due_deliveries(
    session: AsyncSession, limit: int, now: datetime, lease: float
) -> list[RowMapping]:
    d, s = webhook_deliveries, subscribers
    q = (
        select(d.c.id)
        .where(d.c.status == "pending", d.c.next_attempt_at <= now)
        .order_by(d.c.next_attempt_at)
        .limit(limit)
        .with_for_update(skip_locked=True)
    )
    ids = list((await session.execute(q)).scalars())
    if not ids:
        return []
    await session.execute(
        update(d).where(d.c.id.in_(ids)).values(next_attempt_at=now + timedelta(seconds=lease))
    )
    rows = await session.execute(
        select(d, s.c.url, s.c.secret, s.c.active)
        .join(s, and_(s.c.id == d.c.subscriber_id))
        .where(d.c.id.in_(ids))
    )
    return list(rows.mappings())


async def finish_delivery(session: AsyncSession, delivery_id: int, values: dict[str, Any]) -> None:
    await session.execute(
        update(webhook_deliveries).where(webhook_deliveries.c.id == delivery_id).values(**values)
    )


async def deliveries_for(session: AsyncSession, subscriber_id: str) -> list[RowMapping]:
    d = webhook_deliveries
    q = select(d).where(d.c.subscriber_id == subscriber_id).order_by(d.c.id)
    return list((await session.execute(q)).mappings())


async def cases_by_stage(session: AsyncSession) -> dict[str, int]:
    q = select(cases.c.stage, func.count()).group_by(cases.c.stage)
    return {str(stage): int(n) for stage, n in (await session.execute(q)).all()}
