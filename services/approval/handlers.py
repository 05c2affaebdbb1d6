"""Approval's event consumers (inbox-protected): assessed cases come in for review (R-FLOW-1); payment
results move budget commitments to spent, or back, and a payment given up releases its commitment
(R-OVS-3); intake's reports of each case archive's completeness (R-ARC-1)."""

from __future__ import annotations

from collections.abc import Mapping
from functools import partial

from sqlalchemy.ext.asyncio import AsyncSession

from services.approval.service import archive, budgets, help_first, review
from shared.contracts.assessment import CaseAssessed
from shared.contracts.disbursement import PaymentCorrected, PaymentGivenUp, PaymentResultRecorded
from shared.contracts.intake import ArchiveCompleteness, LeadClosed, LeadOpened
from shared.events import Envelope
from shared.inbox import Handler
from shared.retention import policy_handlers
from shared.runtime import Runtime


async def on_case_assessed(
    runtime: Runtime, session: AsyncSession, envelope: Envelope, ev: CaseAssessed
) -> None:
    await review.take_in(session, ev)


async def on_payment_result(
    runtime: Runtime, session: AsyncSession, envelope: Envelope, ev: PaymentResultRecorded
) -> None:
    """R-OVS-3: paid moves the case's commitment to spent; returned back to committed."""
    await budgets.on_payment_result(session, ev)


async def on_payment_corrected(
    runtime: Runtime, session: AsyncSession, envelope: Envelope, ev: PaymentCorrected
) -> None:
    await budgets.on_payment_corrected(session, ev)


async def on_payment_given_up(
    runtime: Runtime, session: AsyncSession, envelope: Envelope, ev: PaymentGivenUp
) -> None:
    """R-OVS-3: a payment given up releases its commitment."""
    await budgets.on_payment_given_up(session, ev)


async def on_archive_completeness(
    runtime: Runtime, session: AsyncSession, envelope: Envelope, ev: ArchiveCompleteness
) -> None:
    """R-ARC-1: what the case archive lacks, as intake reports it."""
    await archive.take_in(session, ev)


async def on_lead_opened(runtime: Runtime, session: AsyncSession, envelope: Envelope, ev: LeadOpened) -> None:
    """R-OVS-2 with R-FLOW-2: a lead (codes only) on which help may be granted at the scene."""
    await help_first.take_in_lead(session, ev)


async def on_lead_closed(runtime: Runtime, session: AsyncSession, envelope: Envelope, ev: LeadClosed) -> None:
    """R-OVS-2: a lead closed without an application; no help at the scene on it from then on."""
    await help_first.close_lead(session, ev)


def handlers(runtime: Runtime) -> Mapping[str, Handler]:
    return {
        CaseAssessed.event_type: partial(on_case_assessed, runtime),
        **policy_handlers(runtime),  # the county's retention periods, set at intake (R-RET-1)
        PaymentResultRecorded.event_type: partial(on_payment_result, runtime),
        PaymentCorrected.event_type: partial(on_payment_corrected, runtime),
        PaymentGivenUp.event_type: partial(on_payment_given_up, runtime),
        ArchiveCompleteness.event_type: partial(on_archive_completeness, runtime),
        LeadOpened.event_type: partial(on_lead_opened, runtime),
        LeadClosed.event_type: partial(on_lead_closed, runtime),
    }
