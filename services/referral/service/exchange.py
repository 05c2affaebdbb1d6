"""The referral exchange (R-CHA-1, R-CHA-3): a needs record is offered to ONE matching active partner at a
time (a FHIR Task, status ``requested``): through the best-fitting charity project with a place left
(``service.projects.best_project``, ordering in ``domain.matching``), else — for partners that publish no
projects — in registration order; an offer not accepted in time, or declined, goes to the next match.
A part-fulfilment completes the task for the part and offers the rest to
the next matching partner; a suspended partner's open tasks are cancelled (it is told) and handed on.
Every event addressed to a partner is written in the same transaction to its Kafka topic (the shared
partner topic keyed by partner id, or its own topic, see ``adapters.partner_topics``), its pull feed and,
when it has a webhook, the webhook delivery queue. Each partner answer is also published internally
(R-CHA-3)."""

from __future__ import annotations

import asyncio
import logging
import uuid
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from services.referral import repository as repo
from services.referral.adapters.partner_topics import ensure_all_own_topics, topic_for
from services.referral.domain.errors import ReferralNotFound
from services.referral.domain.model import MatchState, NeedsRecord, Partner, RecordStatus, Task
from services.referral.domain.tasks import (
    OPEN,
    Action,
    TaskStatus,
    ensure_fulfilled_amount,
    next_status,
    outstanding,
    part_left,
    record_state_after,
)
from services.referral.service import projects
from shared import clock
from shared.contracts.referral import (
    NeedsRecordWithdrawn,
    ReferralAccepted,
    ReferralCancelled,
    ReferralDeclined,
    ReferralFulfilled,
    ReferralOffered,
    ReferralOfferExpired,
)
from shared.events import Event
from shared.runtime import Runtime

log = logging.getLogger("assistance.referral.exchange")
__all__ = [
    "contact_route",
    "emit",
    "offer_next",
    "reassign_open_tasks",
    "respond",
    "sweep_once",
    "withdraw_from_partners",
]


def contact_route(township_code: str) -> str:
    """Partners reach the household only through its township civil-affairs office."""
    return f"township-civil-affairs-office:{township_code}"


async def emit(
    runtime: Runtime,
    session: AsyncSession,
    partner: Partner,
    record_id: str,
    case_ref: str,
    payload: Event,
) -> None:
    """One event to one partner: its Kafka topic (shared or own), feed and (if it has one) webhook, in the
    caller's transaction."""
    envelope = await runtime.outbox.add(
        session, payload, subject=case_ref, topic=topic_for(runtime, partner), key=partner.id
    )
    await repo.add_partner_event(
        session,
        {
            "partner_id": partner.id,
            "record_id": record_id,
            "event_id": envelope.id,
            "event_type": envelope.type,
            "envelope": envelope.model_dump(mode="json", exclude_none=True),
        },
    )
    if partner.webhook_url:
        await repo.add_delivery(
            session,
            {
                "event_id": envelope.id,
                "partner_id": partner.id,
                "record_id": record_id,
                "status": "pending",
            },
        )


async def offer_next(runtime: Runtime, session: AsyncSession, record: NeedsRecord | None) -> str | None:
    """Offer a (locked) published record to the next matching partner; returns the task id, or None when no
    partner is left (the record waits; the sweep tries again when partners change)."""
    if record is None:  # callers pass what lock_record found: the record they are working on
        return None
    if record.status is not RecordStatus.published or await repo.open_task(session, record.id) is not None:
        return None
    amount = await _outstanding(session, record)
    case = await repo.known_case(session, record.case_id)
    project = await projects.best_project(session, record, case, amount)
    partner = (
        await repo.get_partner(session, project.partner_id)
        if project
        else await repo.next_partner(session, record)
    )
    if partner is None:
        await repo.set_match_state(session, record.id, MatchState.unmatched)
        return None
    task_id, now = str(uuid.uuid4()), clock.now()
    expires = now + timedelta(seconds=runtime.settings.offer_timeout_seconds)  # type: ignore[attr-defined]
    await repo.insert_task(
        session,
        {
            "id": task_id,
            "record_id": record.id,
            "case_id": record.case_id,
            "partner_id": partner.id,
            "status": TaskStatus.requested.value,
            "offered_at": now,
            "expires_at": expires,
            "requested_amount": amount,
            "project_id": project.id if project else None,
        },
    )
    await repo.set_match_state(session, record.id, MatchState.offered)
    await emit(
        runtime,
        session,
        partner,
        record.id,
        record.case_ref,
        ReferralOffered(
            partner_id=partner.id,
            task_id=task_id,
            referral_id=record.id,
            case_ref=record.case_ref,
            county_code=record.county_code,
            township_code=record.township_code,
            need_type=record.need_type,
            remaining_amount=amount,
            household_size=record.household_size,
            contact_route=contact_route(record.township_code),
            offered_at=now,
            expires_at=expires,
            project_id=project.id if project else None,
        ),
    )
    log.info("referral offered", extra={"task_id": task_id, "partner_id": partner.id})
    return task_id


