"""Queries of verification requests (R-CAT-3, R-CAT-4), authorisations on file and the essential-spending
checklist; they return typed entities (domain/model.py)."""

from __future__ import annotations

from datetime import datetime
from typing import Any, cast

from sqlalchemy import func, select, update
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.engine import CursorResult
from sqlalchemy.ext.asyncio import AsyncSession

from services.assessment.domain.model import (
    OPEN_STATES,
    EssentialItem,
    Verification,
    VerificationKind,
    VerificationState,
)
from services.assessment.tables import authorisations, essential_spending, verifications

v = verifications.c


def _entity(row: Any) -> Verification:
    data = dict(row)
    return Verification(
        **{**data, "kind": VerificationKind(data["kind"]), "state": VerificationState(data["state"])}
    )


async def add(session: AsyncSession, values: dict[str, Any]) -> bool:
    """A new request row; False when the case's application revision has one of this kind already."""
    result = await session.execute(insert(verifications).values(**values).on_conflict_do_nothing())
    return bool(cast(CursorResult[Any], result).rowcount)


async def change(session: AsyncSession, verification_id: str, **values: Any) -> None:
    await session.execute(update(verifications).where(v.id == verification_id).values(**values))


async def for_case(session: AsyncSession, case_id: str) -> list[Verification]:
    query = select(verifications).where(v.case_id == case_id).order_by(v.application_revision.desc(), v.kind)
    return [_entity(r) for r in (await session.execute(query)).mappings()]


async def by_request_id(session: AsyncSession, request_id: str, *, lock: bool = False) -> Verification | None:
    query = select(verifications).where(v.request_id == request_id)
    if lock:
        query = query.with_for_update()
    row = (await session.execute(query)).mappings().first()
    return _entity(row) if row else None


async def get(session: AsyncSession, verification_id: str, *, lock: bool = False) -> Verification | None:
    query = select(verifications).where(v.id == verification_id)
    if lock:
        query = query.with_for_update()
    row = (await session.execute(query)).mappings().first()
    return _entity(row) if row else None


async def due(session: AsyncSession, now: datetime, limit: int) -> list[str]:
    """Ids of open requests whose next step (send, poll, deadline) is due, oldest first."""
    query = (
        select(v.id)
        .where(v.state.in_([s.value for s in OPEN_STATES]), v.next_attempt_at <= now)
        .order_by(v.next_attempt_at)
        .limit(limit)
    )
    return list((await session.execute(query)).scalars())


async def next_due_at(session: AsyncSession) -> datetime | None:
    """When the earliest open request's next step (send, poll, deadline) is due; None: nothing open."""
    query = select(func.min(v.next_attempt_at)).where(v.state.in_([s.value for s in OPEN_STATES]))
    return cast(datetime | None, (await session.execute(query)).scalar())


async def awaiting_authorisation(session: AsyncSession, case_id: str) -> list[Verification]:
    query = select(verifications).where(
        v.case_id == case_id, v.state == VerificationState.awaiting_authorisation.value
    )
    return [_entity(r) for r in (await session.execute(query)).mappings()]


async def answered(
    session: AsyncSession, case_id: str, application_revision: int
) -> dict[VerificationKind, Verification]:
    query = select(verifications).where(
        v.case_id == case_id,
        v.application_revision == application_revision,
        v.state == VerificationState.answered.value,
    )
    return {(e := _entity(r)).kind: e for r in (await session.execute(query)).mappings()}


async def record_authorisation(
    session: AsyncSession, case_id: str, sha256: str, recorded_at: datetime
) -> None:
    await session.execute(
        insert(authorisations)
        .values(case_id=case_id, sha256=sha256, recorded_at=recorded_at)
        .on_conflict_do_nothing(index_elements=["case_id"])
    )


async def authorisation(session: AsyncSession, case_id: str) -> str | None:
    """The sha256 of the signed authorisation on file for the case, if any."""
    return await session.scalar(select(authorisations.c.sha256).where(authorisations.c.case_id == case_id))


async def add_checklist(session: AsyncSession, case_id: str, items: list[str]) -> None:
    for item in items:
        await session.execute(
            insert(essential_spending).values(case_id=case_id, item=item).on_conflict_do_nothing()
        )


async def checklist(session: AsyncSession, case_id: str) -> list[EssentialItem]:
    e = essential_spending.c
    query = select(essential_spending).where(e.case_id == case_id).order_by(e.item)
    return [EssentialItem(**r) for r in (await session.execute(query)).mappings()]


async def verify_item(
    session: AsyncSession, case_id: str, item: str, *, verified_by: str, verified_at: datetime, finding: str
) -> bool:
    e = essential_spending.c
    result = await session.execute(
        update(essential_spending)
        .where(e.case_id == case_id, e.item == item, e.verified_by.is_(None))
        .values(verified_by=verified_by, verified_at=verified_at, finding=finding)
    )
    return bool(cast(CursorResult[Any], result).rowcount)
