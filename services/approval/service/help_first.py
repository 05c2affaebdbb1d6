"""Help first (先行救助, R-FLOW-2): an emergency case helped at once by the township or county before
review; the paperwork is due 10 working days after the emergency is declared over; overdue obligations are
listed and announced once (PaperworkOverdue); the final decision completes the paperwork.

Help at the scene (R-FLOW-2 with R-OVS-2): on an emergency lead intake announced (LeadOpened), before any
application exists, bound to the case id reserved for the lead's application; its paperwork (the
application, then review and decision) is due 10 working days after the grant."""

from __future__ import annotations

import asyncio
import logging
import uuid
from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy.ext.asyncio import AsyncSession

from services.approval import repository as repo
from services.approval.domain.budget import CommitmentKind
from services.approval.domain.calendar import paperwork_deadline
from services.approval.domain.errors import (
    AboveAssessedAmount,
    AboveDisbursementLimit,
    AlreadyDeclaredOver,
    CaseAlreadyDecided,
    CaseNotFound,
    ClockFromTheScene,
    HelpFirstAlreadyGranted,
    HelpFirstNotFound,
    InvalidValue,
    LeadClosed,
    LeadNotFound,
    NotAnEmergency,
    NotAnEmergencyLead,
)
from services.approval.domain.model import CaseStatus, GrantStatus, HelpFirstGrant, SceneLead
from services.approval.domain.tiers import Level, help_first_allowed
from services.approval.schemas import EmergencyOverIn, GrantIn
from services.approval.service import budgets
from services.approval.service.calendars import load_calendar
from shared import clock
from shared.access import guard
from shared.contracts.approval import AidForm, Channel, HelpFirstGranted, PaperworkOverdue
from shared.contracts.intake import LeadClosed as LeadClosedEvent
from shared.contracts.intake import LeadOpened
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
        if current.lead_id is not None:
            raise ClockFromTheScene(case_id, current.deadline)
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


async def overdue(
    runtime: Runtime, on: date | None, county_code: str | None
) -> list[tuple[HelpFirstGrant, bool]]:
    """Open obligations past their deadline, each with whether its application is still missing."""
    async with runtime.reading() as session:
        grants = await repo.overdue_grants(session, on or today(), county_code=county_code)
        arrived = await repo.known_cases(session, [g.case_id for g in grants])
    return [(g, g.case_id not in arrived) for g in grants]


async def application_missing(runtime: Runtime, grant: HelpFirstGrant) -> bool:
    async with runtime.reading() as session:
        return not await repo.known_cases(session, [grant.case_id])


# --- help at the scene, on a lead (R-FLOW-2 with R-OVS-2) ---


async def close_lead(session: AsyncSession, ev: LeadClosedEvent) -> None:
    """Intake closed the lead without an application: no help at the scene on it from then on."""
    await repo.close_lead(session, ev.lead_id, ev.closed_at)


async def take_in_lead(session: AsyncSession, ev: LeadOpened) -> None:
    """A lead intake announced (codes only), with the case id reserved for its application."""
    await repo.add_lead(
        session,
        {
            "lead_id": ev.lead_id,
            "case_id": ev.case_id,
            "county_code": ev.county_code,
            "township_code": ev.township_code,
            "source": ev.source,
            "urgency": ev.urgency,
            "category": ev.category.value if ev.category else None,
            "subtype": ev.subtype.value if ev.subtype else None,
            "received_at": ev.received_at,
            "created_at": clock.now(),
        },
    )


@dataclass(frozen=True, slots=True)
class SceneCase:
    """The lead's reserved case as a budget commitment sees it (R-OVS-3): an emergency of its sub-type."""

    case_id: str
    county_code: str
    category: str
    subtype: str

    @classmethod
    def of(cls, lead: SceneLead) -> SceneCase:
        return cls(lead.case_id, lead.county_code, "emergency", lead.subtype or "other_emergency")


def _check_scene_grant(body: GrantIn) -> Level:
    """Cash or goods handed over directly; returns the granting level the API set from the token."""
    if body.form is AidForm.referral:
        raise InvalidValue("form", "help first is cash or goods (R-AID-2)")
    if body.channel is not Channel.direct:
        raise InvalidValue(
            "channel",
            "help at the scene is handed over directly (R-AID-2): no bank account is known before the "
            "application",
        )
    if body.role is None:
        raise RuntimeError("the API sets the granting level from the token")
    return body.role


