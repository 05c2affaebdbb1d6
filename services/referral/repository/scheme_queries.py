"""Queries of government-scheme referrals and the referral desk's suggestions (R-AID-1)."""

from __future__ import annotations

from datetime import date
from typing import Any

from sqlalchemy import func, select, update
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from services.referral.domain.model import SchemeReferral, Suggestion
from services.referral.domain.schemes import UNANSWERED, SuggestionStatus
from services.referral.repository import _all, _one
from services.referral.tables import scheme_referrals, scheme_suggestions


async def insert_referral(session: AsyncSession, row: dict[str, Any]) -> SchemeReferral | None:
    """None when the case's need was referred to this scheme before (one referral per need and scheme)."""
    stmt = insert(scheme_referrals).values(**row).on_conflict_do_nothing().returning(scheme_referrals)
    return await _one(session, SchemeReferral, stmt)


async def get_referral(
    session: AsyncSession, referral_id: str, *, lock: bool = False
) -> SchemeReferral | None:
    query = select(scheme_referrals).where(scheme_referrals.c.id == referral_id)
    return await _one(session, SchemeReferral, query.with_for_update() if lock else query)


async def update_referral(session: AsyncSession, referral_id: str, values: dict[str, Any]) -> SchemeReferral:
    query = (
        update(scheme_referrals)
        .where(scheme_referrals.c.id == referral_id)
        .values(**values, updated_at=func.now())
        .returning(scheme_referrals)
    )
    result = await _one(session, SchemeReferral, query)
    if result is None:
        raise RuntimeError("the scheme referral updated is missing")
    return result


async def referrals_of_case(session: AsyncSession, case_id: str) -> list[SchemeReferral]:
    query = (
        select(scheme_referrals)
        .where(scheme_referrals.c.case_id == case_id)
        .order_by(scheme_referrals.c.created_at, scheme_referrals.c.id)
    )
    return await _all(session, SchemeReferral, query)


async def referrals_of_partner(session: AsyncSession, partner_id: str, limit: int) -> list[SchemeReferral]:
    query = (
        select(scheme_referrals)
        .where(scheme_referrals.c.partner_id == partner_id)
        .order_by(scheme_referrals.c.due_on, scheme_referrals.c.id)
        .limit(limit)
    )
    return await _all(session, SchemeReferral, query)


async def add_suggestion(session: AsyncSession, row: dict[str, Any]) -> Suggestion | None:
    stmt = insert(scheme_suggestions).values(**row).on_conflict_do_nothing().returning(scheme_suggestions)
    return await _one(session, Suggestion, stmt)


async def suggestions(
    session: AsyncSession, county_code: str | None, township_code: str | None, status: str | None, limit: int
) -> list[Suggestion]:
    query = select(scheme_suggestions).order_by(scheme_suggestions.c.created_at, scheme_suggestions.c.id)
    if county_code is not None:
        query = query.where(scheme_suggestions.c.county_code == county_code)
    if township_code is not None:
        query = query.where(scheme_suggestions.c.township_code == township_code)
    if status is not None:
        query = query.where(scheme_suggestions.c.status == status)
    return await _all(session, Suggestion, query.limit(limit))


async def suggestions_of_case(session: AsyncSession, case_id: str) -> list[Suggestion]:
    query = select(scheme_suggestions).where(scheme_suggestions.c.case_id == case_id)
    return await _all(session, Suggestion, query.order_by(scheme_suggestions.c.created_at))


async def mark_referred(session: AsyncSession, case_id: str, scheme: str, referral_id: str) -> None:
    await session.execute(
        update(scheme_suggestions)
        .where(
            scheme_suggestions.c.case_id == case_id,
            scheme_suggestions.c.scheme == scheme,
            scheme_suggestions.c.status == SuggestionStatus.open,
        )
        .values(status=SuggestionStatus.referred.value, referral_id=referral_id)
    )


async def claim_newly_overdue(session: AsyncSession, today: date, limit: int) -> list[SchemeReferral]:
    """Referrals past their due date without a final outcome and not yet announced, locked for this
    transaction (others skip them), oldest due first."""
    s = scheme_referrals.c
    query = (
        select(scheme_referrals)
        .where(s.status.in_(UNANSWERED), s.due_on < today, s.overdue_at.is_(None))
        .order_by(s.due_on, s.id)
        .limit(limit)
        .with_for_update(skip_locked=True)
    )
    return await _all(session, SchemeReferral, query)


async def overdue(
    session: AsyncSession, today: date, county_code: str | None, township_code: str | None, limit: int
) -> list[SchemeReferral]:
    """The desk's overdue list: every referral past its due date without a final outcome, whether or not the
    sweep announced it yet (R-AID-1), oldest due first."""
    s = scheme_referrals.c
    query = select(scheme_referrals).where(s.status.in_(UNANSWERED), s.due_on < today)
    if county_code is not None:
        query = query.where(s.county_code == county_code)
    if township_code is not None:
        query = query.where(s.township_code == township_code)
    return await _all(session, SchemeReferral, query.order_by(s.due_on, s.id).limit(limit))
