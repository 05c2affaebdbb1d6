"""Help first (先行救助, R-FLOW-2): an emergency case helped at once by the township or county before
review; the paperwork is due 10 working days after the emergency is declared over; overdue obligations are
listed and announced once (PaperworkOverdue); the final decision completes the paperwork."""

from __future__ import annotations

import asyncio
import logging
import uuid
from datetime import date

from services.approval import repository as repo
from services.approval.domain.budget import CommitmentKind
from services.approval.domain.calendar import paperwork_deadline
from services.approval.domain.errors import (
    AboveAssessedAmount,
    AboveDisbursementLimit,
    AlreadyDeclaredOver,
    CaseAlreadyDecided,
    CaseNotFound,
    HelpFirstAlreadyGranted,
    HelpFirstNotFound,
    InvalidValue,
    NotAnEmergency,
)
from services.approval.domain.model import CaseStatus, GrantStatus, HelpFirstGrant
from services.approval.domain.tiers import help_first_allowed
from services.approval.schemas import EmergencyOverIn, GrantIn
from services.approval.service import budgets
from services.approval.service.calendars import load_calendar
from shared import clock
from shared.access import guard
from shared.contracts.approval import AidForm, HelpFirstGranted, PaperworkOverdue
from shared.runtime import Runtime

log = logging.getLogger("assistance.approval.help_first")


def today() -> date:
    """The civil-affairs offices' date, in the programme's zone (shared/clock.py)."""
    return clock.local_today()


async def grant(runtime: Runtime, case_id: str, body: GrantIn) -> HelpFirstGrant:
    if body.form is AidForm.referral:
        raise InvalidValue("form", "help first is cash or goods (R-AID-2)")
    async with runtime.transaction() as session:
        case = await repo.get(session, case_id, for_update=True)
        if case is None:
            raise CaseNotFound(f"case {case_id} is not (yet) known to approval")
        guard(case.county_code, case.township_code)
        if case.category != "emergency":
            raise NotAnEmergency()
        if case.status not in (CaseStatus.pending, CaseStatus.reviewed):
            raise CaseAlreadyDecided(
                case_id, case.status, f"case {case_id} is {case.status}: help first comes before the decision"
            )
        if body.amount > case.assessed_amount:
            raise AboveAssessedAmount("amount", "above the assessed amount (R-AMT-4)")
        limits = await repo.township_limits_on(session, case.township_code, today())
        disbursement_limit = limits.disbursement_limit if limits else None
        if body.role is None:
            raise RuntimeError("the API sets the granting level from the token")
        if not help_first_allowed(body.role, body.amount, disbursement_limit):
            raise AboveDisbursementLimit(body.amount, disbursement_limit)
        now = clock.now()
        grant_id = str(uuid.uuid4())
        created = await repo.add_grant(
            session,
            {
                "case_id": case_id,
                "grant_id": grant_id,
                "county_code": case.county_code,
                "township_code": case.township_code,
                "level": body.role.value,
                "actor": body.actor,
                "reasons": body.reasons,
                "amount": body.amount,
                "form": body.form.value,
                "channel": body.channel.value,
                "granted_at": now,
                "status": GrantStatus.open.value,
            },
        )
        if not created:
            raise HelpFirstAlreadyGranted(case_id)
        await budgets.commit(  # R-OVS-3: help first commits too, never held back by the envelope
            session,
            case,
            body.amount,
            kind=CommitmentKind.help_first,
            level=body.role,
            actor=body.actor,
            now=now,
        )
        await runtime.outbox.add(
            session,
            HelpFirstGranted(
                case_id=case_id,
                grant_id=grant_id,
                county_code=case.county_code,
                township_code=case.township_code,
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


async def emergency_over(runtime: Runtime, case_id: str, body: EmergencyOverIn) -> HelpFirstGrant:
    """Start the clock: the deadline is 10 working days after ``over_on`` on the county's calendar."""
    if body.over_on > today():
        raise InvalidValue("over_on", "the emergency cannot be declared over in the future")
    async with runtime.transaction() as session:
        current = await repo.grant(session, case_id, for_update=True)
        if current is None:
            raise HelpFirstNotFound(f"case {case_id} had no help first")
        guard(current.county_code, current.township_code)
        if current.emergency_over_on is not None:
            raise AlreadyDeclaredOver(case_id, current.emergency_over_on)
        calendar = await load_calendar(
            session, current.county_code, [body.over_on.year, body.over_on.year + 1]
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


async def overdue(runtime: Runtime, on: date | None, county_code: str | None) -> list[HelpFirstGrant]:
    async with runtime.reading() as session:
        return await repo.overdue_grants(session, on or today(), county_code=county_code)


async def announce_overdue(runtime: Runtime, on: date | None = None) -> int:
    """Publish PaperworkOverdue once per obligation past its deadline; safe with several replicas
    (rows locked with SKIP LOCKED, marked in the same transaction as the event)."""
    on = on or today()
    async with runtime.transaction() as session:
        grants = await repo.overdue_grants(session, on, unnotified_only=True, lock=True)
        now = clock.now()
        for g in grants:
            if g.emergency_over_on is None or g.deadline is None or g.calendar is None:
                raise RuntimeError("an overdue obligation has its clock set (deadline < on)")
            await repo.update_grant(session, g.case_id, overdue_notified_at=now)
            await runtime.outbox.add(
                session,
                PaperworkOverdue(
                    case_id=g.case_id,
                    grant_id=g.grant_id,
                    county_code=g.county_code,
                    township_code=g.township_code,
                    emergency_over_on=g.emergency_over_on,
                    deadline=g.deadline,
                    calendar=g.calendar,
                    detected_at=now,
                ),
                subject=g.case_id,
            )
    return len(grants)


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
