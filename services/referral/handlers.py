"""Referral's event consumers (inbox-protected by shared/inbox.py): thin, each hands the decoded event to
its use case in ``service.sharing`` (R-CHA-1, R-CHA-2)."""

from __future__ import annotations

from functools import partial

from services.referral.service import sharing
from shared.contracts.approval import CaseDecided
from shared.contracts.assessment import CaseAssessed
from shared.contracts.intake import ApplicationSubmitted, ConsentWithdrawn
from shared.inbox import Handler
from shared.retention import policy_handlers
from shared.runtime import Runtime


def handlers(runtime: Runtime) -> dict[str, Handler]:
    """ServiceModule.handlers: event type → consumer."""
    return {
        ApplicationSubmitted.event_type: partial(sharing.on_application_submitted, runtime),
        **policy_handlers(runtime),  # the county's retention periods, set at intake (R-RET-1)
        ConsentWithdrawn.event_type: partial(sharing.on_consent_withdrawn, runtime),
        CaseDecided.event_type: partial(sharing.on_case_decided, runtime),
        CaseAssessed.event_type: partial(sharing.on_case_assessed, runtime),
    }
