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
    CalendarYear,
    Case,
    CaseStatus,
    Complaint,
    ComplaintStatus,
    ComplaintTopic,
    DecidedCase,
    DecisionRecord,
    DecisionSpeed,
    GrantStatus,
    Ground,
    HelpFirstGrant,
    HelpFirstTally,
    Opinion,
    Reexamination,
    ReexaminationPolicy,
    ReexaminationStatus,
    ReexaminationTally,
    Step,
    TownshipLimits,
)
from services.approval.domain.tiers import Level
from services.approval.tables import (
    calendars,
    cases,
    complaints,
    decisions,
    help_first_grants,
    reexamination_policies,
    reexaminations,
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


# --- re-examination (复核) and complaints (R-REX-1..5) ---


def _reexamination(row: RowMapping) -> Reexamination:
    def opinion(v: str | None) -> Opinion | None:
        return Opinion(v) if v else None

    return Reexamination(
        **{
            **row,
            "ground": Ground(row["ground"]),
            "status": ReexaminationStatus(row["status"]),
            "decision_before": Opinion(row["decision_before"]),
            "level_before": Level(row["level_before"]),
            "decision_after": opinion(row["decision_after"]),
            "level": Level(row["level"]) if row["level"] else None,
        }
    )


def _complaint(row: RowMapping) -> Complaint:
    return Complaint(
        **{**row, "topic": ComplaintTopic(row["topic"]), "status": ComplaintStatus(row["status"])}
    )


async def reexamination_policy_on(
    session: AsyncSession, county_code: str, on: date
) -> ReexaminationPolicy | None:
    """The county's version in force on ``on`` (the latest effective; a later same-day entry wins)."""
    p = reexamination_policies
    query = (
        select(p)
        .where(p.c.county_code == county_code, p.c.effective_from <= on)
        .order_by(p.c.effective_from.desc(), p.c.id.desc())
        .limit(1)
    )
    row = (await session.execute(query)).mappings().first()
    return ReexaminationPolicy(**row) if row else None


async def reexamination_policy_history(session: AsyncSession, county_code: str) -> list[ReexaminationPolicy]:
    p = reexamination_policies
    query = select(p).where(p.c.county_code == county_code).order_by(p.c.effective_from, p.c.id)
    return [ReexaminationPolicy(**r) for r in (await session.execute(query)).mappings()]


async def add_reexamination_policy(session: AsyncSession, row: dict[str, Any]) -> ReexaminationPolicy:
    stmt = reexamination_policies.insert().values(**row).returning(reexamination_policies)
    return ReexaminationPolicy(**(await session.execute(stmt)).mappings().one())


async def seed_reexamination_policies(session: AsyncSession, seed: dict[str, Any]) -> None:
    """The illustrative version for every county, once (an administrator's versions are never touched)."""
    if await session.scalar(select(func.count()).select_from(reexamination_policies)):
        return
    rows = [
        {
            "county_code": c["code"],
            "effective_from": date.fromisoformat(seed["effective_from"]),
            "request_window_days": seed["request_window_days"],
            "decision_days": seed["decision_days"],
            "complaint_days": seed["complaint_days"],
            "actor": "seed",
        }
        for c in jurisdictions()["counties"]
    ]
    await session.execute(reexamination_policies.insert(), rows)


async def reexaminations_for(session: AsyncSession, case_id: str) -> list[Reexamination]:
    r = reexaminations
    query = select(r).where(r.c.case_id == case_id).order_by(r.c.seq)
    return [_reexamination(row) for row in (await session.execute(query)).mappings()]


async def open_reexamination(session: AsyncSession, case_id: str) -> Reexamination | None:
    r = reexaminations
    query = (
        select(r)
        .where(r.c.case_id == case_id, r.c.status == ReexaminationStatus.open.value)
        .with_for_update()
    )
    row = (await session.execute(query)).mappings().first()
    return _reexamination(row) if row else None


async def add_reexamination(session: AsyncSession, row: dict[str, Any]) -> None:
    await session.execute(reexaminations.insert().values(**row))


async def update_reexamination(session: AsyncSession, reexamination_id: str, **values: Any) -> None:
    await session.execute(
        update(reexaminations).where(reexaminations.c.id == reexamination_id).values(**values)
    )


async def overdue_reexaminations(
    session: AsyncSession, on: date, *, county_code: str | None, township_code: str | None, limit: int
) -> list[Reexamination]:
    """Open re-examinations whose deadline passed by ``on`` (the deadline day is still in time)."""
    r = reexaminations
    query = (
        select(r)
        .where(r.c.status == ReexaminationStatus.open.value, r.c.deadline < on)
        .order_by(r.c.deadline, r.c.id)
        .limit(limit)
    )
    if county_code:
        query = query.where(r.c.county_code == county_code)
    if township_code:
        query = query.where(r.c.township_code == township_code)
    return [_reexamination(row) for row in (await session.execute(query)).mappings()]


async def add_complaint(session: AsyncSession, row: dict[str, Any]) -> None:
    await session.execute(complaints.insert().values(**row))


async def complaint(
    session: AsyncSession, complaint_id: str, *, for_update: bool = False
) -> Complaint | None:
    query = select(complaints).where(complaints.c.id == complaint_id)
    if for_update:
        query = query.with_for_update()
    row = (await session.execute(query)).mappings().first()
    return _complaint(row) if row else None


async def complaints_for(session: AsyncSession, case_id: str) -> list[Complaint]:
    query = select(complaints).where(complaints.c.case_id == case_id).order_by(complaints.c.filed_at)
    return [_complaint(r) for r in (await session.execute(query)).mappings()]


async def update_complaint(session: AsyncSession, complaint_id: str, **values: Any) -> None:
    await session.execute(update(complaints).where(complaints.c.id == complaint_id).values(**values))


async def overdue_complaints(
    session: AsyncSession, on: date, *, county_code: str | None, township_code: str | None, limit: int
) -> list[Complaint]:
    """Complaints not yet answered whose deadline passed by ``on``."""
    c = complaints
    waiting = (ComplaintStatus.open.value, ComplaintStatus.assigned.value)
    query = (
        select(c)
        .where(c.c.status.in_(waiting), c.c.deadline < on)
        .order_by(c.c.deadline, c.c.id)
        .limit(limit)
    )
    if county_code:
        query = query.where(c.c.county_code == county_code)
    if township_code:
        query = query.where(c.c.township_code == township_code)
    return [_complaint(r) for r in (await session.execute(query)).mappings()]


async def reexamination_tally(session: AsyncSession, f: Filters) -> ReexaminationTally:
    """Re-examinations requested in the period: how many decided, changed, open past their deadline as of
    the period's end, and the median days from request to decision (R-REX-5)."""
    r = reexaminations
    days = func.extract("epoch", r.c.decided_at - r.c.requested_at) / 86400.0
    decided = r.c.status != ReexaminationStatus.open.value
    query = select(
        func.count().label("requested"),
        func.count().filter(decided).label("decided"),
        func.count().filter(r.c.status == ReexaminationStatus.changed.value).label("changed"),
        func.count().filter(and_(~decided, r.c.deadline < f.as_of())).label("open_overdue"),
        func.percentile_cont(0.5).within_group(days).label("median_days"),
    ).where(f.place(r.c.county_code, r.c.township_code), f.period(r.c.requested_at))
    if f.category or f.subtype:
        query = query.where(
            r.c.case_id.in_(select(cases.c.case_id).where(f.kind(cases.c.category, cases.c.subtype)))
        )
    row = (await session.execute(query)).mappings().one()
    median = row["median_days"]
    return ReexaminationTally(**{**row, "median_days": float(median) if median is not None else None})
