"""All of referral's queries (figure and gauge queries too); they return the typed entities of
``domain/model.py``, never rows. Charity projects are in ``repository.project_queries``, government-scheme
referrals and the desk's suggestions in ``repository.scheme_queries``."""

from __future__ import annotations

import dataclasses
import enum
from datetime import datetime
from decimal import Decimal
from functools import cache
from typing import Any, TypeVar, cast, get_type_hints

from sqlalchemy import and_, any_, case, func, literal, or_, select, update
from sqlalchemy import case as when
from sqlalchemy.dialects.postgresql import distinct_on, insert
from sqlalchemy.engine import CursorResult
from sqlalchemy.ext.asyncio import AsyncSession

from services.referral.domain.model import (
    Case,
    Delivery,
    DeliveryStatus,
    DueDelivery,
    FeedItem,
    HistoryEntry,
    MatchState,
    NeedsRecord,
    NeedTypeFigure,
    Partner,
    PartnerFigure,
    PartnerPerformance,
    PartnerStatus,
    PartnerTask,
    RecordStatus,
    Task,
    TaskStatus,
    TownshipFulfilment,
)
from services.referral.domain.schemes import SchemeStatus
from services.referral.domain.tasks import OPEN
from services.referral.tables import (
    cases,
    needs_records,
    partner_events,
    partners,
    scheme_referrals,
    tasks,
    webhook_deliveries,
)
from services.referral.tables import projects as project_table
from shared.figures import Filters

E = TypeVar("E")
ACCEPTED = (TaskStatus.accepted, TaskStatus.in_progress, TaskStatus.completed)
"""Offers the partner took on (R-CHA-3)."""


@cache
def _enums(cls: Any) -> dict[str, type[enum.Enum]]:
    """The fields of an entity that hold a status (converted from the stored string)."""
    hints = get_type_hints(cls)
    return {n: t for n, t in hints.items() if isinstance(t, type) and issubclass(t, enum.Enum)}


def _entity(cls: type[E], row: Any) -> E:
    enums = _enums(cast(Any, cls))
    values = {
        f.name: enums[f.name](row[f.name]) if f.name in enums else row[f.name]
        for f in dataclasses.fields(cls)  # type: ignore[arg-type]
    }
    return cls(**values)


async def _one(session: AsyncSession, cls: type[E], query: Any) -> E | None:
    row = (await session.execute(query)).mappings().first()
    return None if row is None else _entity(cls, row)


async def _all(session: AsyncSession, cls: type[E], query: Any) -> list[E]:
    return [_entity(cls, r) for r in (await session.execute(query)).mappings()]


# --- cases and needs records ---------------------------------------------------------------------------


async def known_case(session: AsyncSession, case_id: str) -> Case | None:
    return await _one(session, Case, select(cases).where(cases.c.case_id == case_id))


async def merge_case(session: AsyncSession, case_id: str, case_ref: str, **values: Any) -> Case:
    """Create or update what referral knows of a case; facts arrive from several events in any order."""
    stmt = insert(cases).values(case_id=case_id, case_ref=case_ref, **values)
    stmt = stmt.on_conflict_do_update(index_elements=["case_id"], set_={**values, "updated_at": func.now()})
    await session.execute(stmt)
    row = (
        (await session.execute(select(cases).where(cases.c.case_id == case_id).with_for_update()))
        .mappings()
        .one()
    )
    return _entity(Case, row)


async def add_record(session: AsyncSession, row: dict[str, Any]) -> bool:
    result = await session.execute(
        insert(needs_records).values(**row).on_conflict_do_nothing(index_elements=["case_id", "need_type"])
    )
    return bool(cast(CursorResult[Any], result).rowcount)  # DML: a cursor result


async def records_for(session: AsyncSession, case_id: str) -> list[NeedsRecord]:
    query = (
        select(needs_records).where(needs_records.c.case_id == case_id).order_by(needs_records.c.need_type)
    )
    return await _all(session, NeedsRecord, query)


