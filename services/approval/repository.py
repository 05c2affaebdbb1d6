"""All of approval's queries, figure and gauge queries included; they return typed entities
(domain/model.py), never rows."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Any, cast

from sqlalchemy import Integer, Select, Table, and_, func, select, update
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
    SceneLead,
    Step,
    TownshipLimits,
)
from services.approval.domain.reexamination_rules import WAITING
from services.approval.domain.tiers import Level
from services.approval.tables import (
    archive_states,
    calendars,
    cases,
    complaints,
    decisions,
    help_first_grants,
    leads,
    reexamination_policies,
    reexaminations,
    township_limits,
)
from shared.figures import Filters, local_day, month_of
from shared.policy_versions import row_in_force
from shared.reference import jurisdictions
from shared.retention import ClosedRows


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


async def set_status(session: AsyncSession, case_id: str, status: CaseStatus) -> Case | None:
    """The new status; returns the case as stored (UPDATE … RETURNING: no re-read), None if unknown."""
    result = await session.execute(
        update(cases)
        .where(cases.c.case_id == case_id)
        .values(status=status.value, updated_at=func.now())
        .returning(cases)
    )
    row = result.mappings().first()
    return _case(row) if row else None


async def add_decision(session: AsyncSession, row: dict[str, Any]) -> None:
    await session.execute(decisions.insert().values(**row))


async def decisions_for(session: AsyncSession, case_id: str) -> list[DecisionRecord]:
    query = select(decisions).where(decisions.c.case_id == case_id).order_by(decisions.c.id)
    return [_decision(r) for r in (await session.execute(query)).mappings()]


async def township_limits_on(session: AsyncSession, township_code: str, on: date) -> TownshipLimits | None:
    """The limits in force on ``on`` (the latest effective version; a later same-day entry wins)."""
    row = await row_in_force(session, township_limits, township_code, on, key_column="township_code")
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


# --- leads announced by intake (R-OVS-2), for help at the scene (R-FLOW-2) ---


async def add_lead(session: AsyncSession, row: dict[str, Any]) -> None:
    """Record a lead once (a repeated LeadOpened changes nothing)."""
    await session.execute(insert(leads).values(**row).on_conflict_do_nothing(index_elements=["lead_id"]))


async def close_lead(session: AsyncSession, lead_id: str, closed_at: datetime) -> None:
    """Intake closed the lead (LeadClosed); the first closing time stays (a repeated event changes
    nothing)."""
    await session.execute(
        update(leads)
        .where(leads.c.lead_id == lead_id, leads.c.closed_at.is_(None))
        .values(closed_at=closed_at)
    )


async def lead(session: AsyncSession, lead_id: str, *, for_update: bool = False) -> SceneLead | None:
    query = select(leads).where(leads.c.lead_id == lead_id)
    if for_update:
        query = query.with_for_update()
    row = (await session.execute(query)).mappings().first()
    return SceneLead(**row) if row else None


async def lead_grant(session: AsyncSession, lead_id: str) -> HelpFirstGrant | None:
    query = select(help_first_grants).where(help_first_grants.c.lead_id == lead_id)
    row = (await session.execute(query)).mappings().first()
    return _grant(row) if row else None


async def known_cases(session: AsyncSession, case_ids: list[str]) -> set[str]:
    """Which of ``case_ids`` reached approval (their application was assessed)."""
    if not case_ids:
        return set()
    query = select(cases.c.case_id).where(cases.c.case_id.in_(case_ids))
    return set((await session.execute(query)).scalars())


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
    row = await row_in_force(session, reexamination_policies, county_code, on)
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


def _overdue(
    table: Table,
    statuses: tuple[str, ...],
    on: date,
    *,
    county_code: str | None,
    township_code: str | None,
    limit: int,
) -> Select[Any]:
    """Rows of ``table`` in one of ``statuses`` whose deadline passed by ``on`` (the deadline day is still in
    time), oldest deadline first, in the county/township given."""
    query = (
        select(table)
        .where(table.c.status.in_(statuses), table.c.deadline < on)
        .order_by(table.c.deadline, table.c.id)
        .limit(limit)
    )
    if county_code:
        query = query.where(table.c.county_code == county_code)
    if township_code:
        query = query.where(table.c.township_code == township_code)
    return query


async def overdue_reexaminations(
    session: AsyncSession, on: date, *, county_code: str | None, township_code: str | None, limit: int
) -> list[Reexamination]:
    """Open re-examinations whose deadline passed by ``on``."""
    query = _overdue(
        reexaminations,
        (ReexaminationStatus.open.value,),
        on,
        county_code=county_code,
        township_code=township_code,
        limit=limit,
    )
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
    waiting = tuple(status.value for status in WAITING)
    query = _overdue(
        complaints, waiting, on, county_code=county_code, township_code=township_code, limit=limit
    )
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


# --- budgets (R-OVS-3): envelopes, commitments, their trace, the county's budget rules ---

from services.approval.domain.budget import (  # noqa: E402 - the budgets block, kept apart for merges
    DEFAULT_ORDER,
    BudgetPolicy,
    Commitment,
    Envelope,
    Movement,
    OverEnvelope,
)
from services.approval.tables import (  # noqa: E402
    budget_commitments,
    budget_envelopes,
    budget_movements,
    budget_policies,
)


async def envelopes_locked(session: AsyncSession, county_code: str, year: int) -> dict[str, Envelope]:
    """Every envelope of a county's year, row-locked in id order (one order for every locker, so two
    decisions for the last yuan queue up instead of both seeing it free, and never deadlock)."""
    query = (
        select(budget_envelopes)
        .where(budget_envelopes.c.county_code == county_code, budget_envelopes.c.year == year)
        .order_by(budget_envelopes.c.id)
        .with_for_update()
    )
    rows = (await session.execute(query)).mappings()
    return {r["source"]: Envelope(**r) for r in rows}


async def lock_envelopes_of(session: AsyncSession, envelope_ids: list[int]) -> dict[int, Envelope]:
    """Lock the envelopes' whole county years, in id order (as ``envelopes_locked`` does); by id."""
    if not envelope_ids:
        return {}
    e = budget_envelopes
    years = select(e.c.county_code, e.c.year).where(e.c.id.in_(envelope_ids)).distinct().subquery()
    query = (
        select(e)
        .join(years, and_(years.c.county_code == e.c.county_code, years.c.year == e.c.year))
        .order_by(e.c.id)
        .with_for_update(of=e)
    )
    return {r["id"]: Envelope(**r) for r in (await session.execute(query)).mappings()}