async def _scene_deadline(session: AsyncSession, county_code: str, granted_at: datetime) -> tuple[date, str]:
    """10 working days after the day of the grant, on the county's calendar (R-FLOW-2)."""
    granted_on = clock.local_date(granted_at)
    calendar = await load_calendar(session, county_code, [granted_on.year, granted_on.year + 1])
    return paperwork_deadline(calendar, granted_on)


async def grant_at_scene(runtime: Runtime, lead_id: str, body: GrantIn) -> HelpFirstGrant:
    """Help first at the scene, before the application: within the township's disbursement limit (above
    it the county grants, R-FLOW-3), paid at once from the township's reserve fund (HelpFirstGranted with
    ``lead_id``); one grant per lead. The grant, its budget commitment and its event are one transaction."""
    role = _check_scene_grant(body)
    async with runtime.transaction() as session:
        lead = await repo.lead(session, lead_id, for_update=True)
        if lead is None:
            raise LeadNotFound(f"lead {lead_id} is not (yet) known to approval")
        guard(lead.county_code, lead.township_code, "lead")
        if lead.closed_at is not None:
            raise LeadClosed(lead_id, lead.closed_at)
        if not lead.emergency:
            raise NotAnEmergencyLead(lead_id, lead.urgency, lead.category)
        case = await repo.get(session, lead.case_id)
        if case is not None and case.status not in (CaseStatus.pending, CaseStatus.reviewed):
            raise CaseAlreadyDecided(lead.case_id, case.status)
        if case is not None and body.amount > case.assessed_amount:
            raise AboveAssessedAmount("amount", "above the assessed amount (R-AMT-4)")
        limits = await repo.township_limits_on(session, lead.township_code, today())
        disbursement_limit = limits.disbursement_limit if limits else None
        if not help_first_allowed(role, body.amount, disbursement_limit):
            raise AboveDisbursementLimit(body.amount, disbursement_limit)
        now = clock.now()
        deadline, used = await _scene_deadline(session, lead.county_code, now)
        grant_id = str(uuid.uuid4())
        created = await repo.add_grant(
            session,
            {
                "case_id": lead.case_id,
                "grant_id": grant_id,
                "lead_id": lead_id,
                "county_code": lead.county_code,
                "township_code": lead.township_code,
                "level": role.value,
                "actor": body.actor,
                "reasons": body.reasons,
                "amount": body.amount,
                "form": body.form.value,
                "channel": body.channel.value,
                "granted_at": now,
                "deadline": deadline,
                "calendar": used,
                "status": GrantStatus.open.value,
            },
        )
        if not created:
            raise HelpFirstAlreadyGranted(lead.case_id)
        await budgets.commit(  # R-OVS-3: help first commits too, never held back by the envelope
            session,
            SceneCase.of(lead),
            body.amount,
            kind=CommitmentKind.help_first,
            level=role,
            actor=body.actor,
            now=now,
        )
        await runtime.outbox.add(
            session,
            HelpFirstGranted(
                case_id=lead.case_id,
                grant_id=grant_id,
                county_code=lead.county_code,
                township_code=lead.township_code,
                level=role.value,
                form=body.form,
                channel=body.channel,
                amount=body.amount,
                granted_by=body.actor,
                granted_at=now,
                lead_id=lead_id,
                paperwork_deadline=deadline,
            ),
            subject=lead.case_id,
        )
        row = await repo.grant(session, lead.case_id)
    if row is None:
        raise RuntimeError("the row just written is missing from its own transaction")
    return row


async def announce_overdue(runtime: Runtime, on: date | None = None) -> int:
    """Publish PaperworkOverdue once per obligation past its deadline; safe with several replicas
    (rows locked with SKIP LOCKED, marked in the same transaction as the event)."""
    on = on or today()
    async with runtime.transaction() as session:
        grants = await repo.overdue_grants(session, on, unnotified_only=True, lock=True)
        arrived = await repo.known_cases(session, [g.case_id for g in grants])
        now = clock.now()
        for g in grants:
            if g.deadline is None or g.calendar is None:
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
                    counted_from=g.emergency_over_on or clock.local_date(g.granted_at),
                    lead_id=g.lead_id,
                    application_missing=g.case_id not in arrived,
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
