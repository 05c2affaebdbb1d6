"""All of intake's queries (the figures' and gauges' in ``repository/oversight.py``); they return typed
entities (domain/model.py), never rows."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any, cast

from sqlalchemy import and_, delete, func, or_, select, text, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.engine import CursorResult, RowMapping
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.sql.elements import ColumnElement

from services.intake.domain.duplicates import Candidate
from services.intake.domain.model import (
    Application,
    ApplicationStatus,
    CaseStep,
    Channel,
    CoveragePeriod,
    Document,
    DuplicateFlag,
    FlagStatus,
    HomeVisit,
    Revision,
    VisitStatus,
)
from services.intake.tables import (
    application_revisions,
    applications,
    case_no_seq,
    case_steps,
    consent_events,
    documents,
    duplicate_flags,
    home_visits,
    members,
    policy_coverage,
)
from shared import clock


def _application(row: RowMapping) -> Application:
    return Application(
        **{**row, "status": ApplicationStatus(row["status"]), "channel": Channel(row["channel"])}
    )


def _flag(row: RowMapping) -> DuplicateFlag:
    return DuplicateFlag(**{**row, "status": FlagStatus(row["status"])})


async def next_case_no(session: AsyncSession, county_code: str, year: int) -> str:
    seq = await session.scalar(case_no_seq.next_value())
    return f"LS{county_code}{year}{seq:08d}"


async def by_idempotency_key(session: AsyncSession, key: str) -> Application | None:
    query = select(applications).where(applications.c.idempotency_key == key)
    row = (await session.execute(query)).mappings().first()
    return _application(row) if row else None


async def get(session: AsyncSession, application_id: str, *, for_update: bool = False) -> Application | None:
    query = select(applications).where(applications.c.id == application_id)
    if for_update:
        query = query.with_for_update()
    row = (await session.execute(query)).mappings().first()
    return _application(row) if row else None


async def insert(
    session: AsyncSession, row: dict[str, Any], member_rows: list[dict[str, Any]]
) -> Application:
    """The new case and its members; returns the case as stored (one round trip, no re-read)."""
    stored = (await session.execute(applications.insert().values(**row).returning(applications))).mappings()
    await session.execute(members.insert(), member_rows)
    return _application(stored.one())


async def set_consents(
    session: AsyncSession, application_id: str, consents: dict[str, bool], consent: str
) -> None:
    await session.execute(
        update(applications)
        .where(applications.c.id == application_id)
        .values(consents=consents, updated_at=clock.now())
    )
    await session.execute(
        consent_events.insert().values(application_id=application_id, consent=consent, action="withdrawn")
    )


async def page(
    session: AsyncSession,
    *,
    county_code: str | None,
    township_code: str | None,
    status: str | None,
    category: str | None,
    subtype: str | None = None,
    submitted_from: date | None,
    submitted_to: date | None,
    after: tuple[datetime, str] | None,
    limit: int,
) -> list[Application]:
    """Newest first, keyset on (created_at, id)."""
    c = applications.c
    conditions = []
    for column, value in (
        (c.county_code, county_code),
        (c.township_code, township_code),
        (c.status, status),
        (c.category, category),
        (c.subtype, subtype),
    ):
        if value is not None:
            conditions.append(column == value)
    if submitted_from:
        conditions.append(c.created_at >= clock.start_of(submitted_from))
    if submitted_to:
        conditions.append(c.created_at < clock.start_of(submitted_to))
    if after:
        created, id_ = after
        conditions.append(or_(c.created_at < created, and_(c.created_at == created, c.id < id_)))
    query = select(applications).where(*conditions).order_by(c.created_at.desc(), c.id.desc()).limit(limit)
    return [_application(r) for r in (await session.execute(query)).mappings()]


_LOCK_PEOPLE = text(
    "SELECT pg_advisory_xact_lock(hashtext(k)) FROM unnest(CAST(:keys AS text[])) WITH ORDINALITY AS t(k, n) "
    "ORDER BY n"
)
"""One round trip for a whole household, the locks taken in the order given (sorted: no deadlock)."""


async def lock_people(session: AsyncSession, bidxs: list[str]) -> None:
    """Serialise concurrent submissions that share a person, so the repeat rule and flags see each other."""
    keys = [f"intake:person:{bidx}" for bidx in sorted(set(bidxs))]
    if keys:
        await session.execute(_LOCK_PEOPLE, {"keys": keys})


async def candidates(
    session: AsyncSession, bidxs: list[str], *, exclude: str | None = None
) -> list[Candidate]:
    """Earlier cases whose current household shares a person (by ID-number blind index) with ``bidxs``."""
    a = applications.c
    shared = select(members.c.application_id).where(members.c.id_bidx.in_(bidxs))
    query = select(
        a.id,
        a.case_no,
        a.status,
        a.category,
        a.subtype,
        a.incident_date,
        a.decided_at,
        a.county_code,
        a.township_code,
        a.facts["incident_ongoing"].astext.label("incident_ongoing"),
    ).where(a.id.in_(shared))
    if exclude is not None:
        query = query.where(a.id != exclude)
    return [
        Candidate(
            **{
                **r,
                "status": ApplicationStatus(r["status"]),
                "incident_ongoing": r["incident_ongoing"] == "true",
            }
        )
        for r in (await session.execute(query)).mappings()
    ]


async def add_revision(session: AsyncSession, row: dict[str, Any]) -> None:
    await session.execute(application_revisions.insert().values(**row))


async def revision(session: AsyncSession, application_id: str, number: int) -> Revision | None:
    query = select(application_revisions).where(
        application_revisions.c.application_id == application_id, application_revisions.c.revision == number
    )
    row = (await session.execute(query)).mappings().first()
    return Revision(**row) if row else None


async def revisions(session: AsyncSession, application_id: str) -> list[Revision]:
    query = (
        select(application_revisions)
        .where(application_revisions.c.application_id == application_id)
        .order_by(application_revisions.c.revision)
    )
    return [Revision(**r) for r in (await session.execute(query)).mappings()]


async def amend(
    session: AsyncSession, application_id: str, values: dict[str, Any], member_rows: list[dict[str, Any]]
) -> None:
    await session.execute(update(applications).where(applications.c.id == application_id).values(**values))
    await session.execute(delete(members).where(members.c.application_id == application_id))
    await session.execute(members.insert(), member_rows)


async def set_status(
    session: AsyncSession, application_id: str, status: ApplicationStatus, **values: Any
) -> None:
    """A new status; the case moved on, so any earlier ``needs_attention`` is resolved."""
    await session.execute(
        update(applications)
        .where(applications.c.id == application_id)
        .values(status=status, updated_at=func.now(), **({"attention": None} | values))
    )


async def mark_attention(session: AsyncSession, application_id: str, attention: dict[str, Any]) -> None:
    """``needs_attention``: a service could not process the case; ``attention`` says which, why and when."""
    await session.execute(
        update(applications)
        .where(applications.c.id == application_id)
        .values(status=ApplicationStatus.needs_attention, attention=attention, updated_at=func.now())
    )


async def replace_coverage(session: AsyncSession, periods: list[dict[str, Any]]) -> None:
    """Assessment's policy periods as last published (the event carries all of them)."""
    await session.execute(delete(policy_coverage))
    if periods:
        await session.execute(policy_coverage.insert(), periods)