async def envelope_list(session: AsyncSession, county_code: str | None, year: int | None) -> list[Envelope]:
    query = select(budget_envelopes).order_by(
        budget_envelopes.c.county_code, budget_envelopes.c.year, budget_envelopes.c.source
    )
    if county_code:
        query = query.where(budget_envelopes.c.county_code == county_code)
    if year:
        query = query.where(budget_envelopes.c.year == year)
    return [Envelope(**r) for r in (await session.execute(query)).mappings()]


async def envelope(
    session: AsyncSession, county_code: str, year: int, source: str, *, for_update: bool = False
) -> Envelope | None:
    query = select(budget_envelopes).where(
        budget_envelopes.c.county_code == county_code,
        budget_envelopes.c.year == year,
        budget_envelopes.c.source == source,
    )
    if for_update:
        query = query.with_for_update()
    row = (await session.execute(query)).mappings().first()
    return Envelope(**row) if row else None


async def put_envelope(
    session: AsyncSession, county_code: str, year: int, source: str, amount: Decimal, actor: str | None
) -> Envelope:
    stmt = insert(budget_envelopes).values(
        county_code=county_code, year=year, source=source, amount=amount, actor=actor
    )
    upsert = stmt.on_conflict_do_update(
        index_elements=["county_code", "year", "source"],
        set_={"amount": stmt.excluded.amount, "actor": stmt.excluded.actor, "updated_at": func.now()},
    ).returning(budget_envelopes)
    return Envelope(**(await session.execute(upsert)).mappings().one())


async def shift_envelope(session: AsyncSession, envelope_id: int, committed: Decimal, spent: Decimal) -> None:
    """Move money between the envelope's columns (the row is locked by the caller)."""
    e = budget_envelopes
    await session.execute(
        update(e)
        .where(e.c.id == envelope_id)
        .values(committed=e.c.committed + committed, spent=e.c.spent + spent, updated_at=func.now())
    )


async def add_commitment(session: AsyncSession, row: dict[str, Any]) -> int:
    stmt = budget_commitments.insert().values(**row).returning(budget_commitments.c.id)
    return int((await session.execute(stmt)).scalar_one())


async def commitments_for(
    session: AsyncSession, case_id: str, *, for_update: bool = False
) -> list[Commitment]:
    query = (
        select(budget_commitments)
        .where(budget_commitments.c.case_id == case_id)
        .order_by(budget_commitments.c.id)
    )
    if for_update:
        query = query.with_for_update()
    return [Commitment(**r) for r in (await session.execute(query)).mappings()]


