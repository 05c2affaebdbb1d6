"""Household (办件告知): the household's side of a case — a public-safe status for government service
platforms (政务服务平台, 12345), status pushes to subscribed systems, and notices (SMS and printable decision
letters) on acceptance, missing documents, decision, payment, referral and help-first paperwork."""

from functools import partial
from pathlib import Path

from fastapi import APIRouter

from services.household import handlers
from services.household.adapters.notifier import send_notices
from services.household.adapters.webhooks import dispatch_webhooks
from services.household.api import router as api_router
from services.household.figures import figures as figure_query
from services.household.figures import state_gauges
from services.household.repository import retention_closed_cases
from services.household.service import STATUS_TOPIC
from services.household.settings import HouseholdSettings
from services.household.tables import metadata
from shared.contracts.approval import (
    CaseDecided,
    CaseRedecided,
    CaseReturned,
    CaseReviewed,
    PaperworkOverdue,
)
from shared.contracts.assessment import CaseAssessed
from shared.contracts.disbursement import PaymentGivenUp, PaymentResultRecorded
from shared.contracts.intake import ApplicationSubmitted
from shared.contracts.referral import ReferralAccepted, SchemeOutcomeRecorded, SchemeReferralCreated
from shared.figures import figures_router
from shared.retention import DataClassSpec, RetentionSpec, Target, messaging_targets, policy_handlers
from shared.retention_api import retention_router
from shared.runtime import Runtime, ServiceModule


def _handlers(runtime: Runtime):
    return {
        ApplicationSubmitted.event_type: partial(handlers.on_application_submitted, runtime),
        **policy_handlers(runtime),  # the county's retention periods, set at intake (R-RET-1)
        CaseAssessed.event_type: partial(handlers.on_case_assessed, runtime),
        CaseReturned.event_type: partial(handlers.on_case_returned, runtime),
        CaseReviewed.event_type: partial(handlers.on_case_reviewed, runtime),
        CaseDecided.event_type: partial(handlers.on_case_decided, runtime),
        CaseRedecided.event_type: partial(handlers.on_case_redecided, runtime),
        PaperworkOverdue.event_type: partial(handlers.on_paperwork_overdue, runtime),
        PaymentResultRecorded.event_type: partial(handlers.on_payment_result, runtime),
        PaymentGivenUp.event_type: partial(handlers.on_payment_given_up, runtime),  # R-OVS-3
        ReferralAccepted.event_type: partial(handlers.on_referral_accepted, runtime),
        SchemeReferralCreated.event_type: partial(handlers.on_scheme_referral_created, runtime),  # R-AID-1
        SchemeOutcomeRecorded.event_type: partial(handlers.on_scheme_outcome, runtime),
    }


router = APIRouter()
router.include_router(api_router)
router.include_router(
    figures_router(
        "household",
        figure_query,
        "Notices to households by kind and delivery status, cases by public stage (JSON or CSV)",
    ),
    prefix="/household/v1",
)  # GET /household/v1/figures (R-OVS-1)
router.include_router(retention_router("household"), prefix="/household/v1")  # R-RET-1, R-RET-2

RETENTION = RetentionSpec(
    closed=retention_closed_cases,
    classes=(
        DataClassSpec(
            "application_personal",
            (
                Target(
                    "household.cases", "case_id", values={"contact_sealed": None, "applicant_index": None}
                ),
                *messaging_targets("household"),
            ),
        ),
        DataClassSpec("notices", (Target("household.notices", "case_id", values={"sms_text": None}),)),
    ),
)
"""The phone, the verifier's blind index and the SMS texts go after the periods (R-RET-2); the notices'
kinds, dates and delivery statuses stay."""

MODULE = ServiceModule(
    name="household",
    settings_cls=HouseholdSettings,
    router=router,
    metadata=metadata,
    migrations=Path(__file__).parent / "migrations",
    consumes=("intake", "assessment", "approval", "disbursement", "referral"),
    handlers=_handlers,
    state_gauges=state_gauges,
    extra_topics=(STATUS_TOPIC,),
    background=(send_notices, dispatch_webhooks),
    retention=RETENTION,
)