async def withdraw_records(session: AsyncSession, case_id: str, record_ids: list[str]) -> list[NeedsRecord]:
    """Withdraw these published records of the case (consent withdrawn, R-CHA-2)."""
    result = await session.execute(
        update(needs_records)
        .where(
            needs_records.c.case_id == case_id,
            needs_records.c.status == RecordStatus.published,
            needs_records.c.id.in_(record_ids),
        )
        .values(status=RecordStatus.withdrawn, withdrawn_at=func.now(), match_state=MatchState.closed)
        .returning(needs_records)
    )
    return [_entity(NeedsRecord, r) for r in result.mappings()]


async def lock_record(session: AsyncSession, record_id: str) -> NeedsRecord | None:
    query = select(needs_records).where(needs_records.c.id == record_id).with_for_update()
    return await _one(session, NeedsRecord, query)


async def set_match_state(session: AsyncSession, record_id: str, state: MatchState | str) -> None:
    await session.execute(
        update(needs_records).where(needs_records.c.id == record_id).values(match_state=state)
    )


async def offerable_records(session: AsyncSession, limit: int) -> list[NeedsRecord]:
    """Published records waiting for a partner for which a matching partner not yet tried now exists;
    locked (other replicas skip them)."""
    r = needs_records
    tried = select(tasks.c.partner_id).where(tasks.c.record_id == r.c.id)
    candidate = select(partners.c.id).where(
        partners.c.status == PartnerStatus.active,
        partners.c.kind != "government_scheme",
        partners.c.id.not_in(select(project_table.c.partner_id)),
        r.c.need_type == any_(partners.c.need_types),
        or_(
            r.c.county_code == any_(partners.c.service_areas),
            r.c.township_code == any_(partners.c.service_areas),
        ),
        partners.c.id.not_in(tried),
    )
    project = select(project_table.c.id).where(  # an open project with a place left (ranked when offered)
        project_table.c.status == "open",
        r.c.need_type == any_(project_table.c.need_types),
        or_(r.c.county_code == any_(project_table.c.areas), r.c.township_code == any_(project_table.c.areas)),
        project_table.c.capacity > project_table.c.places_held + project_table.c.places_taken,
        project_table.c.partner_id.not_in(tried),
    )
    query = (
        select(r)
        .where(
            r.c.match_state == MatchState.unmatched,
            r.c.status == RecordStatus.published,
            or_(candidate.exists(), project.exists()),
        )
        .order_by(r.c.published_at)
        .limit(limit)
        .with_for_update(of=r, skip_locked=True)
    )
    return await _all(session, NeedsRecord, query)


# --- partners ------------------------------------------------------------------------------------------


async def insert_partner(session: AsyncSession, row: dict[str, Any]) -> Partner:
    result = await session.execute(insert(partners).values(**row).returning(partners))
    return _entity(Partner, result.mappings().one())


async def get_partner(session: AsyncSession, partner_id: str) -> Partner | None:
    return await _one(session, Partner, select(partners).where(partners.c.id == partner_id))


async def partner_by_key(session: AsyncSession, key_hash: str) -> Partner | None:
    return await _one(session, Partner, select(partners).where(partners.c.api_key_hash == key_hash))


async def list_partners(session: AsyncSession, status: str | None) -> list[Partner]:
    query = select(partners).order_by(partners.c.seq)
    if status:
        query = query.where(partners.c.status == status)
    return await _all(session, Partner, query)


async def own_topic_partner_ids(session: AsyncSession, *, include_shared: bool) -> list[str]:
    """Partners receiving Kafka records on their own topic (whose topics must exist); with
    ``include_shared`` also those recorded as shared (the shared topic is disabled)."""
    query = select(partners.c.id).order_by(partners.c.seq)
    if not include_shared:
        query = query.where(partners.c.kafka_topic == "own")
    return list((await session.execute(query)).scalars())


async def update_partner(session: AsyncSession, partner_id: str, values: dict[str, Any]) -> Partner | None:
    return await _one(
        session,
        Partner,
        update(partners)
        .where(partners.c.id == partner_id)
        .values(**values, updated_at=func.now())
        .returning(partners),
    )


