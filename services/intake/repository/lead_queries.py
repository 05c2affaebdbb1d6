"""Every query about leads (R-OVS-2), their figures' included; they return typed entities (domain/model.py)
or plain JSON-ready values, never rows."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, and_, func, or_, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.engine import RowMapping
from sqlalchemy.ext.asyncio import AsyncSession

from services.intake.domain.model import (
    Lead,
    LeadFigures,
    LeadSource,
    LeadSourceCounts,
    LeadStatus,
    LeadUrgency,
)
from services.intake.tables import leads
from shared import clock
from shared.figures import Filters

c = leads.c


def _lead(row: RowMapping) -> Lead:
    return Lead(
        **{
            **row,
            "source": LeadSource(row["source"]),
            "urgency": LeadUrgency(row["urgency"]),
            "status": LeadStatus(row["status"]),
        }
    )


async def add(session: AsyncSession, row: dict[str, Any]) -> Lead | None:
    """Insert; None when the same reporter already reported this ``source_ref`` (the same lead)."""
    result = await session.execute(
        pg_insert(leads)
        .values(**row)
        .on_conflict_do_nothing(index_elements=["reported_by", "source_ref"])
        .returning(leads)
    )
    inserted = result.mappings().first()
    return _lead(inserted) if inserted else None


async def by_source_ref(session: AsyncSession, reported_by: str, source_ref: str) -> Lead | None:
    query = select(leads).where(c.reported_by == reported_by, c.source_ref == source_ref)
    row = (await session.execute(query)).mappings().first()
    return _lead(row) if row else None


async def get(session: AsyncSession, lead_id: str, *, for_update: bool = False) -> Lead | None:
    query = select(leads).where(c.id == lead_id)
    if for_update:
        query = query.with_for_update()
    row = (await session.execute(query)).mappings().first()
    return _lead(row) if row else None


async def change(session: AsyncSession, lead_id: str, **values: Any) -> None:
    await session.execute(update(leads).where(c.id == lead_id).values(updated_at=clock.now(), **values))


def _overdue(now: datetime) -> ColumnElement[bool]:
    return and_(c.status == LeadStatus.open.value, c.first_contact_at.is_(None), c.due_at < now)


async def page(
    session: AsyncSession,
    *,
    county_code: str | None,
    township_code: str | None,
    status: str | None,
    source: str | None,
    overdue_at: datetime | None,
    after: tuple[datetime, str] | None,
    limit: int,
) -> list[Lead]:
    """Newest first, keyset on (received_at, id); ``overdue_at``: only those overdue at that instant."""
    conditions: list[ColumnElement[bool]] = []
    for column, value in (
        (c.county_code, county_code),
        (c.township_code, township_code),
        (c.status, status),
        (c.source, source),
    ):
        if value is not None:
            conditions.append(column == value)
    if overdue_at is not None:
        conditions.append(_overdue(overdue_at))
    if after:
        received, id_ = after
        conditions.append(or_(c.received_at < received, and_(c.received_at == received, c.id < id_)))
    query = select(leads).where(*conditions).order_by(c.received_at.desc(), c.id.desc()).limit(limit)
    return [_lead(r) for r in (await session.execute(query)).mappings()]


async def overdue_unannounced(session: AsyncSession, now: datetime, limit: int) -> list[Lead]:
    """Overdue leads not yet announced, locked (SKIP LOCKED: several replicas never announce one twice)."""
    query = (
        select(leads)
        .where(_overdue(now), c.overdue_notified_at.is_(None))
        .order_by(c.due_at, c.id)
        .limit(limit)
        .with_for_update(skip_locked=True)
    )
    return [_lead(r) for r in (await session.execute(query)).mappings()]


# --- figures (R-OVS-2): by source, time to first contact, conversion, overdue ---


def _where(f: Filters) -> ColumnElement[bool]:
    return and_(
        f.place(c.county_code, c.township_code),
        f.kind(c.category, c.subtype),
        f.period(c.received_at),
    )


async def figures(session: AsyncSession, f: Filters, now: datetime) -> LeadFigures:
    """Counts by source, conversion, the overdue count now and the seconds to first contact (p50/p90,
    PostgreSQL ``percentile_cont``, over leads with a first contact)."""
    wait = c.first_contact_at - c.received_at
    by_source = select(
        c.source,
        func.count().label("received"),
        func.count().filter(c.status == LeadStatus.converted.value).label("converted"),
        func.count().filter(c.status == LeadStatus.closed.value).label("closed"),
        func.count().filter(c.first_contact_at.is_not(None)).label("contacted"),
        func.count().filter(_overdue(now)).label("overdue"),
        func.count().filter(c.first_contact_at > c.due_at).label("contacted_late"),
    ).where(_where(f))
    rows = (await session.execute(by_source.group_by(c.source).order_by(c.source))).mappings()
    speed = (
        (
            await session.execute(
                select(
                    func.count(wait).label("measured"),
                    func.percentile_cont(0.5).within_group(wait).label("p50"),
                    func.percentile_cont(0.9).within_group(wait).label("p90"),
                ).where(_where(f))
            )
        )
        .mappings()
        .one()
    )
    return LeadFigures(
        by_source=[
            LeadSourceCounts(
                source=str(r["source"]),
                received=int(r["received"]),
                contacted=int(r["contacted"]),
                converted=int(r["converted"]),
                closed=int(r["closed"]),
                overdue=int(r["overdue"]),
                contacted_late=int(r["contacted_late"]),
            )
            for r in rows
        ],
        measured=int(speed["measured"]),
        median=speed["p50"],
        p90=speed["p90"],
    )


async def leads_of_person(session: AsyncSession, person_bidx: str, limit: int = 500) -> list[Lead]:
    """The leads about a person (by ID-number blind index), newest first (PIPL art. 45)."""
    query = select(leads).where(c.person_bidx == person_bidx).order_by(c.received_at.desc()).limit(limit)
    return [_lead(r) for r in (await session.execute(query)).mappings()]
