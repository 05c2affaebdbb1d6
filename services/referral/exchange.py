"""The referral exchange (R-CHA-1, R-CHA-3): a needs record is offered to ONE matching active partner at a
time (a FHIR Task, status ``requested``), in registration order; an offer not accepted in time, or declined,
goes to the next matching partner. Every event addressed to a partner is written in the same transaction
to the partner topic (Kafka key = partner id), the partner's pull feed and, when it has a webhook, the
webhook delivery queue."""

from __future__ import annotations

import asyncio
import logging
import uuid
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

from sqlalchemy.engine import RowMapping
from sqlalchemy.ext.asyncio import AsyncSession

from services.referral import repository as repo
from services.referral.domain.tasks import (Action, TaskStatus, TransitionRefused, check_fulfilled_amount,
                                            next_status, record_state_after)
from shared.contracts.referral import NeedsRecordWithdrawn, ReferralOffered, ReferralOfferExpired
from shared.errors import Conflict, InvalidField, NotFound
from shared.events import Event
from shared.runtime import Runtime

log = logging.getLogger("assistance.referral.exchange")
PARTNER_TOPIC = "referral.partner"


def contact_route(township_code: str) -> str:
    """Partners reach the household only through its township civil-affairs office."""
    return f"township-civil-affairs-office:{township_code}"


async def emit(runtime: Runtime, session: AsyncSession, partner: RowMapping | dict[str, Any], record_id: str,
               case_ref: str, payload: Event) -> None:
    """One event to one partner: partner topic, feed and (if it has one) webhook, in the caller's transaction."""
    envelope = await runtime.outbox.add(session, payload, subject=case_ref, topic=runtime.topic(PARTNER_TOPIC),
                                        key=str(partner["id"]))
    await repo.add_partner_event(session, {
        "partner_id": partner["id"], "record_id": record_id, "event_id": envelope.id,
        "event_type": envelope.type, "envelope": envelope.model_dump(mode="json", exclude_none=True)})
    if partner["webhook_url"]:
        await repo.add_delivery(session, {"event_id": envelope.id, "partner_id": partner["id"],
                                          "record_id": record_id, "status": "pending"})


async def offer_next(runtime: Runtime, session: AsyncSession, record: RowMapping) -> str | None:
    """Offer a (locked) published record to the next matching partner; returns the task id, or None when no
    partner is left (the record waits; the sweep tries again when partners change)."""
    if record["status"] != "published" or await repo.open_task(session, record["id"]) is not None:
        return None
    partner = await repo.next_partner(session, record)
    if partner is None:
        await repo.set_match_state(session, record["id"], "unmatched")
        return None
    task_id, now = str(uuid.uuid4()), datetime.now(UTC)
    expires = now + timedelta(seconds=runtime.settings.offer_timeout_seconds)  # type: ignore[attr-defined]
    await repo.insert_task(session, {"id": task_id, "record_id": record["id"], "case_id": record["case_id"],
                                     "partner_id": partner["id"], "status": TaskStatus.requested.value,
                                     "offered_at": now, "expires_at": expires})
    await repo.set_match_state(session, record["id"], "offered")
    await emit(runtime, session, partner, record["id"], record["case_ref"], ReferralOffered(
        partner_id=partner["id"], task_id=task_id, referral_id=record["id"], case_ref=record["case_ref"],
        county_code=record["county_code"], township_code=record["township_code"],
        need_type=record["need_type"], remaining_amount=record["remaining_amount"],
        household_size=record["household_size"], contact_route=contact_route(record["township_code"]),
        offered_at=now, expires_at=expires))
    log.info("referral offered", extra={"task_id": task_id, "partner_id": partner["id"]})
    return task_id