async def next_partner(session: AsyncSession, record: NeedsRecord) -> Partner | None:
    """A partner without projects, in registration order, that serves the record's need and place and was not
    offered this record before (R-CHA-1) — the fallback when no project fits. Government schemes take scheme
    referrals, never offers; a partner that publishes projects is matched through them only."""
    tried = select(tasks.c.partner_id).where(tasks.c.record_id == record.id)
    with_projects = select(project_table.c.partner_id)
    query = (
        select(partners)
        .where(
            partners.c.status == PartnerStatus.active,
            partners.c.kind != "government_scheme",
            partners.c.id.not_in(with_projects),
            literal(record.need_type) == any_(partners.c.need_types),
            or_(
                literal(record.county_code) == any_(partners.c.service_areas),
                literal(record.township_code) == any_(partners.c.service_areas),
            ),
            partners.c.id.not_in(tried),
        )
        .order_by(partners.c.seq)
        .limit(1)
    )
    return await _one(session, Partner, query)


# --- tasks (offers) ------------------------------------------------------------------------------------


async def insert_task(session: AsyncSession, row: dict[str, Any]) -> None:
    await session.execute(insert(tasks).values(**row))


async def get_task(session: AsyncSession, task_id: str, *, lock: bool = False) -> Task | None:
    query = select(tasks).where(tasks.c.id == task_id)
    return await _one(session, Task, query.with_for_update() if lock else query)


async def update_task(session: AsyncSession, task_id: str, values: dict[str, Any]) -> Task:
    result = await session.execute(
        update(tasks).where(tasks.c.id == task_id).values(**values, updated_at=func.now()).returning(tasks)
    )
    return _entity(Task, result.mappings().one())


async def open_task(session: AsyncSession, record_id: str) -> Task | None:
    query = select(tasks).where(tasks.c.record_id == record_id, tasks.c.status.in_(OPEN))
    return await _one(session, Task, query)


async def open_tasks_of_partner(session: AsyncSession, partner_id: str) -> list[Task]:
    """A partner's tasks still holding a record (offered, accepted, in progress), in record order so that
    concurrent hand-overs lock records in the same order."""
    return await _all(
        session,
        Task,
        select(tasks)
        .where(tasks.c.partner_id == partner_id, tasks.c.status.in_(OPEN))
        .order_by(tasks.c.record_id),
    )


async def fulfilled_amounts(session: AsyncSession, record_id: str) -> list[Decimal]:
    """The amounts partners reported as given on a record (completed tasks)."""
    query = select(tasks.c.fulfilled_amount).where(
        tasks.c.record_id == record_id,
        tasks.c.status == TaskStatus.completed,
        tasks.c.fulfilled_amount.is_not(None),
    )
    return list((await session.execute(query)).scalars())


async def expired_task_ids(session: AsyncSession, now: datetime, limit: int) -> list[tuple[str, str]]:
    query = (
        select(tasks.c.id, tasks.c.record_id)
        .where(tasks.c.status == TaskStatus.requested, tasks.c.expires_at <= now)
        .order_by(tasks.c.expires_at)
        .limit(limit)
    )
    return [(r.id, r.record_id) for r in (await session.execute(query)).all()]


async def tasks_of_record(session: AsyncSession, record_id: str) -> list[Task]:
    return await _all(
        session, Task, select(tasks).where(tasks.c.record_id == record_id).order_by(tasks.c.offered_at)
    )


async def case_history(session: AsyncSession, case_id: str) -> list[HistoryEntry]:
    query = (
        select(
            tasks,
            partners.c.name.label("partner_name"),
            needs_records.c.need_type,
            needs_records.c.remaining_amount,
        )
        .join(partners, partners.c.id == tasks.c.partner_id)
        .join(needs_records, needs_records.c.id == tasks.c.record_id)
        .where(tasks.c.case_id == case_id)
        .order_by(tasks.c.offered_at, tasks.c.id)
    )
    return await _all(session, HistoryEntry, query)


