"""Queries of charity projects (R-CHA-1): publication, the candidates for a record, capacity counters."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

from sqlalchemy import func, literal, or_, select, update
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.sql.expression import any_

from services.referral.domain.matching import ProjectStatus
from services.referral.domain.model import NeedsRecord, PartnerStatus, Project
from services.referral.repository import _all, _one
from services.referral.tables import partners, projects, tasks


async def insert_project(session: AsyncSession, row: dict[str, Any]) -> Project:
    result = await _one(session, Project, insert(projects).values(**row).returning(projects))
    if result is None:
        raise RuntimeError("the inserted project is missing")
    return result


async def get_project(session: AsyncSession, project_id: str, *, lock: bool = False) -> Project | None:
    query = select(projects).where(projects.c.id == project_id)
    return await _one(session, Project, query.with_for_update() if lock else query)


async def update_project(session: AsyncSession, project_id: str, values: dict[str, Any]) -> Project:
    query = (
        update(projects)
        .where(projects.c.id == project_id)
        .values(**values, updated_at=func.now())
        .returning(projects)
    )
    result = await _one(session, Project, query)
    if result is None:
        raise RuntimeError("the project updated is missing")
    return result


async def projects_of(session: AsyncSession, partner_id: str | None, status: str | None) -> list[Project]:
    query = select(projects).order_by(projects.c.seq)
    if partner_id is not None:
        query = query.where(projects.c.partner_id == partner_id)
    if status is not None:
        query = query.where(projects.c.status == status)
    return await _all(session, Project, query.limit(500))


async def candidates(session: AsyncSession, record: NeedsRecord, today: date) -> list[Project]:
    """Open projects of active partners not yet offered this record, of its need type and place, in their
    period (the domain ranks them, ``domain.matching.rank``)."""
    tried = select(tasks.c.partner_id).where(tasks.c.record_id == record.id)
    query = (
        select(projects)
        .join(partners, partners.c.id == projects.c.partner_id)
        .where(
            projects.c.status == ProjectStatus.open,
            partners.c.status == PartnerStatus.active,
            partners.c.kind != "government_scheme",
            projects.c.partner_id.not_in(tried),
            literal(record.need_type) == any_(projects.c.need_types),
            or_(
                literal(record.county_code) == any_(projects.c.areas),
                literal(record.township_code) == any_(projects.c.areas),
            ),
            projects.c.starts_on <= today,
            projects.c.ends_on >= today,
        )
        .order_by(projects.c.seq)
        .limit(200)
    )
    return await _all(session, Project, query)


async def move_places(
    session: AsyncSession, project_id: str, *, held: int = 0, taken: int = 0, committed: Decimal | None = None
) -> Project:
    """Change a project's counters (the caller holds its row lock)."""
    values: dict[str, Any] = {
        "places_held": func.greatest(0, projects.c.places_held + held),
        "places_taken": func.greatest(0, projects.c.places_taken + taken),
    }
    if committed is not None:
        values["budget_committed"] = func.greatest(0, projects.c.budget_committed + committed)
    return await update_project(session, project_id, values)


async def ended_open_projects(session: AsyncSession, today: date, limit: int) -> list[str]:
    query = (
        select(projects.c.id)
        .where(projects.c.status == ProjectStatus.open, projects.c.ends_on < today)
        .order_by(projects.c.ends_on)
        .limit(limit)
    )
    return [r for (r,) in (await session.execute(query)).all()]