async def county_coverage(session: AsyncSession, county_code: str) -> list[CoveragePeriod]:
    query = select(policy_coverage).where(policy_coverage.c.county_code == county_code)
    rows = (await session.execute(query.order_by(policy_coverage.c.effective_from))).mappings()
    return [CoveragePeriod(**r) for r in rows]


async def set_raised(session: AsyncSession, application_id: str) -> None:
    await session.execute(
        update(applications)
        .where(applications.c.id == application_id)
        .values(raised=True, updated_at=func.now())
    )


async def add_flags(session: AsyncSession, rows: list[dict[str, Any]]) -> None:
    if rows:
        await session.execute(duplicate_flags.insert(), rows)


async def flags_of(
    session: AsyncSession, application_id: str, *, status: FlagStatus | None = None
) -> list[DuplicateFlag]:
    f = duplicate_flags.c
    query = select(duplicate_flags).where(f.application_id == application_id)
    if status is not None:
        query = query.where(f.status == status)
    return [_flag(r) for r in (await session.execute(query.order_by(f.created_at, f.id))).mappings()]


async def resolve_flags(
    session: AsyncSession,
    application_id: str,
    *,
    status: FlagStatus,
    actor: str | None,
    reason: str,
    at: datetime,
) -> int:
    f = duplicate_flags.c
    result = await session.execute(
        update(duplicate_flags)
        .where(f.application_id == application_id, f.status == FlagStatus.open)
        .values(status=status, resolved_by=actor, resolved_at=at, resolution_reason=reason)
    )
    return int(cast(CursorResult[Any], result).rowcount or 0)  # DML: a cursor result


