"""Help first (先行救助, R-FLOW-2): an emergency case helped at once by the township or county before
review; the paperwork is due 10 working days after the emergency is declared over; overdue obligations are
listed and announced once (PaperworkOverdue); the final decision completes the paperwork."""

from __future__ import annotations

import asyncio
import logging
import uuid
from datetime import date
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy.engine import RowMapping

from services.approval import repository as repo
from services.approval.admin import load_calendar
from services.approval.domain.calendar import paperwork_deadline
from services.approval.domain.tiers import Level, help_first_allowed
from services.approval.service import Actor, Reasons, Status
from shared import clock
from shared.access import guard
from shared.contracts.approval import AidForm, Channel, HelpFirstGranted, PaperworkOverdue
from shared.errors import BusinessRuleViolated, Conflict, InvalidField, NotFound
from shared.money import Money
from shared.runtime import Runtime

log = logging.getLogger("assistance.approval.help_first")


def today() -> date:
    """The civil-affairs offices' date, in the programme's zone (shared/clock.py)."""
    return clock.local_today()


class GrantIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    actor: Actor = None
    role: Level | None = None
    """Set from the caller's role: a township or a county approver (R-FLOW-3)."""
    """township or county department granting help first."""
    amount: Annotated[Money, Field(gt=0)]
    form: AidForm = AidForm.cash
    channel: Channel = Channel.direct
    """direct: cash or goods handed over (R-AID-2); bank_transfer: the socialised channel."""
    reasons: Reasons


class EmergencyOverIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    actor: Actor = None
    over_on: Annotated[date, Field(ge=date(2000, 1, 1), le=date(2100, 12, 31))]
    """The day the emergency was declared over: the 10-working-day clock starts the day after."""


async def grant(runtime: Runtime, case_id: str, body: GrantIn) -> RowMapping:
    if body.form is AidForm.referral:
        raise InvalidField("form", "help first is cash or goods (R-AID-2)")
    async with runtime.transaction() as session:
        case = await repo.get(session, case_id, for_update=True)
        if case is None:
            raise NotFound(f"case {case_id} is not (yet) known to approval")
        guard(case["county_code"], case["township_code"])
        if case["category"] != "emergency":
            raise BusinessRuleViolated(
                "help first is for emergency cases (R-FLOW-2, R-CAT-1)",
                slug="not-an-emergency",
                rule="R-FLOW-2",
            )
        if case["status"] not in (Status.pending, Status.reviewed):
            raise Conflict(
                f"case {case_id} is {case['status']}: help first comes before the decision",
                slug="case-already-decided",
            )
        if body.amount > case["assessed_amount"]:
            raise InvalidField("amount", "above the assessed amount (R-AMT-4)")
        limits = await repo.township_limits_on(session, case["township_code"], today())
        disbursement_limit = limits["disbursement_limit"] if limits else None
        if body.role is None:
            raise RuntimeError("the API sets the granting level from the token")
        if not help_first_allowed(body.role, body.amount, disbursement_limit):
            raise BusinessRuleViolated(
                f"{body.amount} is above the township's disbursement limit {disbursement_limit}: the county "
                "grants it (R-FLOW-3)",
                slug="county-grant-required",
                rule="R-FLOW-3",
            )
        now = clock.now()
        grant_id = str(uuid.uuid4())
        created = await repo.add_grant(
            session,
            {
                "case_id": case_id,
                "grant_id": grant_id,
                "county_code": case["county_code"],
                "township_code": case["township_code"],
                "level": body.role.value,
                "actor": body.actor,
                "reasons": body.reasons,
                "amount": body.amount,
                "form": body.form.value,
                "channel": body.channel.value,
                "granted_at": now,
                "status": "open",
            },
        )
        if not created:
            raise Conflict(f"case {case_id} already had help first", slug="help-first-already-granted")
        await runtime.outbox.add(
            session,
            HelpFirstGranted(
                case_id=case_id,
                grant_id=grant_id,
                county_code=case["county_code"],
                township_code=case["township_code"],
                level=body.role.value,
                form=body.form,
                channel=body.channel,
                amount=body.amount,
                granted_by=body.actor,
                granted_at=now,
            ),
            subject=case_id,
        )
        row = await repo.grant(session, case_id)
    if row is None:
        raise RuntimeError("the row just written is missing from its own transaction")
    return row


async def emergency_over(runtime: Runtime, case_id: str, body: EmergencyOverIn) -> RowMapping:
    """Start the clock: the deadline is 10 working days after ``over_on`` on the county's calendar."""
    if body.over_on > today():
        raise InvalidField("over_on", "the emergency cannot be declared over in the future")
    async with runtime.transaction() as session:
        current = await repo.grant(session, case_id, for_update=True)
        if current is None:
            raise NotFound(f"case {case_id} had no help first")
        guard(current["county_code"], current["township_code"])
        if current["emergency_over_on"] is not None:
            raise Conflict(
                f"the emergency of case {case_id} was already declared over on "
                f"{current['emergency_over_on']}",
                slug="already-declared-over",
            )
        calendar = await load_calendar(
            session, current["county_code"], [body.over_on.year, body.over_on.year + 1]
        )
        deadline, used = paperwork_deadline(calendar, body.over_on)
        await repo.update_grant(
            session,
            case_id,
            emergency_over_on=body.over_on,
            deadline=deadline,
            calendar=used,
            declared_over_by=body.actor,
        )
        row = await repo.grant(session, case_id)
    if row is None:
        raise RuntimeError("the row just written is missing from its own transaction")
    return row


async def overdue(runtime: Runtime, on: date | None, county_code: str | None) -> list[RowMapping]:
    async with runtime.reading() as session:
        return await repo.overdue_grants(session, on or today(), county_code=county_code)


async def announce_overdue(runtime: Runtime, on: date | None = None) -> int:
    """Publish PaperworkOverdue once per obligation past its deadline; safe with several replicas
    (rows locked with SKIP LOCKED, marked in the same transaction as the event)."""
    on = on or today()
    async with runtime.transaction() as session:
        rows = await repo.overdue_grants(session, on, unnotified_only=True, lock=True)
        now = clock.now()
        for row in rows:
            await repo.update_grant(session, row["case_id"], overdue_notified_at=now)
            await runtime.outbox.add(
                session,
                PaperworkOverdue(
                    case_id=row["case_id"],
                    grant_id=row["grant_id"],
                    county_code=row["county_code"],
                    township_code=row["township_code"],
                    emergency_over_on=row["emergency_over_on"],
                    deadline=row["deadline"],
                    calendar=row["calendar"],
                    detected_at=now,
                ),
                subject=row["case_id"],
            )
    return len(rows)


async def overdue_watch(runtime: Runtime) -> None:
    """Background task (ServiceModule.background): check for overdue paperwork every few minutes."""
    while True:
        try:
            found = await announce_overdue(runtime)
            if found:
                log.info("paperwork overdue announced", extra={"count": found})
        except asyncio.CancelledError:
            raise
        except Exception as exc:  # keep watching after a database hiccup
            log.warning("overdue check failed", extra={"error": repr(exc)[:300]})
        await asyncio.sleep(getattr(runtime.settings, "overdue_check_seconds", 300.0))
