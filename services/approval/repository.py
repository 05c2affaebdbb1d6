"""All of approval's queries, figure and gauge queries included; they return typed entities
(domain/model.py), never rows."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any, cast

from sqlalchemy import Integer, Select, and_, func, select, update
from sqlalchemy import case as when
from sqlalchemy import cast as sql_cast
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.engine import CursorResult, RowMapping
from sqlalchemy.ext.asyncio import AsyncSession

from services.approval.domain.model import (
    ArchiveState,
    CalendarYear,
    Case,
    CaseStatus,
    DecidedCase,
    DecisionRecord,
    DecisionSpeed,
    GrantStatus,
    HelpFirstGrant,
    HelpFirstTally,
    Opinion,
    Step,
    TownshipLimits,
)
from services.approval.domain.tiers import Level
from services.approval.tables import (
    archive_states,
    calendars,
    cases,
    decisions,
    help_first_grants,
    township_limits,
)
from shared.figures import Filters, local_day, month_of
from shared.reference import jurisdictions


def _case(row: RowMapping) -> Case:
    return Case(**{**row, "status": CaseStatus(row["status"])})


def _decision(row: RowMapping) -> DecisionRecord:
    return DecisionRecord(
        **{
            **row,
            "step": Step(row["step"]),
            "decision": Opinion(row["decision"]),
            "level": Level(row["level"]),
        }
    )


def _grant(row: RowMapping) -> HelpFirstGrant:
    return HelpFirstGrant(**{**row, "level": Level(row["level"]), "status": GrantStatus(row["status"])})


async def upsert_assessed(session: AsyncSession, row: dict[str, Any]) -> None:
    """A newer assessment revision replaces a pending case; an older or repeated one changes nothing."""
    stmt = insert(cases).values(**row)
    stmt = stmt.on_conflict_do_update(
        index_elements=["case_id"],
        set_={k: stmt.excluded[k] for k in row if k not in ("case_id", "created_at")},
        where=(cases.c.revision < stmt.excluded.revision)
        & cases.c.status.in_((CaseStatus.pending, CaseStatus.returned)),
    )
    await session.execute(stmt)


async def get(session: AsyncSession, case_id: str, *, for_update: bool = False) -> Case | None:
    query = select(cases).where(cases.c.case_id == case_id)
    if for_update:
        query = query.with_for_update()
    row = (await session.execute(query)).mappings().first()
    return _case(row) if row else None


async def set_status(session: AsyncSession, case_id: str, status: CaseStatus) -> None:
    await session.execute(
        update(cases).where(cases.c.case_id == case_id).values(status=status.value, updated_at=func.now())
    )


async def add_decision(session: AsyncSession, row: dict[str, Any]) -> None:
    await session.execute(decisions.insert().values(**row))


async def decisions_for(session: AsyncSession, case_id: str) -> list[DecisionRecord]:
    query = select(decisions).where(decisions.c.case_id == case_id).order_by(decisions.c.id)
    return [_decision(r) for r in (await session.execute(query)).mappings()]


async def township_limits_on(session: AsyncSession, township_code: str, on: date) -> TownshipLimits | None:
    """The limits in force on ``on`` (the latest effective version; a later same-day entry wins)."""
    query = (
        select(township_limits)
        .where(township_limits.c.township_code == township_code, township_limits.c.effective_from <= on)
        .order_by(township_limits.c.effective_from.desc(), township_limits.c.id.desc())
        .limit(1)
    )
    row = (await session.execute(query)).mappings().first()
    return TownshipLimits(**row) if row else None


async def township_limit(session: AsyncSession, township_code: str, on: date) -> Decimal | None:
    limits = await township_limits_on(session, township_code, on)
    return limits.approval_limit if limits else None


async def limit_history(session: AsyncSession, township_code: str) -> list[TownshipLimits]:
    query = (
        select(township_limits)
        .where(township_limits.c.township_code == township_code)
        .order_by(township_limits.c.effective_from, township_limits.c.id)
    )
    return [TownshipLimits(**r) for r in (await session.execute(query)).mappings()]


async def add_limit(session: AsyncSession, row: dict[str, Any]) -> TownshipLimits:
    stmt = township_limits.insert().values(**row).returning(township_limits)
    return TownshipLimits(**(await session.execute(stmt)).mappings().one())


async def seed_limits(session: AsyncSession) -> None:
    """Illustrative delegation: every township may approve up to 5,000 yuan (counties change it by API)."""
    if await session.scalar(select(func.count()).select_from(township_limits)):
        return
    rows = [
        {
            "county_code": c["code"],
            "township_code": t["code"],
            "effective_from": date(2025, 1, 1),
            "approval_limit": Decimal("5000.00"),
            "disbursement_limit": Decimal("5000.00"),
        }
        for c in jurisdictions()["counties"]
        for t in c["townships"]
    ]
    await session.execute(township_limits.insert(), rows)


async def page(
    session: AsyncSession,
    *,
    status: CaseStatus | None,
    township_code: str | None,
    limit: int,
    county_code: str | None = None,
) -> list[Case]:
    query = select(cases).order_by(cases.c.created_at.desc(), cases.c.case_id.desc()).limit(limit)
    if status:
        query = query.where(cases.c.status == status.value)
    if county_code:
        query = query.where(cases.c.county_code == county_code)
    if township_code:
        query = query.where(cases.c.township_code == township_code)
    return [_case(r) for r in (await session.execute(query)).mappings()]


async def cases_by_status(session: AsyncSession) -> dict[str, int]:
    """The scrape-time gauge: how many cases are in each status (R-FLOW)."""
    rows = (await session.execute(select(cases.c.status, func.count()).group_by(cases.c.status))).all()
    return {str(status): int(count) for status, count in rows}


# --- help first (R-FLOW-2) ---


async def add_grant(session: AsyncSession, row: dict[str, Any]) -> bool:
    result = await session.execute(
        insert(help_first_grants).values(**row).on_conflict_do_nothing(index_elements=["case_id"])
    )
    return bool(cast(CursorResult[Any], result).rowcount)  # DML: a cursor result


async def grant(session: AsyncSession, case_id: str, *, for_update: bool = False) -> HelpFirstGrant | None:
    query = select(help_first_grants).where(help_first_grants.c.case_id == case_id)
    if for_update:
        query = query.with_for_update()
    row = (await session.execute(query)).mappings().first()
    return _grant(row) if row else None


async def update_grant(session: AsyncSession, case_id: str, **values: Any) -> None:
    await session.execute(
        update(help_first_grants).where(help_first_grants.c.case_id == case_id).values(**values)
    )


async def overdue_grants(
    session: AsyncSession,
    on: date,
    *,
    county_code: str | None = None,
    unnotified_only: bool = False,
    lock: bool = False,
    limit: int = 500,
) -> list[HelpFirstGrant]:
    """Open obligations whose deadline has passed by ``on`` (the deadline day itself is still in time)."""
    query = (
        select(help_first_grants)
        .where(help_first_grants.c.status == GrantStatus.open.value, help_first_grants.c.deadline < on)
        .order_by(help_first_grants.c.deadline, help_first_grants.c.case_id)
        .limit(limit)
    )
    if county_code:
        query = query.where(help_first_grants.c.county_code == county_code)
    if unnotified_only:
        query = query.where(help_first_grants.c.overdue_notified_at.is_(None))
    if lock:
        query = query.with_for_update(skip_locked=True)
    return [_grant(r) for r in (await session.execute(query)).mappings()]


# --- working-day calendars ---


async def put_calendar(session: AsyncSession, row: dict[str, Any]) -> None:
    stmt = insert(calendars).values(**row)
    await session.execute(
        stmt.on_conflict_do_update(
            index_elements=["scope", "year"],
            set_={k: stmt.excluded[k] for k in ("holidays", "workdays", "source", "actor", "updated_at")},
        )
    )


async def seed_calendar(session: AsyncSession, row: dict[str, Any]) -> None:
    """Seed data never overwrites what an administrator loaded."""
    await session.execute(
        insert(calendars).values(**row).on_conflict_do_nothing(index_elements=["scope", "year"])
    )


async def calendars_for(session: AsyncSession, scopes: list[str], years: list[int]) -> list[CalendarYear]:
    query = select(calendars).where(calendars.c.scope.in_(scopes), calendars.c.year.in_(years))
    return [CalendarYear(**r) for r in (await session.execute(query)).mappings()]


async def calendar(session: AsyncSession, scope: str, year: int) -> CalendarYear | None:
    query = select(calendars).where(calendars.c.scope == scope, calendars.c.year == year)
    row = (await session.execute(query)).mappings().first()
    return CalendarYear(**row) if row else None


# --- oversight figures (R-OVS-1, R-OVS-2, R-FLOW-2, R-FLOW-3) ---


def _decided(f: Filters) -> Select[Any]:
    c, d = cases, decisions
    persons = sql_cast(c.c.assessment["persons_helped"].astext, Integer)
    return (
        select(
            d.c.case_id,
            d.c.decision,
            d.c.level,
            d.c.amount,
            d.c.form,
            d.c.at,
            c.c.county_code,
            c.c.township_code,
            c.c.category,
            c.c.subtype,
            c.c.months,
            c.c.submitted_at,
            func.coalesce(persons, c.c.household_size).label("persons"),
            month_of(d.c.at).label("month"),
        )
        .select_from(d.join(c, c.c.case_id == d.c.case_id))
        .where(
            and_(
                d.c.step == Step.approval.value,
                d.c.decision.in_((Opinion.approved.value, Opinion.rejected.value)),
                f.period(d.c.at),
                f.place(c.c.county_code, c.c.township_code),
                f.kind(c.c.category, c.c.subtype),
            )
        )
    )


async def decided_cases(session: AsyncSession, f: Filters) -> list[DecidedCase]:
    """The final approval steps in the period (approved or rejected), oldest first."""
    decided = _decided(f).subquery("decided")
    rows = (await session.execute(select(decided).order_by(decided.c.at))).mappings()
    return [
        DecidedCase(**{**r, "decision": Opinion(r["decision"]), "level": Level(r["level"])}) for r in rows
    ]


async def decision_speed(session: AsyncSession, f: Filters) -> DecisionSpeed:
    """Time from submission (intake's receipt) to the decision: median and 90th percentile (R-OVS-2)."""
    decided = _decided(f).subquery("decided")
    wait = decided.c.at - decided.c.submitted_at
    query = select(
        func.count(wait).label("measured"),
        func.percentile_cont(0.5).within_group(wait).label("median"),
        func.percentile_cont(0.9).within_group(wait).label("p90"),
    )
    return DecisionSpeed(**(await session.execute(query)).mappings().one())


async def help_first_tallies(session: AsyncSession, f: Filters) -> list[HelpFirstTally]:
    """Grants made in the period, by level and state of their paperwork as of the period's end (R-FLOW-2)."""
    c, g = cases, help_first_grants
    as_of = f.as_of()
    done = local_day(g.c.completed_at)
    completed = and_(g.c.completed_at.is_not(None), done <= as_of)
    on_time = and_(completed, (g.c.deadline.is_(None)) | (done <= g.c.deadline))
    late = and_(completed, g.c.deadline.is_not(None), done > g.c.deadline)
    open_overdue = and_(~completed, g.c.deadline.is_not(None), g.c.deadline < as_of)
    status = when(
        (on_time, "completed_on_time"),
        (late, "completed_late"),
        (open_overdue, "open_overdue"),
        else_="open_in_time",
    )
    where = and_(f.place(g.c.county_code, g.c.township_code), f.period(g.c.granted_at))
    if f.category or f.subtype:
        where = and_(where, g.c.case_id.in_(select(c.c.case_id).where(f.kind(c.c.category, c.c.subtype))))
    query = (
        select(
            g.c.level,
            status.label("status"),
            func.count().label("grants"),
            func.sum(g.c.amount).label("amount"),
        )
        .where(where)
        .group_by(g.c.level, status)
        .order_by(g.c.level, status)
    )
    rows = (await session.execute(query)).mappings()
    return [HelpFirstTally(**{**r, "level": Level(r["level"])}) for r in rows]


async def keep_archive_state(session: AsyncSession, row: dict[str, Any]) -> None:
    """R-ARC-1: the latest report wins (an older one changes nothing; the inbox drops replays); an override
    stays."""
    a = archive_states.c
    statement = insert(archive_states).values(**row)
    await session.execute(
        statement.on_conflict_do_update(
            index_elements=[a.case_id],
            set_={k: statement.excluded[k] for k in row if k != "case_id"},
            where=a.as_of <= statement.excluded.as_of,  # in order on the case's partition; a frozen clock
        )
    )


async def archive_state(
    session: AsyncSession, case_id: str, *, for_update: bool = False
) -> ArchiveState | None:
    query = select(archive_states).where(archive_states.c.case_id == case_id)
    if for_update:
        query = query.with_for_update()
    row = (await session.execute(query)).mappings().first()
    return ArchiveState(**row) if row else None


async def override_archive(session: AsyncSession, case_id: str, values: dict[str, Any]) -> None:
    await session.execute(update(archive_states).where(archive_states.c.case_id == case_id).values(**values))
