"""Purchased services and incentives (政府购买服务, 激励扶持; R-CHA-3): a county's contracts with partners
(tender reference, period, budget, target volume per need type) and their performance from the referral
data; the published ranking of a county's partners for a period; the rewards and commendations a county
gives them. Contracts and rewards are county-level objects: the county's policy admins (or the city's)
write them (``guard_county_level``), the runtime audit-logs each request."""

from __future__ import annotations

import uuid
from datetime import date
from decimal import Decimal
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from services.referral import repository as repo
from services.referral.domain.errors import (
    ContractNotFound,
    ContractOverlaps,
    DuplicateProcurementRef,
    NotContractable,
    PartnerNotFound,
    PartnerOutsideCounty,
)
from services.referral.domain.model import Contract, Partner, Reward
from services.referral.domain.performance import RankedPartner, contract_performance, ranking
from services.referral.domain.schemes import PartnerKind
from services.referral.repository import contract_queries as q
from shared import clock
from shared.access import guard_county_level
from shared.runtime import Runtime

__all__ = ["add_reward", "create_contract", "performance_of", "rank", "rewards_of"]


async def _serving_partner(session: AsyncSession, partner_id: str, county_code: str) -> Partner:
    partner = await repo.get_partner(session, partner_id)
    if partner is None:
        raise PartnerNotFound(partner_id)
    if partner.kind == PartnerKind.government_scheme.value:
        raise NotContractable(partner_id)
    if not any(area[:6] == county_code for area in partner.service_areas):
        raise PartnerOutsideCounty(partner_id, county_code)
    return partner


async def create_contract(runtime: Runtime, body: dict[str, Any], actor: str) -> Contract:
    """Record a contract (the county's policy admin): refused when the partner is unknown (404), a scheme or
    serves no area of the county, when the tender reference is taken, or when the partner already has a
    contract in the county sharing a day with this one (409); nothing is written then."""
    county = body["county_code"]
    async with runtime.transaction() as session:
        guard_county_level(county, "county")
        await q.lock_partner(session, body["partner_id"])
        await _serving_partner(session, body["partner_id"], county)
        if await q.contract_by_ref(session, county, body["procurement_ref"]) is not None:
            raise DuplicateProcurementRef(body["procurement_ref"])
        clash = await q.overlapping_contracts(
            session, body["partner_id"], county, body["starts_on"], body["ends_on"]
        )
        if clash:
            c = clash[0]
            raise ContractOverlaps(c.id, c.procurement_ref, c.starts_on.isoformat(), c.ends_on.isoformat())
        return await q.insert_contract(
            session,
            {
                **body,
                "id": str(uuid.uuid4()),
                "created_by": actor,
                "created_at": clock.now(),
            },
        )


async def performance_of(session: AsyncSession, contract_id: str) -> tuple[Contract, dict[str, Any]]:
    """The contract and its performance so far (R-CHA-3), from the partner's offers in its county and
    period."""
    contract = await q.get_contract(session, contract_id)
    if contract is None:
        raise ContractNotFound(contract_id)
    rows = await q.partner_need_figures(
        session, contract.county_code, contract.starts_on, contract.ends_on, contract.partner_id
    )
    return contract, contract_performance(contract, rows)


async def rank(session: AsyncSession, county_code: str, start: date, end: date) -> list[RankedPartner]:
    """The county's partners ranked for the period (the order documented in ``domain.performance``)."""
    return ranking(await q.partner_need_figures(session, county_code, start, end))


async def add_reward(runtime: Runtime, partner_id: str, body: dict[str, Any], actor: str) -> Reward:
    """Record a reward or commendation the county gives a partner that serves it (R-CHA-3)."""
    county = body["county_code"]
    async with runtime.transaction() as session:
        guard_county_level(county, "county")
        await _serving_partner(session, partner_id, county)
        return await q.insert_reward(
            session,
            {
                **body,
                "amount": Decimal(str(body["amount"])) if body.get("amount") is not None else None,
                "id": str(uuid.uuid4()),
                "partner_id": partner_id,
                "awarded_by": actor,
                "created_at": clock.now(),
            },
        )


async def rewards_of(session: AsyncSession, partner_id: str, county_code: str | None) -> list[Reward]:
    if await repo.get_partner(session, partner_id) is None:
        raise PartnerNotFound(partner_id)
    return await q.rewards_of_partner(session, partner_id, county_code)
