"""All of the household service's queries (figure and gauge queries too); they return the typed entities
of ``domain/model.py``."""

from __future__ import annotations

from dataclasses import asdict
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import and_, case, func, or_, select, update
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.engine import RowMapping
from sqlalchemy.ext.asyncio import AsyncSession

from services.household.domain.model import (
    Case,
    Delivery,
    DeliveryStatus,
    DueDelivery,
    Notice,
    NoticeCount,
    NoticeStatus,
    QueryFailures,
    Stage,
    Subscriber,
)
from services.household.tables import cases, notices, query_failures, subscribers, webhook_deliveries
from shared.figures import Filters
from shared.retention import ClosedRows


def _case(row: RowMapping) -> Case:
    return Case(
        **{**row, "stage": Stage(row["stage"]), "facts": dict(row["facts"]), "missing": list(row["missing"])}
    )


def _notice(row: RowMapping) -> Notice:
    return Notice(**{**row, "status": NoticeStatus(row["status"])})


def _subscriber(row: RowMapping) -> Subscriber:
    return Subscriber(**row)


def _delivery(row: RowMapping) -> Delivery:
    values = {c.name: row[c.name] for c in webhook_deliveries.columns}
    return Delivery(**{**values, "status": DeliveryStatus(values["status"])})


async def merge_case(session: AsyncSession, case_id: str, **values: Any) -> Case:
    """Create the case's row or update the given columns (events of several services arrive in any order);
    returns the row, locked for this transaction (the upsert locks it; RETURNING answers in the same
    round trip)."""
    values = dict(values)
    values["updated_at"] = func.now()
    stmt = insert(cases).values(case_id=case_id, **values)
    upsert = stmt.on_conflict_do_update(index_elements=[cases.c.case_id], set_=values).returning(cases)
    return _case((await session.execute(upsert)).mappings().one())


async def get_case(session: AsyncSession, case_id: str) -> Case | None:
    row = (await session.execute(select(cases).where(cases.c.case_id == case_id))).mappings().first()
    return _case(row) if row else None


async def cases_of_applicant(session: AsyncSession, applicant_index: str) -> list[Case]:
    """The cases whose applicant has this ID-number blind index (a person's data, PIPL art. 45)."""
    query = select(cases).where(cases.c.applicant_index == applicant_index).order_by(cases.c.case_id)
    return [_case(r) for r in (await session.execute(query)).mappings()]


async def case_by_number(session: AsyncSession, case_no: str) -> Case | None:
    row = (await session.execute(select(cases).where(cases.c.case_no == case_no))).mappings().first()
    return _case(row) if row else None


async def add_notice(session: AsyncSession, row: dict[str, Any]) -> None:
    await session.execute(notices.insert().values(**row))


async def notices_for(session: AsyncSession, case_id: str) -> list[Notice]:
    q = select(notices).where(notices.c.case_id == case_id).order_by(notices.c.created_at, notices.c.id)
    return [_notice(r) for r in (await session.execute(q)).mappings()]


async def has_notice(session: AsyncSession, case_id: str, kind: str) -> bool:
    q = select(notices.c.id).where(notices.c.case_id == case_id, notices.c.kind == kind).limit(1)
    return (await session.execute(q)).first() is not None


async def get_notice(session: AsyncSession, notice_id: str) -> Notice | None:
    row = (await session.execute(select(notices).where(notices.c.id == notice_id))).mappings().first()
    return _notice(row) if row else None


