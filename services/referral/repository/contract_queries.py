"""Queries of purchased-service contracts, partners' rewards and the per-partner figures the ranking and a
contract's performance are computed from (R-CHA-3)."""

from __future__ import annotations

from datetime import date
from typing import Any

from sqlalchemy import and_, func, insert, select
from sqlalchemy.ext.asyncio import AsyncSession

from services.referral.domain.model import Contract, PartnerNeedFigure, Reward
from services.referral.domain.schemes import PartnerKind
from services.referral.domain.tasks import TaskStatus
from services.referral.repository import ACCEPTED, _all, _one
from services.referral.tables import needs_records, partner_contracts, partner_rewards, partners, tasks
from shared import clock


async def insert_contract(session: AsyncSession, row: dict[str, Any]) -> Contract:
    result = await _one(
        session, Contract, insert(partner_contracts).values(**row).returning(partner_contracts)
    )
    if result is None:
        raise RuntimeError("the contract just inserted is missing")
    return result


async def get_contract(session: AsyncSession, contract_id: str) -> Contract | None:
    return await _one(
        session, Contract, select(partner_contracts).where(partner_contracts.c.id == contract_id)
    )


async def contract_by_ref(session: AsyncSession, county_code: str, ref: str) -> Contract | None:
    c = partner_contracts.c
    return await _one(
        session,
        Contract,
        select(partner_contracts).where(c.county_code == county_code, c.procurement_ref == ref),
    )


async def overlapping_contracts(
    session: AsyncSession, partner_id: str, county_code: str, starts_on: date, ends_on: date
) -> list[Contract]:
    """The partner's contracts in the county sharing a day with the period."""
    c = partner_contracts.c
    query = select(partner_contracts).where(
        c.partner_id == partner_id,
        c.county_code == county_code,
        c.starts_on <= ends_on,
        c.ends_on >= starts_on,
    )
    return await _all(session, Contract, query.order_by(c.starts_on, c.id))


async def contracts_of_partner(
    session: AsyncSession, partner_id: str, county_code: str | None
) -> list[Contract]:
    c = partner_contracts.c
    query = select(partner_contracts).where(c.partner_id == partner_id)
    if county_code is not None:
        query = query.where(c.county_code == county_code)
    return await _all(session, Contract, query.order_by(c.starts_on, c.id))


async def lock_partner(session: AsyncSession, partner_id: str) -> None:
    """Serialise contract writes of one partner (the overlap check and the insert in one transaction)."""
    await session.execute(select(partners.c.id).where(partners.c.id == partner_id).with_for_update())


async def insert_reward(session: AsyncSession, row: dict[str, Any]) -> Reward:
    result = await _one(session, Reward, insert(partner_rewards).values(**row).returning(partner_rewards))
    if result is None:
        raise RuntimeError("the reward just inserted is missing")
    return result


async def rewards_of_partner(session: AsyncSession, partner_id: str, county_code: str | None) -> list[Reward]:
    r = partner_rewards.c
    query = select(partner_rewards).where(r.partner_id == partner_id)
    if county_code is not None:
        query = query.where(r.county_code == county_code)
    return await _all(session, Reward, query.order_by(r.awarded_on.desc(), r.created_at.desc(), r.id))


async def partner_need_figures(
    session: AsyncSession, county_code: str, start: date, end: date, partner_id: str | None = None
) -> list[PartnerNeedFigure]:
    """Per partner and need type, the offers made in the county from ``start`` to ``end`` (local days,
    inclusive) and their outcomes; government schemes are not ranked (R-CHA-3)."""
    t, n, p = tasks.c, needs_records.c, partners.c
    accepted = t.status.in_(ACCEPTED)
    answered = and_(accepted, t.responded_at.is_not(None))
    query = (
        select(
            p.id.label("partner_id"),
            p.name,
            p.uscc,
            n.need_type,
            func.count(t.id).label("offers"),
            func.count(t.id).filter(accepted).label("accepted"),
            func.count(t.id).filter(t.status == TaskStatus.completed).label("fulfilled"),
            func.coalesce(func.sum(t.fulfilled_amount).filter(t.status == TaskStatus.completed), 0).label(
                "amount_delivered"
            ),
            func.coalesce(
                func.sum(func.extract("epoch", t.responded_at - t.offered_at)).filter(answered), 0
            ).label("response_seconds_total"),
            func.count(t.id).filter(answered).label("responses"),
        )
        .select_from(tasks.join(needs_records, n.id == t.record_id).join(partners, p.id == t.partner_id))
        .where(
            n.county_code == county_code,
            t.offered_at >= clock.start_of(start),
            t.offered_at < clock.end_of(end),
            p.kind != PartnerKind.government_scheme.value,
        )
        .group_by(p.id, n.need_type)
        .order_by(p.id, n.need_type)
    )
    if partner_id is not None:
        query = query.where(t.partner_id == partner_id)
    return await _all(session, PartnerNeedFigure, query)