def _tasks_with_records() -> Any:
    return select(
        tasks,
        needs_records.c.case_ref,
        needs_records.c.county_code,
        needs_records.c.township_code,
        needs_records.c.need_type,
        needs_records.c.remaining_amount,
        needs_records.c.household_size,
        needs_records.c.status.label("record_status"),
    ).join(needs_records, needs_records.c.id == tasks.c.record_id)


async def partner_tasks(
    session: AsyncSession, partner_id: str, status: str | None, limit: int
) -> list[PartnerTask]:
    query = (
        _tasks_with_records()
        .where(tasks.c.partner_id == partner_id, needs_records.c.status == RecordStatus.published)
        .order_by(tasks.c.offered_at.desc())
        .limit(limit)
    )
    if status:
        query = query.where(tasks.c.status == status)
    return await _all(session, PartnerTask, query)


async def task_with_record(session: AsyncSession, task_id: str) -> PartnerTask | None:
    return await _one(session, PartnerTask, _tasks_with_records().where(tasks.c.id == task_id))


async def performance(session: AsyncSession, county_code: str | None) -> list[PartnerPerformance]:
    """Per partner (R-CHA-3): offers, answers, time to respond and amount fulfilled."""
    t = tasks
    on = t.c.partner_id == partners.c.id
    if county_code:
        in_county = select(needs_records.c.id).where(needs_records.c.county_code == county_code)
        on = and_(on, t.c.record_id.in_(in_county))
    responded = t.c.status.in_((*ACCEPTED, TaskStatus.rejected))
    query = (
        select(
            partners.c.id.label("partner_id"),
            partners.c.name,
            partners.c.status.label("partner_status"),
            func.count(t.c.id).label("offers"),
            func.count(t.c.id).filter(t.c.status.in_(ACCEPTED)).label("accepted"),
            func.count(t.c.id).filter(t.c.status == TaskStatus.rejected).label("declined"),
            func.count(t.c.id)
            .filter(and_(t.c.status == TaskStatus.cancelled, t.c.status_reason == "offer_expired"))
            .label("expired"),
            func.count(t.c.id).filter(t.c.status == TaskStatus.completed).label("completed"),
            func.avg(func.extract("epoch", t.c.responded_at - t.c.offered_at))
            .filter(responded)
            .label("avg_response_seconds"),
            func.coalesce(
                func.sum(case((t.c.status == TaskStatus.completed, t.c.fulfilled_amount), else_=None)), 0
            ).label("amount_fulfilled"),
        )
        .select_from(partners.outerjoin(t, on))
        .group_by(partners.c.id)
        .order_by(partners.c.seq)
    )
    return await _all(session, PartnerPerformance, query)


# --- partner feed and webhook deliveries ---------------------------------------------------------------


async def add_partner_event(session: AsyncSession, row: dict[str, Any]) -> None:
    await session.execute(insert(partner_events).values(**row))


async def hide_record_events(session: AsyncSession, record_id: str) -> None:
    await session.execute(
        update(partner_events).where(partner_events.c.record_id == record_id).values(hidden=True)
    )


async def feed(session: AsyncSession, partner_id: str, after: int, limit: int) -> list[FeedItem]:
    query = (
        select(partner_events.c.seq, partner_events.c.envelope)
        .where(
            partner_events.c.partner_id == partner_id,
            partner_events.c.seq > after,
            partner_events.c.hidden.is_(False),
        )
        .order_by(partner_events.c.seq)
        .limit(limit)
    )
    return await _all(session, FeedItem, query)


async def add_delivery(session: AsyncSession, row: dict[str, Any]) -> None:
    await session.execute(insert(webhook_deliveries).values(**row))


async def cancel_deliveries(
    session: AsyncSession, record_id: str, *, except_event: str | None = None
) -> None:
    query = update(webhook_deliveries).where(
        webhook_deliveries.c.record_id == record_id,
        webhook_deliveries.c.status.in_((DeliveryStatus.pending, DeliveryStatus.dead_letter)),
    )
    if except_event:
        query = query.where(webhook_deliveries.c.event_id != except_event)
    await session.execute(query.values(status=DeliveryStatus.cancelled))