async def flags_page(
    session: AsyncSession,
    *,
    status: str | None,
    kind: str | None,
    county_code: str | None,
    township_code: str | None,
    application_id: str | None,
    created_from: date | None,
    created_to: date | None,
    after: tuple[datetime, str] | None,
    limit: int,
) -> list[DuplicateFlag]:
    """Newest first, keyset on (created_at, id); cleared and merged flags stay listed."""
    f = duplicate_flags.c
    conditions = []
    for column, value in (
        (f.status, status),
        (f.kind, kind),
        (f.county_code, county_code),
        (f.township_code, township_code),
    ):
        if value is not None:
            conditions.append(column == value)
    if application_id is not None:
        conditions.append(or_(f.application_id == application_id, f.matched_application_id == application_id))
    if created_from:
        conditions.append(f.created_at >= clock.start_of(created_from))
    if created_to:
        conditions.append(f.created_at < clock.start_of(created_to))
    if after:
        created, id_ = after
        conditions.append(or_(f.created_at < created, and_(f.created_at == created, f.id < id_)))
    matched = applications.alias("matched")
    query = (
        select(
            duplicate_flags,
            matched.c.county_code.label("matched_county_code"),
            matched.c.township_code.label("matched_township_code"),
        )
        .join(matched, matched.c.id == f.matched_application_id, isouter=True)
        .where(*conditions)
        .order_by(f.created_at.desc(), f.id.desc())
        .limit(limit)
    )
    return [_flag(r) for r in (await session.execute(query)).mappings()]


async def add_document(session: AsyncSession, row: dict[str, Any]) -> Document | None:
    """Insert; None when the same content was already recorded as the same kind for the case."""
    result = await session.execute(
        pg_insert(documents)
        .values(**row)
        .on_conflict_do_nothing(index_elements=["application_id", "kind", "sha256"])
        .returning(documents)
    )
    inserted = result.mappings().first()
    return Document(**inserted) if inserted else None


async def add_documents(session: AsyncSession, rows: list[dict[str, Any]]) -> list[Document]:
    """Insert several in one statement; returns those inserted (not those already recorded: same case,
    kind and content)."""
    result = await session.execute(
        pg_insert(documents)
        .values(rows)
        .on_conflict_do_nothing(index_elements=["application_id", "kind", "sha256"])
        .returning(documents)
    )
    return [Document(**r) for r in result.mappings()]


async def documents_by_hash(session: AsyncSession, application_id: str, sha256s: list[str]) -> list[Document]:
    """The case's documents with any of these contents (any kind)."""
    d = documents.c
    query = select(documents).where(d.application_id == application_id, d.sha256.in_(sha256s))
    return [Document(**r) for r in (await session.execute(query)).mappings()]


async def document_by_hash(
    session: AsyncSession, application_id: str, kind: str, sha256: str
) -> Document | None:
    d = documents.c
    query = select(documents).where(d.application_id == application_id, d.kind == kind, d.sha256 == sha256)
    row = (await session.execute(query)).mappings().first()
    return Document(**row) if row else None


async def documents_of(session: AsyncSession, application_id: str) -> list[Document]:
    query = (
        select(documents)
        .where(documents.c.application_id == application_id)
        .order_by(documents.c.recorded_at, documents.c.id)
    )
    return [Document(**r) for r in (await session.execute(query)).mappings()]


async def document_kinds(session: AsyncSession, application_ids: list[str]) -> dict[str, set[str]]:
    out: dict[str, set[str]] = {i: set() for i in application_ids}
    if application_ids:
        query = (
            select(documents.c.application_id, documents.c.kind)
            .where(documents.c.application_id.in_(application_ids))
            .distinct()
        )
        for app_id, kind in (await session.execute(query)).all():
            out[app_id].add(kind)
    return out


async def open_flag_counts(session: AsyncSession, application_ids: list[str]) -> dict[str, int]:
    if not application_ids:
        return {}
    f = duplicate_flags.c
    query = (
        select(f.application_id, func.count())
        .where(f.application_id.in_(application_ids), f.status == FlagStatus.open)
        .group_by(f.application_id)
    )
    return {app_id: int(n) for app_id, n in (await session.execute(query)).all()}