async def shift_commitment(session: AsyncSession, commitment_id: int, **deltas: Decimal) -> None:
    """Add ``deltas`` to the commitment's amount, spent or released."""
    c = budget_commitments
    values = {name: c.c[name] + delta for name, delta in deltas.items()}
    await session.execute(update(c).where(c.c.id == commitment_id).values(**values))


async def add_movement(session: AsyncSession, row: dict[str, Any]) -> None:
    await session.execute(budget_movements.insert().values(**row))


async def movements(session: AsyncSession, envelope_id: int, after: int, limit: int) -> list[Movement]:
    query = (
        select(budget_movements)
        .where(budget_movements.c.envelope_id == envelope_id, budget_movements.c.id > after)
        .order_by(budget_movements.c.id)
        .limit(limit)
    )
    return [Movement(**r) for r in (await session.execute(query)).mappings()]


async def budget_policy_on(session: AsyncSession, county_code: str, on: date) -> BudgetPolicy | None:
    """The county's budget rules in force on ``on`` (the latest version; a later same-day entry wins)."""
    row = await row_in_force(session, budget_policies, county_code, on)
    return BudgetPolicy(**row) if row else None


async def budget_policy_history(session: AsyncSession, county_code: str) -> list[BudgetPolicy]:
    p = budget_policies
    query = select(p).where(p.c.county_code == county_code).order_by(p.c.effective_from, p.c.id)
    return [BudgetPolicy(**r) for r in (await session.execute(query)).mappings()]


async def add_budget_policy(session: AsyncSession, row: dict[str, Any]) -> BudgetPolicy:
    stmt = budget_policies.insert().values(**row).returning(budget_policies)
    return BudgetPolicy(**(await session.execute(stmt)).mappings().one())


SEED_ENVELOPE = Decimal("10000000.00")


async def seed_budgets(session: AsyncSession, year: int) -> None:
    """Illustrative, like the limits: on an empty schema, every county gets the rules (central, provincial,
    local in that order; refuse beyond the envelope) from 2025 and 10,000,000.00 per source for ``year``.
    Counties set their real envelopes by API; a later year has none until they do (then approvals are
    refused, R-OVS-3)."""
    counties = [c["code"] for c in jurisdictions()["counties"]]
    if not await session.scalar(select(func.count()).select_from(budget_policies)):
        order = [s.value for s in DEFAULT_ORDER]
        await session.execute(
            budget_policies.insert(),
            [
                {
                    "county_code": c,
                    "effective_from": date(2025, 1, 1),
                    "source_order": order,
                    "by_category": {},
                    "over_envelope": OverEnvelope.refuse.value,
                }
                for c in counties
            ],
        )
    if not await session.scalar(select(func.count()).select_from(budget_envelopes)):
        rows = [
            {"county_code": c, "year": year, "source": s.value, "amount": SEED_ENVELOPE}
            for c in counties
            for s in DEFAULT_ORDER
        ]
        stmt = budget_envelopes.insert().values(rows).returning(budget_envelopes.c.id)
        ids = (await session.execute(stmt)).scalars().all()
        movement = {"kind": "allocation", "amount": SEED_ENVELOPE, "actor": "seed"}
        await session.execute(budget_movements.insert(), [{**movement, "envelope_id": i} for i in ids])


# --- supervision (R-OVS-1): scorecard tallies, targets, findings ---

from services.approval.domain.scorecard import Finding, Target, TownshipTally  # noqa: E402 - its own block
from services.approval.tables import scorecard_findings, scorecard_targets  # noqa: E402
from shared.clock import zone_name  # noqa: E402


def _year_of(column: Any) -> Any:
    """The local (programme's zone) year of a timestamptz column."""
    return func.extract("year", func.timezone(zone_name(), column))


