"""Queries of the case's scheme referral events (its timeline, R-AID-1)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from services.intake.domain.model import SchemeReferralEvent
from services.intake.tables import scheme_referral_events


async def add_event(session: AsyncSession, row: dict[str, Any]) -> bool:
    """False when this event was kept before (a redelivery past the inbox changes nothing)."""
    stmt = insert(scheme_referral_events).values(**row).on_conflict_do_nothing(index_elements=["event_id"])
    result = await session.execute(stmt.returning(scheme_referral_events.c.id))
    return result.first() is not None


async def events_of(session: AsyncSession, application_id: str) -> list[SchemeReferralEvent]:
    e = scheme_referral_events.c
    query = select(scheme_referral_events).where(e.application_id == application_id).order_by(e.at, e.id)
    return [SchemeReferralEvent(**r) for r in (await session.execute(query)).mappings()]