async def free_place(session: AsyncSession, task: Task) -> None:
    """A cancelled or expired task frees its project's place: held while requested, taken once accepted."""
    if task.project_id is not None and task.status in OPEN:
        await projects.release(
            session,
            task.project_id,
            was_taken=task.status is not TaskStatus.requested,
            amount=task.requested_amount or Decimal("0"),
        )


async def _move_project_places(
    session: AsyncSession, task: Task, action: Action, amount: Decimal | None
) -> None:
    """Capacity (R-CHA-1): taken on acceptance, freed on decline, the budget settled on fulfilment."""
    if task.project_id is None:
        return
    asked = task.requested_amount or Decimal("0")
    if action is Action.accept:
        await projects.take(session, task.project_id, asked)
    elif action is Action.decline:
        await projects.release(session, task.project_id, was_taken=False, amount=asked)
    elif action is Action.fulfil and amount is not None:
        await projects.settle(session, task.project_id, asked, amount)


async def _outstanding(session: AsyncSession, record: NeedsRecord) -> Decimal:
    """What of the record no partner has covered yet (R-CHA-1)."""
    return outstanding(record.remaining_amount, await repo.fulfilled_amounts(session, record.id))


async def reassign_open_tasks(runtime: Runtime, session: AsyncSession, partner: Partner) -> int:
    """The partner was suspended: each of its open tasks (offered, accepted, in progress) is cancelled, the
    partner is told to stop (``ReferralCancelled``) and the need is offered to the next matching partner
    (R-CHA-1). Returns how many tasks were handed on."""
    handed = 0
    now = clock.now()
    for open_task in await repo.open_tasks_of_partner(session, partner.id):
        record = await repo.lock_record(session, open_task.record_id)
        task = await repo.get_task(session, open_task.id, lock=True)
        if (
            record is None
            or task is None
            or task.status not in OPEN
            or record.status is not RecordStatus.published
        ):
            continue
        await repo.update_task(
            session, task.id, {"status": TaskStatus.cancelled.value, "status_reason": "partner_suspended"}
        )
        await free_place(session, task)
        await emit(
            runtime,
            session,
            partner,
            record.id,
            record.case_ref,
            ReferralCancelled(
                partner_id=partner.id,
                task_id=task.id,
                referral_id=record.id,
                reason="partner_suspended",
                cancelled_at=now,
            ),
        )
        await repo.set_match_state(session, record.id, MatchState.unmatched)
        await offer_next(runtime, session, await repo.lock_record(session, record.id))
        handed += 1
    if handed:
        log.info("suspended partner's referrals handed on", extra={"partner_id": partner.id, "tasks": handed})
    return handed


async def withdraw_from_partners(runtime: Runtime, session: AsyncSession, record: NeedsRecord) -> None:
    """Consent withdrawn (R-CHA-2): nothing more is sent about the record, the feed hides it, open tasks are
    cancelled and every partner that was offered it is told to delete it."""
    await repo.hide_record_events(session, record.id)
    await repo.cancel_deliveries(session, record.id)
    now = clock.now()
    for task in await repo.tasks_of_record(session, record.id):
        if task.status in OPEN:
            await repo.update_task(
                session,
                task.id,
                {"status": TaskStatus.cancelled.value, "status_reason": "consent_withdrawn"},
            )
            await free_place(session, task)
        partner = await repo.get_partner(session, task.partner_id)
        if partner is None:
            continue
        await emit(
            runtime,
            session,
            partner,
            record.id,
            record.case_ref,
            NeedsRecordWithdrawn(
                referral_id=record.id,
                case_ref=record.case_ref,
                reason="consent_withdrawn",
                withdrawn_at=now,
                partner_id=partner.id,
                task_id=task.id,
            ),
        )