async def open_flag_kinds(session: AsyncSession, application_ids: list[str]) -> dict[str, dict[str, int]]:
    """Per held case, how many open flags of each kind (no matched case ids: they may be elsewhere)."""
    if not application_ids:
        return {}
    f = duplicate_flags.c
    query = (
        select(f.application_id, f.kind, func.count())
        .where(f.application_id.in_(application_ids), f.status == FlagStatus.open)
        .group_by(f.application_id, f.kind)
    )
    kinds: dict[str, dict[str, int]] = {}
    for app_id, kind, n in (await session.execute(query)).all():
        kinds.setdefault(app_id, {})[kind] = int(n)
    return kinds


async def applications_of_person(session: AsyncSession, bidx: str, limit: int) -> list[Application]:
    """Every case (any status, merged and cleared included) whose household has this person."""
    shared = select(members.c.application_id).where(members.c.id_bidx == bidx)
    query = (
        select(applications)
        .where(applications.c.id.in_(shared))
        .order_by(applications.c.created_at.desc(), applications.c.id.desc())
        .limit(limit)
    )
    return [_application(r) for r in (await session.execute(query)).mappings()]


def _visit(row: RowMapping) -> HomeVisit:
    return HomeVisit(**{**row, "status": VisitStatus(row["status"])})


async def add_visit(session: AsyncSession, row: dict[str, Any]) -> HomeVisit:
    result = await session.execute(home_visits.insert().values(**row).returning(home_visits))
    return _visit(result.mappings().one())


async def visit(
    session: AsyncSession, application_id: str, visit_id: str, *, for_update: bool = False
) -> HomeVisit | None:
    v = home_visits.c
    query = select(home_visits).where(v.id == visit_id, v.application_id == application_id)
    if for_update:
        query = query.with_for_update()
    row = (await session.execute(query)).mappings().first()
    return _visit(row) if row else None


async def visits_of(session: AsyncSession, application_id: str) -> list[HomeVisit]:
    v = home_visits.c
    query = select(home_visits).where(v.application_id == application_id).order_by(v.recorded_at, v.id)
    return [_visit(r) for r in (await session.execute(query)).mappings()]


async def confirm_visit(session: AsyncSession, visit_id: str, *, at: datetime, document_id: str) -> HomeVisit:
    """The visit signed; returns it as stored (UPDATE … RETURNING: no re-read)."""
    result = await session.execute(
        update(home_visits)
        .where(home_visits.c.id == visit_id)
        .values(status=VisitStatus.confirmed.value, confirmed_at=at, document_id=document_id)
        .returning(home_visits)
    )
    return _visit(result.mappings().one())


async def documents_by_id(session: AsyncSession, application_id: str, ids: list[str]) -> list[Document]:
    if not ids:
        return []
    d = documents.c
    query = select(documents).where(d.application_id == application_id, d.id.in_(ids))
    return [Document(**r) for r in (await session.execute(query)).mappings()]


async def count_documents(session: AsyncSession) -> int:
    return int(await session.scalar(select(func.count()).select_from(documents)) or 0)


async def documents_after(
    session: AsyncSession, after: str | None, limit: int, *, lock: bool = False
) -> list[Document]:
    """Documents in id order after ``after`` (a keyset page of the re-encryption run); ``lock``: held
    until the transaction ends."""
    query = select(documents).order_by(documents.c.id).limit(limit)
    if after is not None:
        query = query.where(documents.c.id > after)
    if lock:
        query = query.with_for_update()
    return [Document(**r) for r in (await session.execute(query)).mappings()]


async def awaiting_visit(
    session: AsyncSession,
    *,
    county_code: str | None,
    township_code: str | None,
    open_statuses: list[str],
    limit: int,
) -> list[Application]:
    """Open cases without a confirmed home-visit report, oldest first (the township's visit tasks)."""
    c = applications.c
    visited = select(documents.c.application_id).where(documents.c.kind == "home_visit_report")
    conditions: list[ColumnElement[bool]] = [c.status.in_(open_statuses), c.id.not_in(visited)]
    if county_code is not None:
        conditions.append(c.county_code == county_code)
    if township_code is not None:
        conditions.append(c.township_code == township_code)
    query = select(applications).where(*conditions).order_by(c.created_at, c.id).limit(limit)
    return [_application(r) for r in (await session.execute(query)).mappings()]


async def add_step(session: AsyncSession, row: dict[str, Any]) -> None:
    await session.execute(case_steps.insert().values(**row))


async def steps_of(session: AsyncSession, application_id: str) -> list[CaseStep]:
    s = case_steps.c
    query = select(case_steps).where(s.application_id == application_id).order_by(s.at, s.id)
    return [CaseStep(**r) for r in (await session.execute(query)).mappings()]