async def withdraw_from_partners(runtime: Runtime, session: AsyncSession, record: RowMapping) -> None:
    """Consent withdrawn (R-CHA-2): nothing more is sent about the record, the feed hides it, open tasks are
    cancelled and every partner that was offered it is told to delete it."""
    await repo.hide_record_events(session, record["id"])
    await repo.cancel_deliveries(session, record["id"])
    now = datetime.now(UTC)
    for task in await repo.tasks_of_record(session, record["id"]):
        if task["status"] in (TaskStatus.requested, TaskStatus.accepted, TaskStatus.in_progress):
            await repo.update_task(session, task["id"], {"status": TaskStatus.cancelled.value,
                                                         "status_reason": "consent_withdrawn"})
        partner = await repo.get_partner(session, task["partner_id"])
        if partner is None:
            continue
        await emit(runtime, session, partner, record["id"], record["case_ref"], NeedsRecordWithdrawn(
            referral_id=record["id"], case_ref=record["case_ref"], reason="consent_withdrawn",
            withdrawn_at=now, partner_id=partner["id"], task_id=task["id"]))


async def respond(runtime: Runtime, partner_id: str, task_id: str, action: Action, *,
                  reason: str | None = None, amount: Decimal | None = None, form: str | None = None) -> RowMapping:
    """A partner's answer to its own task; another partner's task is a 404 (its existence is not revealed)."""
    async with runtime.transaction() as session:
        task = await repo.get_task(session, task_id)
        if task is None or task["partner_id"] != partner_id:
            raise NotFound(f"referral {task_id} not found")
        record = await repo.lock_record(session, task["record_id"])
        task = await repo.get_task(session, task_id, lock=True)
        if record is None or task is None or record["status"] != "published":
            raise NotFound(f"referral {task_id} not found")
        try:
            status = next_status(task["status"], action)
        except TransitionRefused as exc:
            raise Conflict(str(exc)) from exc
        now = datetime.now(UTC)
        values: dict[str, Any] = {"status": status.value}
        if action in (Action.accept, Action.decline):
            values["responded_at"] = now
        if action is Action.decline:
            values["status_reason"] = reason
        if action is Action.fulfil:
            assert amount is not None
            problem = check_fulfilled_amount(amount, record["remaining_amount"])
            if problem:
                raise InvalidField("amount", problem)
            values.update(completed_at=now, fulfilled_amount=amount, fulfilled_form=form)
        updated = await repo.update_task(session, task_id, values)
        await repo.set_match_state(session, record["id"], record_state_after(status))
        if status is TaskStatus.rejected:
            await offer_next(runtime, session, await repo.lock_record(session, record["id"]))
    log.info("referral answered", extra={"task_id": task_id, "partner_id": partner_id, "status": status.value})
    return updated


async def sweep_once(runtime: Runtime) -> int:
    """Expire offers not accepted in time and offer them on; offer waiting records to new partners."""
    done = 0
    async with runtime.transaction() as session:
        now = datetime.now(UTC)
        for task_id, record_id in await repo.expired_task_ids(session, now, 100):
            record = await repo.lock_record(session, record_id)
            task = await repo.get_task(session, task_id, lock=True)
            if record is None or task is None or task["status"] != TaskStatus.requested or task["expires_at"] > now:
                continue
            await repo.update_task(session, task_id, {"status": TaskStatus.cancelled.value,
                                                      "status_reason": "offer_expired"})
            partner = await repo.get_partner(session, task["partner_id"])
            if partner is not None:
                await emit(runtime, session, partner, record_id, record["case_ref"], ReferralOfferExpired(
                    partner_id=partner["id"], task_id=task_id, referral_id=record_id, expired_at=now))
            await repo.set_match_state(session, record_id, "unmatched")
            await offer_next(runtime, session, await repo.lock_record(session, record_id))
            done += 1
    async with runtime.transaction() as session:
        for record in await repo.offerable_records(session, 100):
            if await offer_next(runtime, session, record):
                done += 1
    return done


async def sweep_offers(runtime: Runtime) -> None:
    """Background task (ServiceModule.background)."""
    interval = runtime.settings.offer_sweep_interval_seconds  # type: ignore[attr-defined]
    while True:
        try:
            await sweep_once(runtime)
        except asyncio.CancelledError:
            raise
        except Exception as exc:  # noqa: BLE001 - keep sweeping after database outages
            log.warning("offer sweep failed; retrying", extra={"error": repr(exc)[:300]})
        await asyncio.sleep(interval)