async def claim_due(session: AsyncSession, limit: int, lease_seconds: float) -> list[DueDelivery]:
    """Due deliveries with what is needed to send them; leased so another replica does not send them too."""
    due = (
        select(webhook_deliveries.c.id)
        .where(
            webhook_deliveries.c.status == DeliveryStatus.pending,
            webhook_deliveries.c.next_attempt_at <= func.now(),
        )
        .order_by(webhook_deliveries.c.next_attempt_at)
        .limit(limit)
        .with_for_update(skip_locked=True)
    )
    leased = (
        update(webhook_deliveries)
        .where(webhook_deliveries.c.id.in_(due.scalar_subquery()))
        .values(next_attempt_at=func.now() + func.make_interval(0, 0, 0, 0, 0, 0, lease_seconds))
        .returning(
            webhook_deliveries.c.id,
            webhook_deliveries.c.event_id,
            webhook_deliveries.c.partner_id,
            webhook_deliveries.c.attempts,
        )
    )
    claimed = list((await session.execute(leased)).mappings())
    if not claimed:
        return []
    query = (
        select(
            webhook_deliveries.c.id,
            webhook_deliveries.c.event_id,
            webhook_deliveries.c.attempts,
            partner_events.c.envelope,
            partners.c.webhook_url,
            partners.c.webhook_secret,
            partners.c.status.label("partner_status"),
        )
        .join(partner_events, partner_events.c.event_id == webhook_deliveries.c.event_id)
        .join(partners, partners.c.id == webhook_deliveries.c.partner_id)
        .where(webhook_deliveries.c.id.in_([c["id"] for c in claimed]))
        .order_by(webhook_deliveries.c.id)
    )
    return await _all(session, DueDelivery, query)


async def finish_delivery(session: AsyncSession, delivery_id: int, values: dict[str, Any]) -> None:
    await session.execute(
        update(webhook_deliveries)
        .where(webhook_deliveries.c.id == delivery_id, webhook_deliveries.c.status == DeliveryStatus.pending)
        .values(**values)
    )


async def deliveries(
    session: AsyncSession, partner_id: str | None, status: str | None, limit: int
) -> list[Delivery]:
    query = select(webhook_deliveries).order_by(webhook_deliveries.c.id.desc()).limit(limit)
    if partner_id:
        query = query.where(webhook_deliveries.c.partner_id == partner_id)
    if status:
        query = query.where(webhook_deliveries.c.status == status)
    return await _all(session, Delivery, query)


async def get_delivery(session: AsyncSession, delivery_id: int) -> Delivery | None:
    query = select(webhook_deliveries).where(webhook_deliveries.c.id == delivery_id).with_for_update()
    return await _one(session, Delivery, query)


async def redeliver(session: AsyncSession, delivery_id: int) -> Delivery:
    result = await session.execute(
        update(webhook_deliveries)
        .where(webhook_deliveries.c.id == delivery_id)
        .values(status=DeliveryStatus.pending, attempts=0, next_attempt_at=func.now(), last_error=None)
        .returning(webhook_deliveries)
    )
    return _entity(Delivery, result.mappings().one())


# --- oversight figures and scrape-time gauges ----------------------------------------------------------


async def records_by_need_type(session: AsyncSession, f: Filters) -> list[NeedTypeFigure]:
    """Needs records shared in the figures' period and place, per need type (R-OVS-1)."""
    n = needs_records
    query = (
        select(
            n.c.need_type, func.count().label("records"), func.sum(n.c.remaining_amount).label("remaining")
        )
        .where(and_(f.place(n.c.county_code, n.c.township_code), f.period(n.c.published_at)))
        .group_by(n.c.need_type)
        .order_by(n.c.need_type)
    )
    return await _all(session, NeedTypeFigure, query)