async def claim_due_notices(session: AsyncSession, limit: int, now: datetime, lease: float) -> list[Notice]:
    """Queued notices due now, leased (``next_attempt_at`` moved on) so that another replica skips them."""
    q = (
        select(notices.c.id)
        .where(notices.c.status == NoticeStatus.queued, notices.c.next_attempt_at <= now)
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
    return [_notice(r) for r in rows.mappings()]


async def update_notice(session: AsyncSession, notice_id: str, values: dict[str, Any]) -> None:
    await session.execute(update(notices).where(notices.c.id == notice_id).values(**values))


async def set_opt_out(session: AsyncSession, case_id: str, opt_out: bool) -> None:
    await session.execute(update(cases).where(cases.c.case_id == case_id).values(sms_opt_out=opt_out))


# --- status queries: failed verifiers per source (rate limit) ---------------------------------------------


async def failures(session: AsyncSession, source: str) -> QueryFailures | None:
    q = select(query_failures).where(query_failures.c.source == source)
    row = (await session.execute(q)).mappings().first()
    return QueryFailures(**row) if row else None


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


async def add_subscriber(session: AsyncSession, subscriber: Subscriber) -> None:
    await session.execute(subscribers.insert().values(**asdict(subscriber)))


async def list_subscribers(session: AsyncSession) -> list[Subscriber]:
    q = select(subscribers).order_by(subscribers.c.created_at, subscribers.c.id)
    return [_subscriber(r) for r in (await session.execute(q)).mappings()]


async def subscribers_for(session: AsyncSession, county_code: str | None) -> list[Subscriber]:
    q = select(subscribers).where(
        subscribers.c.active,
        or_(subscribers.c.county_code.is_(None), subscribers.c.county_code == county_code),
    )
    return [_subscriber(r) for r in (await session.execute(q)).mappings()]


async def add_delivery(session: AsyncSession, row: dict[str, Any]) -> None:
    await session.execute(webhook_deliveries.insert().values(**row))


async def claim_due_deliveries(
    session: AsyncSession, limit: int, now: datetime, lease: float
) -> list[DueDelivery]:
    """Pending deliveries due now, leased (``next_attempt_at`` moved on) so that another replica skips
    them, each with its subscriber's URL, encrypted secret and whether it is still active."""
    d, s = webhook_deliveries, subscribers
    q = (
        select(d.c.id)
        .where(d.c.status == DeliveryStatus.pending, d.c.next_attempt_at <= now)
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
    return [
        DueDelivery(_delivery(r), url=r["url"], secret=r["secret"], active=r["active"])
        for r in rows.mappings()
    ]


async def finish_delivery(session: AsyncSession, delivery_id: int, values: dict[str, Any]) -> None:
    await session.execute(
        update(webhook_deliveries).where(webhook_deliveries.c.id == delivery_id).values(**values)
    )


async def deliveries_for(session: AsyncSession, subscriber_id: str) -> list[Delivery]:
    d = webhook_deliveries
    q = select(d).where(d.c.subscriber_id == subscriber_id).order_by(d.c.id)
    return [_delivery(r) for r in (await session.execute(q)).mappings()]


async def cases_by_stage(session: AsyncSession) -> dict[str, int]:
    q = select(cases.c.stage, func.count()).group_by(cases.c.stage)
    return {str(stage): int(n) for stage, n in (await session.execute(q)).all()}


# --- oversight figures (R-OVS-1) ---------------------------------------------------------------------------


async def notice_counts(session: AsyncSession, f: Filters) -> list[NoticeCount]:
    """Notices owed in the period and place of ``f`` (cases of its kind), by kind and delivery status."""
    n = notices
    where = and_(
        f.place(n.c.county_code, n.c.township_code),
        f.period(n.c.created_at),
        n.c.case_id.in_(select(cases.c.case_id).where(f.kind(cases.c.category, cases.c.subtype))),
    )
    q = (
        select(n.c.kind, n.c.status, func.count().label("notices"))
        .where(where)
        .group_by(n.c.kind, n.c.status)
        .order_by(n.c.kind, n.c.status)
    )
    return [
        NoticeCount(r["kind"], r["status"], int(r["notices"])) for r in (await session.execute(q)).mappings()
    ]


async def stage_counts(session: AsyncSession, f: Filters) -> dict[str, int]:
    """Cases of the place and kind of ``f`` by public stage."""
    q = (
        select(cases.c.stage, func.count())
        .where(f.place(cases.c.county_code, cases.c.township_code), f.kind(cases.c.category, cases.c.subtype))
        .group_by(cases.c.stage)
        .order_by(cases.c.stage)
    )
    return {str(stage): int(count) for stage, count in (await session.execute(q)).all()}


def retention_closed_cases() -> ClosedRows:
    """Retention (R-RET-2): (case_id, county_code, closed_at) of the decided cases."""
    return select(
        cases.c.case_id.label("case_id"),
        cases.c.county_code.label("county_code"),
        cases.c.decided_at.label("closed_at"),
    ).where(cases.c.decided_at.is_not(None), cases.c.county_code.is_not(None))
