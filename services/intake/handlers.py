"""Intake follows each case's progress (for its lists, the amendment window and duplicate flags) from the
assessment and approval events; inbox-protected, so each event applies once. Thin: they call the service."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from services.intake import service
from services.intake.service import leads
from services.intake.service.timeline import follow_scheme_event
from shared.contracts.approval import (
    CaseDecided,
    CaseReturned,
    CaseReviewed,
    HelpFirstGranted,
    PaperworkOverdue,
)
from shared.contracts.assessment import CaseAssessed, PolicyCoverage
from shared.contracts.monitoring import LeadReported
from shared.contracts.processing import CaseProcessingFailed
from shared.contracts.referral import SchemeOutcomeRecorded, SchemeReferralCreated, SchemeReferralOverdue
from shared.domain_errors import InvalidValue
from shared.events import Envelope
from shared.inbox import PoisonEvent
from shared.runtime import Runtime


async def on_case_processing_failed(
    runtime: Runtime, session: AsyncSession, envelope: Envelope, ev: CaseProcessingFailed
) -> None:
    """A downstream service could not process the case: the case shows it (``needs_attention``)."""
    await service.mark_needs_attention(
        session, ev.case_id, service=ev.service, reason=ev.reason, event_type=ev.failed_event_type
    )


async def on_own_dead_letter(
    runtime: Runtime, session: AsyncSession, envelope: Envelope, reason: str
) -> None:
    """Intake itself could not apply an event about a case (in the dead-letter transaction)."""
    if envelope.subject:
        await service.mark_needs_attention(
            session, envelope.subject, service="intake", reason=reason, event_type=envelope.type
        )


async def on_policy_coverage(
    runtime: Runtime, session: AsyncSession, envelope: Envelope, ev: PolicyCoverage
) -> None:
    await service.keep_coverage(session, ev)


async def on_case_assessed(
    runtime: Runtime, session: AsyncSession, envelope: Envelope, ev: CaseAssessed
) -> None:
    await service.follow_assessed(runtime, session, ev)


async def on_case_returned(
    runtime: Runtime, session: AsyncSession, envelope: Envelope, ev: CaseReturned
) -> None:
    await service.follow_returned(session, ev)


async def on_opinion(
    runtime: Runtime, session: AsyncSession, envelope: Envelope, ev: CaseReviewed | CaseDecided
) -> None:
    """A review's opinion or the decision: a step of the case's 审批表, and the case moves on."""
    await service.follow_opinion(session, ev)


async def on_lead_reported(
    runtime: Runtime, session: AsyncSession, envelope: Envelope, ev: LeadReported
) -> None:
    """A lead from an outside system (R-OVS-2): a visit task of its township. A township that is not the
    city's (or a bad ID number) can never be applied: dead-lettered at once, naming the field."""
    try:
        await leads.from_event(runtime, session, envelope.source, ev)
    except InvalidValue as exc:
        raise PoisonEvent(f"{exc.detail} (lead {ev.lead_ref})") from exc


async def on_help_first_granted(
    runtime: Runtime, session: AsyncSession, envelope: Envelope, ev: HelpFirstGranted
) -> None:
    """Help at the scene on a lead (R-FLOW-2 with R-OVS-2): shown on the lead."""
    await leads.follow_scene_help(session, ev)


async def on_paperwork_overdue(
    runtime: Runtime, session: AsyncSession, envelope: Envelope, ev: PaperworkOverdue
) -> None:
    """The scene help's application never came (R-FLOW-2): shown on the lead."""
    await leads.follow_paperwork_overdue(session, ev)


async def on_scheme_event(
    runtime: Runtime,
    session: AsyncSession,
    envelope: Envelope,
    ev: SchemeReferralCreated | SchemeOutcomeRecorded | SchemeReferralOverdue,
) -> None:
    """A referral of the case to a government scheme, its passing its due date, its outcome: on the case's
    timeline; an overdue one shows the case as ``needs_attention`` until its final outcome (R-AID-1)."""
    await follow_scheme_event(session, envelope, ev)