async def offers_by_partner(session: AsyncSession, f: Filters) -> list[PartnerFigure]:
    """Per partner, the offers made in the period of records in the place, and their outcomes (R-CHA-3)."""
    n, t = needs_records, tasks
    in_scope = select(n.c.id).where(f.place(n.c.county_code, n.c.township_code))
    on = and_(t.c.partner_id == partners.c.id, t.c.record_id.in_(in_scope), f.period(t.c.offered_at))
    fulfilled = t.c.status == TaskStatus.completed
    query = (
        select(
            partners.c.id.label("partner_id"),
            partners.c.name,
            partners.c.status.label("partner_status"),
            func.count(t.c.id).label("offered"),
            func.count(t.c.id).filter(t.c.status.in_(ACCEPTED)).label("accepted"),
            func.count(t.c.id).filter(t.c.status == TaskStatus.rejected).label("declined"),
            func.count(t.c.id)
            .filter(and_(t.c.status == TaskStatus.cancelled, t.c.status_reason == "offer_expired"))
            .label("expired"),
            func.count(t.c.id).filter(fulfilled).label("fulfilled"),
            func.coalesce(func.sum(when((fulfilled, t.c.fulfilled_amount), else_=None)), 0).label(
                "amount_fulfilled"
            ),
        )
        .select_from(partners.outerjoin(t, on))
        .group_by(partners.c.id)
        .order_by(partners.c.seq)
    )
    return await _all(session, PartnerFigure, query)


async def fulfilment_by_township(session: AsyncSession, f: Filters) -> list[TownshipFulfilment]:
    """R-OVS-1, R-CHA-3: per township, offers made in the period that a partner accepted and those it
    fulfilled; scheme referrals made in the period with a final outcome and those granted."""
    n, t, s = needs_records, tasks, scheme_referrals
    offers = (
        select(
            n.c.county_code,
            n.c.township_code,
            func.count().label("accepted"),
            func.count().filter(t.c.status == TaskStatus.completed).label("fulfilled"),
        )
        .select_from(t.join(n, n.c.id == t.c.record_id))
        .where(
            t.c.status.in_(ACCEPTED), f.place(n.c.county_code, n.c.township_code), f.period(t.c.offered_at)
        )
        .group_by(n.c.county_code, n.c.township_code)
    )
    final = (SchemeStatus.granted.value, SchemeStatus.refused.value)
    schemes = (
        select(
            s.c.county_code,
            s.c.township_code,
            func.count().label("outcomes"),
            func.count().filter(s.c.status == SchemeStatus.granted.value).label("granted"),
        )
        .where(s.c.status.in_(final), f.place(s.c.county_code, s.c.township_code), f.period(s.c.created_at))
        .group_by(s.c.county_code, s.c.township_code)
    )
    found: dict[tuple[str, str], dict[str, int]] = {}
    for r in (await session.execute(offers)).mappings():
        found.setdefault((r["county_code"], r["township_code"]), {}).update(
            accepted_offers=r["accepted"], fulfilled_offers=r["fulfilled"]
        )
    for r in (await session.execute(schemes)).mappings():
        found.setdefault((r["county_code"], r["township_code"]), {}).update(
            scheme_outcomes=r["outcomes"], schemes_granted=r["granted"]
        )
    zero = dict.fromkeys(("accepted_offers", "fulfilled_offers", "scheme_outcomes", "schemes_granted"), 0)
    return [TownshipFulfilment(c, t, **{**zero, **v}) for (c, t), v in sorted(found.items())]


async def cases_by_state(session: AsyncSession) -> dict[str, int]:
    """The cases referral knows of, by where their referral stands (the state gauge, R-CHA):
    ``awaiting_decision``, ``not_shared`` or the match state of the case's latest needs record."""
    n = needs_records
    latest = (
        select(n.c.case_id, n.c.match_state)
        .ext(distinct_on(n.c.case_id))
        .order_by(n.c.case_id, n.c.published_at.desc(), n.c.id.desc())
        .subquery()
    )
    state = case(
        (latest.c.match_state.is_not(None), latest.c.match_state),
        (cases.c.decision.is_(None), "awaiting_decision"),
        else_="not_shared",
    )
    query = (
        select(state, func.count())
        .select_from(cases.outerjoin(latest, latest.c.case_id == cases.c.case_id))
        .group_by(state)
    )
    return {str(s): int(count) for s, count in (await session.execute(query)).all()}
