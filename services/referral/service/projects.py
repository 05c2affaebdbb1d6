"""Charity projects (需求导向, R-CHA-1): a partner publishes, changes and withdraws its projects; the exchange
picks the best-fitting project for a record (``best_project``) and moves its places — held by an open offer,
taken on acceptance, freed on decline, expiry or cancellation — closing it when full, spent or ended (the
ordering and the capacity rules: ``domain.matching``)."""

from __future__ import annotations

import uuid
from dataclasses import asdict
from datetime import date
from decimal import Decimal
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from services.referral.domain.errors import (
    PartnerSuspended,
    ProjectClosed,
    ProjectFull,
    ProjectNotFound,
)
from services.referral.domain.matching import (
    CaseFacts,
    ClosedReason,
    Fit,
    ProjectStatus,
    budget_left,
    closing_reason,
    eligible,
    places_left,
    rank,
)
from services.referral.domain.model import Case, NeedsRecord, Partner, PartnerStatus, Project
from services.referral.repository import project_queries as repo
from shared import clock
from shared.domain_errors import InvalidValue
from shared.runtime import Runtime

__all__ = ["best_project", "close_ended", "publish", "release", "take", "update"]


def fit_of(p: Project) -> Fit:
    values = asdict(p)
    return Fit(**{k: values[k] for k in Fit.__dataclass_fields__})


def _check_period(starts_on: date, ends_on: date) -> None:
    if ends_on < starts_on:
        raise InvalidValue("ends_on", "the period ends before it starts")


def _check_areas(partner: Partner, areas: list[str]) -> None:
    """A project serves where its partner does (its county or townships of its service areas)."""
    counties = {a[:6] for a in partner.service_areas}
    outside = [a for a in areas if a not in partner.service_areas and a[:6] not in counties]
    if outside:
        raise InvalidValue("areas", f"outside the partner's service areas: {', '.join(outside)}")


async def publish(runtime: Runtime, partner: Partner, body: dict[str, Any]) -> Project:
    """A partner publishes a project (open at once; matched from its start date)."""
    if partner.status is not PartnerStatus.active:
        raise PartnerSuspended()
    _check_period(body["starts_on"], body["ends_on"])
    _check_areas(partner, body["areas"])
    async with runtime.transaction() as session:
        return await repo.insert_project(
            session,
            {
                **body,
                "id": str(uuid.uuid4()),
                "partner_id": partner.id,
                "status": ProjectStatus.open.value,
            },
        )


async def update(runtime: Runtime, partner: Partner, project_id: str, changes: dict[str, Any]) -> Project:
    """Change a project's capacity, budget, period or eligibility, or withdraw it (``status: closed``); a
    capacity below the places held and taken is refused (409, ``ProjectFull``), so is a budget below what is
    committed (422)."""
    async with runtime.transaction() as session:
        current = await repo.get_project(session, project_id, lock=True)
        if current is None or current.partner_id != partner.id:
            raise ProjectNotFound(project_id)
        if current.status is ProjectStatus.closed:
            raise ProjectClosed(project_id, (current.closed_reason or ClosedReason.withdrawn).value)
        capacity = changes.get("capacity", current.capacity)
        if capacity < current.places_held + current.places_taken:
            raise ProjectFull(
                project_id,
                f"capacity {capacity} is below the {current.places_taken} places taken and "
                f"{current.places_held} held by open offers",
            )
        if Decimal(changes.get("budget", current.budget)) < current.budget_committed:
            raise InvalidValue("budget", f"below the {current.budget_committed} already committed")
        _check_period(changes.get("starts_on", current.starts_on), changes.get("ends_on", current.ends_on))
        if changes.get("areas") is not None:
            _check_areas(partner, changes["areas"])
        if changes.get("status") == ProjectStatus.closed.value:
            changes["closed_reason"] = ClosedReason.withdrawn.value
        row = await repo.update_project(session, project_id, changes) if changes else current
        return await _close_if_due(session, row)


async def _close_if_due(session: AsyncSession, project: Project) -> Project:
    reason = closing_reason(fit_of(project), clock.local_today())
    if project.status is ProjectStatus.open and reason is not None:
        return await repo.update_project(
            session, project.id, {"status": ProjectStatus.closed.value, "closed_reason": reason.value}
        )
    return project


def case_facts(record: NeedsRecord, case: Case | None, amount: Decimal) -> CaseFacts:
    decision = (case.decision if case else None) or {}
    return CaseFacts(
        need_type=record.need_type,
        county_code=record.county_code,
        township_code=record.township_code,
        amount=amount,
        category=decision.get("category"),
        subtype=decision.get("subtype"),
        household_size=record.household_size,
    )


async def best_project(
    session: AsyncSession, record: NeedsRecord, case: Case | None, amount: Decimal
) -> Project | None:
    """The best-fitting eligible project, locked, with a place held for the offer about to be made."""
    today = clock.local_today()
    facts = case_facts(record, case, amount)
    found = {p.id: p for p in await repo.candidates(session, record, today)}
    for fit in rank([fit_of(p) for p in found.values()], facts, today):
        locked = await repo.get_project(session, fit.id, lock=True)  # re-checked under its lock
        if locked is None or locked.status is not ProjectStatus.open:
            continue
        if eligible(fit_of(locked), facts, today):
            return await repo.move_places(session, locked.id, held=1)
    return None


async def take(session: AsyncSession, project_id: str, amount: Decimal) -> Project:
    """An accepted offer takes its held place and commits the amount asked (at most the budget left)."""
    project = await repo.get_project(session, project_id, lock=True)
    if project is None:
        raise ProjectNotFound(project_id)
    if project.places_taken >= project.capacity:
        raise ProjectFull(project_id, f"all {project.capacity} places are taken")
    committed = min(amount, budget_left(fit_of(project)))
    row = await repo.move_places(session, project_id, held=-1, taken=1, committed=committed)
    return await _close_if_due(session, row)


async def release(session: AsyncSession, project_id: str, *, was_taken: bool, amount: Decimal) -> None:
    """A declined, expired or cancelled offer frees its place (a taken one also its committed amount); a
    project closed only because it was full or spent opens again while its period lasts."""
    project = await repo.get_project(session, project_id, lock=True)
    if project is None:
        return
    if was_taken:
        row = await repo.move_places(session, project_id, taken=-1, committed=-amount)
    else:
        row = await repo.move_places(session, project_id, held=-1)
    if (
        row.status is ProjectStatus.closed
        and row.closed_reason in (ClosedReason.full, ClosedReason.budget_spent)
        and closing_reason(fit_of(row), clock.local_today()) is None
        and places_left(fit_of(row)) > 0
    ):
        await repo.update_project(
            session, project_id, {"status": ProjectStatus.open.value, "closed_reason": None}
        )


async def settle(session: AsyncSession, project_id: str, asked: Decimal, given: Decimal) -> None:
    """A fulfilment: the budget commits what was given rather than what was asked."""
    if given != asked and await repo.get_project(session, project_id, lock=True) is not None:
        row = await repo.move_places(session, project_id, committed=given - asked)
        await _close_if_due(session, row)


async def close_ended(runtime: Runtime) -> int:
    """Close the open projects whose period ended (the sweep)."""
    async with runtime.transaction() as session:
        ended = await repo.ended_open_projects(session, clock.local_today(), 100)
        for project_id in ended:
            await repo.update_project(
                session,
                project_id,
                {"status": ProjectStatus.closed.value, "closed_reason": ClosedReason.ended.value},
            )
    return len(ended)
