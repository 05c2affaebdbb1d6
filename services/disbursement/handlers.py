"""Disbursement's event consumers (inbox-protected, one transaction with their effects): thin, they call
the use cases of service/."""

from __future__ import annotations

from collections.abc import Mapping
from functools import partial

from sqlalchemy.ext.asyncio import AsyncSession

from services.disbursement.service import payees, payments
from shared.contracts.approval import CaseDecided, CaseRedecided, HelpFirstGranted
from shared.contracts.intake import ApplicationSubmitted
from shared.events import Envelope
from shared.inbox import Handler
from shared.retention import policy_handlers
from shared.runtime import Runtime


async def on_application_submitted(
    runtime: Runtime, session: AsyncSession, envelope: Envelope, app: ApplicationSubmitted
) -> None:
    await payees.record_application(runtime, session, app)


async def on_case_decided(
    runtime: Runtime, session: AsyncSession, envelope: Envelope, ev: CaseDecided
) -> None:
    await payments.record_decision(runtime, session, ev)


async def on_case_redecided(
    runtime: Runtime, session: AsyncSession, envelope: Envelope, ev: CaseRedecided
) -> None:
    await payments.record_redecision(runtime, session, ev)


async def on_help_first_granted(
    runtime: Runtime, session: AsyncSession, envelope: Envelope, ev: HelpFirstGranted
) -> None:
    await payments.record_help_first(runtime, session, ev)


def handlers(runtime: Runtime) -> Mapping[str, Handler]:
    return {
        ApplicationSubmitted.event_type: partial(on_application_submitted, runtime),
        **policy_handlers(runtime),  # the county's retention periods, set at intake (R-RET-1)
        CaseDecided.event_type: partial(on_case_decided, runtime),
        HelpFirstGranted.event_type: partial(on_help_first_granted, runtime),
        CaseRedecided.event_type: partial(on_case_redecided, runtime),
    }
