"""Queries of purchased-service contracts, partners' rewards and the per-partner figures the ranking and a
contract's performance are computed from (R-CHA-3)."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

from sqlalchemy import and_, func, insert, select
from sqlalchemy.ext.asyncio import AsyncSession

from services.referral.domain.contract_terms import ContractView
from services.referral.domain.model import (
    Contract,
    ContractAmendment,
    ContractCancellation,
    PartnerNeedFigure,
    Reward,
)
from services.referral.domain.schemes import PartnerKind
from services.referral.domain.tasks import TaskStatus
from services.referral.repository import ACCEPTED, _all, _one
from services.referral.tables import (
    contract_amendments,
    contract_cancellations,
    needs_records,
    partner_contracts,
    partner_rewards,
    partners,
    tasks,
)
from shared import clock


async def insert_contract(session: AsyncSession, row: dict[str, Any]) -> Contract:
    result = await _one(
        session, Contract, insert(partner_contracts).values(**row).returning(partner_contracts)
    )
    if result is None:
        raise RuntimeError("the contract just inserted is missing")
    return result


async def get_contract(session: AsyncSession, contract_id: str, *, lock: bool = False) -> Contract | None:
    query = select(partner_contracts).where(partner_contracts.c.id == contract_id)
    return await _one(session, Contract, query.with_for_update() if lock else query)


async def views_of(session: AsyncSession, contracts: list[Contract]) -> list[ContractView]:
    """The contracts with their amendments (revision order) and cancellations (R-CHA-3)."""
    ids = [c.id for c in contracts]
    if not ids:
        return []
    a, x = contract_amendments.c, contract_cancellations.c
    amendments = await _all(
        session,
        ContractAmendment,
        select(contract_amendments).where(a.contract_id.in_(ids)).order_by(a.contract_id, a.revision),
    )
    cancellations = await _all(
        session, ContractCancellation, select(contract_cancellations).where(x.contract_id.in_(ids))
    )
    cancelled = {k.contract_id: k for k in cancellations}
    return [
        ContractView(c, [m for m in amendments if m.contract_id == c.id], cancelled.get(c.id))
        for c in contracts
    ]


async def insert_amendment(session: AsyncSession, row: dict[str, Any]) -> ContractAmendment:
    result = await _one(
        session, ContractAmendment, insert(contract_amendments).values(**row).returning(contract_amendments)
    )
    if result is None:
        raise RuntimeError("the amendment just inserted is missing")
    return result


async def insert_cancellation(session: AsyncSession, row: dict[str, Any]) -> ContractCancellation:
    stmt = insert(contract_cancellations).values(**row).returning(contract_cancellations)
    result = await _one(session, ContractCancellation, stmt)
    if result is None:
        raise RuntimeError("the cancellation just inserted is missing")
    return result


async def spent_and_committed(
    session: AsyncSession, county_code: str, start: date, end: date, partner_id: str
) -> tuple[Decimal, Decimal]:
    """Under a contract (its partner, county and days counted): the amounts fulfilled, and the amounts
    asked by the offers the partner accepted and has not completed yet (R-CHA-3)."""
    t, n = tasks.c, needs_records.c
    held = t.status.in_([TaskStatus.accepted, TaskStatus.in_progress])
    query = (
        select(
            func.coalesce(func.sum(t.fulfilled_amount).filter(t.status == TaskStatus.completed), 0),
            func.coalesce(func.sum(t.requested_amount).filter(held), 0),
        )
        .select_from(tasks.join(needs_records, n.id == t.record_id))
        .where(
            t.partner_id == partner_id,
            n.county_code == county_code,
            t.offered_at >= clock.start_of(start),
            t.offered_at < clock.end_of(end),
        )
    )
    spent, committed = (await session.execute(query)).one()
    return Decimal(spent), Decimal(committed)


async def contract_by_ref(session: AsyncSession, county_code: str, ref: str) -> Contract | None:
    c = partner_contracts.c
    return await _one(
        session,
        Contract,
        select(partner_contracts).where(c.county_code == county_code, c.procurement_ref == ref),
    )


async def overlapping_contracts(
    session: AsyncSession,
    partner_id: str,
    county_code: str,
    starts_on: date,
    ends_on: date,
    but: str | None = None,
) -> list[ContractView]:
    """The partner's contracts in the county (other than ``but``) sharing a day with the period, each over
    the days it holds: up to its latest revision's end, or to the day before its cancellation."""
    views = await views_of(session, await contracts_of_partner(session, partner_id, county_code))
    return [
        v
        for v in views
        if v.contract.id != but and v.contract.starts_on <= ends_on and v.holds_until >= starts_on
    ]


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