async def township_tallies(
    session: AsyncSession, county_code: str, year: int, as_of: date
) -> list[TownshipTally]:
    """Per township of the county: final decisions of the year (local), those within the township's
    delegation (R-FLOW-3), the median seconds from submission to decision, and help-first grants of the
    year whose paperwork was due by ``as_of`` or done, and of those the ones done in time (R-FLOW-2);
    re-examinations decided in the year (local), and of those the ones that changed the decision (R-REX-2)."""
    c, d, g = cases, decisions, help_first_grants
    wait = func.extract("epoch", d.c.at - c.c.submitted_at)
    decided = (
        select(
            c.c.township_code,
            func.count().label("decided"),
            func.count().filter(d.c.level == Level.township.value).label("within"),
            func.percentile_cont(0.5).within_group(wait).label("median"),
        )
        .select_from(d.join(c, c.c.case_id == d.c.case_id))
        .where(
            d.c.step == Step.approval.value,
            d.c.decision.in_((Opinion.approved.value, Opinion.rejected.value)),
            c.c.county_code == county_code,
            _year_of(d.c.at) == year,
        )
        .group_by(c.c.township_code)
    )
    done = local_day(g.c.completed_at)
    completed = g.c.completed_at.is_not(None)
    due = completed | (g.c.deadline.is_not(None) & (g.c.deadline < as_of))
    on_time = completed & (g.c.deadline.is_(None) | (done <= g.c.deadline))
    grants = (
        select(
            g.c.township_code,
            func.count().filter(due).label("due"),
            func.count().filter(on_time).label("on_time"),
        )
        .where(g.c.county_code == county_code, _year_of(g.c.granted_at) == year)
        .group_by(g.c.township_code)
    )
    x = reexaminations
    reexamined = (
        select(
            x.c.township_code,
            func.count().label("rex_decided"),
            func.count().filter(x.c.status == ReexaminationStatus.changed.value).label("rex_changed"),
        )
        .where(
            x.c.county_code == county_code,
            x.c.status != ReexaminationStatus.open.value,
            _year_of(x.c.decided_at) == year,
        )
        .group_by(x.c.township_code)
    )
    by_township: dict[str, dict[str, Any]] = {}
    for r in (await session.execute(reexamined)).mappings():
        by_township.setdefault(r["township_code"], {}).update(
            rex_decided=r["rex_decided"], rex_changed=r["rex_changed"]
        )
    for r in (await session.execute(decided)).mappings():
        by_township.setdefault(r["township_code"], {}).update(
            decided=r["decided"], within=r["within"], median=r["median"]
        )
    for r in (await session.execute(grants)).mappings():
        by_township.setdefault(r["township_code"], {}).update(due=r["due"], on_time=r["on_time"])
    return [
        TownshipTally(
            township_code=t,
            decided=int(v.get("decided", 0)),
            within_delegation=int(v.get("within", 0)),
            median_seconds=float(v["median"]) if v.get("median") is not None else None,
            help_first_due=int(v.get("due", 0)),
            help_first_on_time=int(v.get("on_time", 0)),
            reexaminations_decided=int(v.get("rex_decided", 0)),
            reexaminations_changed=int(v.get("rex_changed", 0)),
        )
        for t, v in sorted(by_township.items())
    ]


async def targets_for(session: AsyncSession, county_code: str, year: int) -> list[Target]:
    t = scorecard_targets
    query = select(t).where(t.c.county_code == county_code, t.c.year == year).order_by(t.c.indicator)
    return [Target(**r) for r in (await session.execute(query)).mappings()]


async def put_target(session: AsyncSession, row: dict[str, Any]) -> Target:
    stmt = insert(scorecard_targets).values(**row)
    upsert = stmt.on_conflict_do_update(
        index_elements=["county_code", "year", "indicator"],
        set_={"target": stmt.excluded.target, "actor": stmt.excluded.actor, "created_at": func.now()},
    ).returning(scorecard_targets)
    return Target(**(await session.execute(upsert)).mappings().one())


async def add_finding(session: AsyncSession, row: dict[str, Any]) -> Finding:
    stmt = scorecard_findings.insert().values(**row).returning(scorecard_findings)
    return Finding(**(await session.execute(stmt)).mappings().one())


async def findings(
    session: AsyncSession, county_code: str, year: int, township_code: str | None = None
) -> list[Finding]:
    f = scorecard_findings
    query = select(f).where(f.c.county_code == county_code, f.c.year == year).order_by(f.c.id)
    if township_code:
        query = query.where(f.c.township_code == township_code)
    return [Finding(**r) for r in (await session.execute(query)).mappings()]


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


def retention_closed_cases() -> ClosedRows:
    """Retention (R-RET-2): (case_id, county_code, closed_at) of the decided cases, closed at their last
    decision."""
    last = (
        select(decisions.c.case_id, func.max(decisions.c.at).label("at"))
        .group_by(decisions.c.case_id)
        .subquery()
    )
    return (
        select(
            cases.c.case_id.label("case_id"),
            cases.c.county_code.label("county_code"),
            last.c.at.label("closed_at"),
        )
        .join(last, last.c.case_id == cases.c.case_id)
        .where(cases.c.status.in_(("approved", "rejected")))
    )