async def respond(
    runtime: Runtime,
    partner_id: str,
    task_id: str,
    action: Action,
    *,
    reason: str | None = None,
    amount: Decimal | None = None,
    form: str | None = None,
) -> Task:
    """A partner's answer to its own task; another partner's task is a 404 (its existence is not revealed).
    Accepted, declined and fulfilled answers are published internally in the same transaction (R-CHA-3); a
    fulfilment smaller than what was outstanding completes this task and offers the rest to the next
    matching partner."""
    async with runtime.transaction() as session:
        task = await repo.get_task(session, task_id)
        if task is None or task.partner_id != partner_id:
            raise ReferralNotFound(task_id)
        record = await repo.lock_record(session, task.record_id)
        task = await repo.get_task(session, task_id, lock=True)
        if record is None or task is None or record.status is not RecordStatus.published:
            raise ReferralNotFound(task_id)
        status = next_status(task.status, action)  # TransitionRefused: 409
        now = clock.now()
        values: dict[str, Any] = {"status": status.value}
        if action in (Action.accept, Action.decline):
            values["responded_at"] = now
        if action is Action.decline:
            values["status_reason"] = reason
        left = None
        if action is Action.fulfil:
            if amount is None:
                raise RuntimeError("a fulfilment carries an amount (FulfilIn)")
            before = await _outstanding(session, record)
            ensure_fulfilled_amount(amount, before)  # above what is outstanding: 409 (R-CHA-1)
            left = part_left(before, amount)
            values.update(completed_at=now, fulfilled_amount=amount, fulfilled_form=form)
        await _move_project_places(session, task, action, amount)  # ProjectFull: 409, nothing written
        updated = await repo.update_task(session, task_id, values)
        await _publish_answer(runtime, session, record, updated, action, now, left)
        if left:  # part-fulfilled: the rest goes to the next matching partner (a new task)
            await repo.set_match_state(session, record.id, MatchState.unmatched)
            await offer_next(runtime, session, await repo.lock_record(session, record.id))
        else:
            await repo.set_match_state(session, record.id, record_state_after(status))
        if status is TaskStatus.rejected:
            await offer_next(runtime, session, await repo.lock_record(session, record.id))
    log.info(
        "referral answered",
        extra={"task_id": task_id, "partner_id": partner_id, "status": status.value, "partial": bool(left)},
    )
    return updated


async def _publish_answer(
    runtime: Runtime,
    session: AsyncSession,
    record: NeedsRecord,
    task: Task,
    action: Action,
    now: datetime,
    left: Decimal | None,
) -> None:
    """The internal event of an answer, on referral's own topic keyed by case id (R-CHA-3)."""
    common = {
        "case_id": record.case_id,
        "referral_id": record.id,
        "task_id": task.id,
        "partner_id": task.partner_id,
        "county_code": record.county_code,
        "township_code": record.township_code,
        "need_type": record.need_type,
        "answered_at": now,
    }
    waited = (now - task.offered_at).total_seconds()
    if action is Action.accept:
        payload: Any = ReferralAccepted(**common, response_seconds=waited)
    elif action is Action.decline:
        payload = ReferralDeclined(**common, response_seconds=waited, reason=task.status_reason or "")
    elif action is Action.fulfil:
        if left is None:
            raise RuntimeError("a fulfilment has an outstanding amount")
        payload = ReferralFulfilled(
            **common,
            amount=task.fulfilled_amount,
            form=task.fulfilled_form or "",
            remaining_amount=left,
        )
    else:
        return
    await runtime.outbox.add(session, payload, subject=record.case_id)


async def sweep_once(runtime: Runtime) -> int:
    """Expire offers not accepted in time and offer them on; offer waiting records to new partners."""
    done = 0
    async with runtime.transaction() as session:
        now = clock.now()
        for task_id, record_id in await repo.expired_task_ids(session, now, 100):
            record = await repo.lock_record(session, record_id)
            task = await repo.get_task(session, task_id, lock=True)
            if (
                record is None
                or task is None
                or task.status is not TaskStatus.requested
                or task.expires_at > now
            ):
                continue
            await repo.update_task(
                session, task_id, {"status": TaskStatus.cancelled.value, "status_reason": "offer_expired"}
            )
            await free_place(session, task)
            partner = await repo.get_partner(session, task.partner_id)
            if partner is not None:
                await emit(
                    runtime,
                    session,
                    partner,
                    record_id,
                    record.case_ref,
                    ReferralOfferExpired(
                        partner_id=partner.id, task_id=task_id, referral_id=record_id, expired_at=now
                    ),
                )
            await repo.set_match_state(session, record_id, MatchState.unmatched)
            await offer_next(runtime, session, await repo.lock_record(session, record_id))
            done += 1
    done += await projects.close_ended(runtime)
    async with runtime.transaction() as session:
        for record in await repo.offerable_records(session, 100):
            if await offer_next(runtime, session, record):
                done += 1
    return done


async def sweep_offers(runtime: Runtime) -> None:
    """Background task (ServiceModule.background); also creates partners' own topics missed during a broker
    outage."""
    interval = runtime.settings.offer_sweep_interval_seconds  # type: ignore[attr-defined]
    while True:
        try:
            await ensure_all_own_topics(runtime)
            await sweep_once(runtime)
        except asyncio.CancelledError:
            raise
        except Exception as exc:  # keep sweeping after database outages
            log.warning("offer sweep failed; retrying", extra={"error": repr(exc)[:300]})
        await asyncio.sleep(interval)
