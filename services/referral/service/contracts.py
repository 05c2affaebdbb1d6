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
from services.referral.domain.contract_terms import (
    ContractView,
    Terms,
    amendment_changes,
    check_amendment,
    check_budget,
    check_cancellation,
    targets_of,
)
from services.referral.domain.errors import (
    ContractNotFound,
    ContractOverlaps,
    DuplicateProcurementRef,
    NotContractable,
    PartnerNotFound,
    PartnerOutsideCounty,
)
from services.referral.domain.model import Partner, Reward
from services.referral.domain.performance import RankedPartner, contract_performance, ranking
from services.referral.domain.schemes import PartnerKind
from services.referral.repository import contract_queries as q
from shared import clock
from shared.access import guard_county_level
from shared.runtime import Runtime

__all__ = [
    "add_reward",
    "amend",
    "cancel",
    "create_contract",
    "performance_of",
    "rank",
    "rewards_of",
    "view_of",
    "views_of_partner",
]


async def _serving_partner(session: AsyncSession, partner_id: str, county_code: str) -> Partner:
    partner = await repo.get_partner(session, partner_id)
    if partner is None:
        raise PartnerNotFound(partner_id)
    if partner.kind == PartnerKind.government_scheme.value:
        raise NotContractable(partner_id)
    if not any(area[:6] == county_code for area in partner.service_areas):
        raise PartnerOutsideCounty(partner_id, county_code)
    return partner


async def create_contract(runtime: Runtime, body: dict[str, Any], actor: str) -> ContractView:
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
        await _no_overlap(session, body["partner_id"], county, body["starts_on"], body["ends_on"])
        contract = await q.insert_contract(
            session,
            {
                **body,
                "id": str(uuid.uuid4()),
                "created_by": actor,
                "created_at": clock.now(),
            },
        )
        return ContractView(contract)


async def _no_overlap(
    session: AsyncSession,
    partner_id: str,
    county: str,
    starts_on: date,
    ends_on: date,
    but: str | None = None,
) -> None:
    """One contract per partner, county and day (409 ``contract-overlaps``), over the days each holds."""
    clash = await q.overlapping_contracts(session, partner_id, county, starts_on, ends_on, but)
    if clash:
        c = clash[0]
        raise ContractOverlaps(
            c.contract.id,
            c.contract.procurement_ref,
            c.contract.starts_on.isoformat(),
            c.holds_until.isoformat(),
        )


async def view_of(session: AsyncSession, contract_id: str, *, lock: bool = False) -> ContractView:
    contract = await q.get_contract(session, contract_id, lock=lock)
    if contract is None:
        raise ContractNotFound(contract_id)
    return (await q.views_of(session, [contract]))[0]


async def views_of_partner(
    session: AsyncSession, partner_id: str, county_code: str | None
) -> list[ContractView]:
    return await q.views_of(session, await q.contracts_of_partner(session, partner_id, county_code))


async def _locked_view(session: AsyncSession, contract_id: str) -> ContractView:
    """The contract for a change by the caller (its county's policy admin): unknown or another county's is
    404; the partner's contract writes are serialised (as at creation), then the contract is read again."""
    contract = await q.get_contract(session, contract_id)
    if contract is None:
        raise ContractNotFound(contract_id)
    guard_county_level(contract.county_code, "contract")
    await q.lock_partner(session, contract.partner_id)
    return await view_of(session, contract_id, lock=True)


async def amend(runtime: Runtime, contract_id: str, body: dict[str, Any], actor: str) -> ContractView:
    """Record an amendment (R-CHA-3): a new revision of the budget, target volumes or end of period from
    ``effective_on`` on, with its reason and author; the contract as signed and every earlier revision stay.
    Refused, nothing written: a cancelled contract (409 ``contract-cancelled``), a date outside the period or
    before the latest amendment's (422 ``effective_on``), a shortened period (422 ``ends_on``), an extension
    into the partner's next contract (409 ``contract-overlaps``), a budget below what was delivered and is
    held by accepted offers (409 ``budget-below-spent``)."""
    async with runtime.transaction() as session:
        view = await _locked_view(session, contract_id)
        current = check_amendment(view, body["effective_on"])
        changes = amendment_changes(current, body)
        c = view.contract
        ends_on = body.get("ends_on") or current.ends_on
        if "ends_on" in changes:
            await _no_overlap(session, c.partner_id, c.county_code, c.starts_on, ends_on, but=c.id)
        budget = Decimal(body["budget"]) if body.get("budget") is not None else current.budget
        if "budget" in changes:
            last = min(view.holds_until, clock.local_today())
            spent, committed = await q.spent_and_committed(
                session, c.county_code, c.starts_on, last, c.partner_id
            )
            check_budget(budget, spent, committed)
        await q.insert_amendment(
            session,
            {
                "id": str(uuid.uuid4()),
                "contract_id": c.id,
                "revision": current.revision + 1,
                "effective_on": body["effective_on"],
                "budget": budget,
                "ends_on": ends_on,
                "targets": targets_of(body.get("targets") or current.targets),
                "changes": changes,
                "reason": body["reason"],
                "amended_by": actor,
                "amended_at": clock.now(),
            },
        )
        return await view_of(session, contract_id)


async def cancel(runtime: Runtime, contract_id: str, body: dict[str, Any], actor: str) -> ContractView:
    """Terminate a contract early (R-CHA-3) from ``effective_on`` (within its period, else 422 naming
    ``effective_on``) with a reason: it counts nothing from that day on and stays readable; once only (409
    ``contract-cancelled``)."""
    async with runtime.transaction() as session:
        view = await _locked_view(session, contract_id)
        check_cancellation(view, body["effective_on"])
        await q.insert_cancellation(
            session,
            {
                "contract_id": view.contract.id,
                "effective_on": body["effective_on"],
                "reason": body["reason"],
                "cancelled_by": actor,
                "cancelled_at": clock.now(),
            },
        )
        return await view_of(session, contract_id)


async def performance_of(
    session: AsyncSession, contract_id: str, day: date
) -> tuple[ContractView, Terms, date | None, dict[str, Any]]:
    """The contract, the terms in force on ``day``, the last day counted (None: no day yet) and its
    performance as of ``day`` (R-CHA-3): the partner's offers in the contract's county from its start to
    ``ContractView.counted_until(day)`` (the end in force, ``day`` itself, the day before a cancellation),
    against the targets and budget in force on ``day``."""
    view = await view_of(session, contract_id)
    terms, c = view.in_force(day), view.contract
    last = view.counted_until(day)
    if last < c.starts_on:
        return view, terms, None, contract_performance(terms, [])
    rows = await q.partner_need_figures(session, c.county_code, c.starts_on, last, c.partner_id)
    return view, terms, last, contract_performance(terms, rows)


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
