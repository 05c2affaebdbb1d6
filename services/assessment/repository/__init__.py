"""All of assessment's queries (the figures' and gauges' in ``repository/oversight.py``); they return
typed entities (domain/model.py, the policy model), never rows."""

from __future__ import annotations

import json
from dataclasses import asdict
from datetime import date, datetime
from pathlib import Path
from typing import Any, cast

from sqlalchemy import Select, func, or_, select, text
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.engine import CursorResult
from sqlalchemy.ext.asyncio import AsyncSession

from services.assessment.domain.model import Assessment, DecidedCase
from services.assessment.domain.policy import Policy
from services.assessment.tables import FIRST_OF_REVISION, assessments, decided_cases, policies
from shared.contracts.approval import Decision

SEED = Path(__file__).parents[1] / "domain" / "seed" / "policies.json"


async def policy_in_force(session: AsyncSession, county_code: str, on: date) -> Policy | None:
    """The latest version effective on ``on`` for the county."""
    row = (
        (
            await session.execute(
                select(policies)
                .where(
                    policies.c.county_code == county_code,
                    policies.c.effective_from <= on,
                    or_(policies.c.effective_to.is_(None), policies.c.effective_to >= on),
                )
                .order_by(policies.c.effective_from.desc(), policies.c.created_at.desc())
                .limit(1)
            )
        )
        .mappings()
        .first()
    )
    return Policy.model_validate(dict(row)) if row else None


async def list_policies(session: AsyncSession, county_code: str | None) -> list[Policy]:
    query = select(policies).order_by(policies.c.county_code, policies.c.effective_from)
    if county_code:
        query = query.where(policies.c.county_code == county_code)
    return [Policy.model_validate(dict(r)) for r in (await session.execute(query)).mappings()]


async def add_policy(session: AsyncSession, policy: Policy, *, created_by: str) -> bool:
    result = await session.execute(
        insert(policies)
        .values(
            version=policy.version,
            county_code=policy.county_code,
            effective_from=policy.effective_from,
            effective_to=policy.effective_to,
            parameters=policy.parameters.model_dump(mode="json"),
            created_by=created_by,
        )
        .on_conflict_do_nothing(index_elements=["version"])
    )
    return bool(cast(CursorResult[Any], result).rowcount)  # DML: a cursor result


async def seed_policies(session: AsyncSession) -> None:
    if await session.scalar(select(func.count()).select_from(policies)):
        return
    for item in json.loads(SEED.read_text(encoding="utf-8"))["policies"]:
        await add_policy(session, Policy.model_validate(item), created_by="seed")


async def lock_case(session: AsyncSession, case_id: str) -> None:
    """Serialise assessments of one case (event handler and raises), so revisions are gapless and ordered."""
    await session.execute(select(func.pg_advisory_xact_lock(func.hashtext(f"assessment:{case_id}"))))


async def assessed_application_revision(
    session: AsyncSession, case_id: str, application_revision: int
) -> bool:
    """Whether the revision as submitted has its assessment."""
    return (await session.execute(first_of_revision(case_id, application_revision))).first() is not None


def first_of_revision(case_id: str, application_revision: int) -> Select:
    """The assessment of the application revision as submitted: at most one, answered by the partial unique
    index ``uq_assessments_first_per_revision`` (its predicate, the same literal SQL)."""
    a = assessments.c
    return select(assessments).where(
        a.case_id == case_id, a.application_revision == application_revision, text(FIRST_OF_REVISION)
    )


async def next_revision(session: AsyncSession, case_id: str) -> int:
    current = await session.scalar(
        select(func.max(assessments.c.revision)).where(assessments.c.case_id == case_id)
    )
    return (current or 0) + 1


async def add_assessment(session: AsyncSession, assessment: Assessment) -> bool:
    """Insert a new assessment revision (rows are never updated); False if it exists already."""
    result = await session.execute(insert(assessments).values(**asdict(assessment)).on_conflict_do_nothing())
    return bool(cast(CursorResult[Any], result).rowcount)  # DML: a cursor result


async def latest(session: AsyncSession, case_id: str) -> Assessment | None:
    query = (
        select(assessments)
        .where(assessments.c.case_id == case_id)
        .order_by(assessments.c.revision.desc())
        .limit(1)
    )
    row = (await session.execute(query)).mappings().first()
    return Assessment(**row) if row else None


async def policy_version(session: AsyncSession, version: str) -> Policy | None:
    row = (await session.execute(select(policies).where(policies.c.version == version))).mappings().first()
    return Policy.model_validate(dict(row)) if row else None


async def for_case(session: AsyncSession, case_id: str) -> list[Assessment]:
    query = (
        select(assessments).where(assessments.c.case_id == case_id).order_by(assessments.c.revision.desc())
    )
    return [Assessment(**r) for r in (await session.execute(query)).mappings()]


async def record_decided(session: AsyncSession, case_id: str, decision: str, decided_at: datetime) -> None:
    await session.execute(
        insert(decided_cases)
        .values(case_id=case_id, decision=decision, decided_at=decided_at)
        .on_conflict_do_nothing(index_elements=["case_id"])
    )


async def decided(session: AsyncSession, case_id: str) -> DecidedCase | None:
    query = select(decided_cases).where(decided_cases.c.case_id == case_id)
    row = (await session.execute(query)).mappings().first()
    return DecidedCase(row["case_id"], Decision(row["decision"]), row["decided_at"]) if row else None


async def as_submitted(session: AsyncSession, case_id: str, application_revision: int) -> Assessment | None:
    """The assessment of the application revision as submitted (its frozen inputs), for a re-assessment."""
    row = (await session.execute(first_of_revision(case_id, application_revision))).mappings().first()
    return Assessment(**row) if row else None
