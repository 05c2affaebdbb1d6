"""Intake (受理): the single window where applications arrive, are validated, recorded and published."""

from functools import partial
from pathlib import Path

from services.intake import handlers as h
from services.intake.api import router
from services.intake.api.lead_routes import router as lead_router
from services.intake.api.person_routes import router as person_router
from services.intake.api.timeline_routes import router as timeline_router
from services.intake.domain.retention_rules import scrub_facts
from services.intake.figures import figures as figure_query
from services.intake.figures import state_gauges
from services.intake.repository.retention_queries import closed_cases
from services.intake.service import PERSONAL, VISIT_REPORT, reencrypt_contents
from services.intake.service.corrections import CORRECTION_VALUE
from services.intake.service.leads import LEAD_PERSONAL, overdue_watch
from services.intake.service.retention import delete_content
from services.intake.settings import IntakeSettings
from services.intake.tables import metadata
from shared.contracts.approval import (
    CaseDecided,
    CaseReturned,
    CaseReviewed,
    HelpFirstGranted,
    PaperworkOverdue,
)
from shared.contracts.assessment import CaseAssessed, PolicyCoverage
from shared.contracts.monitoring import LeadReported
from shared.contracts.processing import BY_SERVICE
from shared.contracts.referral import SchemeOutcomeRecorded, SchemeReferralCreated, SchemeReferralOverdue
from shared.figures import figures_router
from shared.reencrypt import SealedColumn
from shared.retention import DataClassSpec, RetentionSpec, Target, messaging_targets
from shared.retention_api import retention_router
from shared.runtime import Runtime, ServiceModule


def handlers(runtime: Runtime):
    return {
        CaseAssessed.event_type: partial(h.on_case_assessed, runtime),
        CaseReviewed.event_type: partial(h.on_opinion, runtime),
        CaseReturned.event_type: partial(h.on_case_returned, runtime),
        CaseDecided.event_type: partial(h.on_opinion, runtime),
        PolicyCoverage.event_type: partial(h.on_policy_coverage, runtime),
        LeadReported.event_type: partial(h.on_lead_reported, runtime),  # R-OVS-2, from outside
        # help at the scene on a lead, and its application missing past the deadline (R-FLOW-2)
        HelpFirstGranted.event_type: partial(h.on_help_first_granted, runtime),
        PaperworkOverdue.event_type: partial(h.on_paperwork_overdue, runtime),
        # the case's referrals to government schemes, on its timeline (R-AID-1)
        **{
            ev.event_type: partial(h.on_scheme_event, runtime)
            for ev in (SchemeReferralCreated, SchemeOutcomeRecorded, SchemeReferralOverdue)
        },
        # no dead letter about a case is invisible on that case: needs_attention
        **{
            failed.event_type: partial(h.on_case_processing_failed, runtime) for failed in BY_SERVICE.values()
        },
    }


router.include_router(lead_router)  # /leads (R-OVS-2)
router.include_router(timeline_router)  # /applications/{id}/timeline (R-AID-1)
router.include_router(person_router)  # a person's data: export, recipients, corrections (PIPL)
router.include_router(
    figures_router(
        "intake",
        figure_query,
        "Applications received by channel, month, place and category; leads by source, time to first "
        "contact, conversion and overdue (JSON or CSV)",
    )
)  # GET /figures (R-OVS-1)
router.include_router(retention_router("intake"))  # /retention (R-RET-1, R-RET-2)

RETENTION = RetentionSpec(
    closed=closed_cases,
    classes=(
        DataClassSpec(
            "application_personal",
            (
                Target(
                    "intake.applications",
                    "id",
                    sealed=(("personal", PERSONAL),),
                    pseudonyms=("applicant_bidx",),
                    scrubbed={"facts": scrub_facts},  # the household's figures (income, costs, ages)
                ),
                Target(
                    "intake.application_revisions",
                    "application_id",
                    sealed=(("personal", PERSONAL),),
                    scrubbed={"facts": scrub_facts},
                ),
                Target("intake.members", "application_id", pseudonyms=("id_bidx",)),
                Target(
                    "intake.leads",
                    "application_id",
                    sealed=(("personal", LEAD_PERSONAL),),
                    values={"person_bidx": None, "contact_note": None},
                ),
                Target("intake.home_visits", "application_id", sealed=(("report", VISIT_REPORT),)),
                Target("intake.corrections", "application_id", sealed=(("value_sealed", CORRECTION_VALUE),)),
                *messaging_targets("intake"),
            ),
        ),
        DataClassSpec(
            "documents",
            (Target("intake.documents", "application_id", values={"metadata": {"purged": True}}),),
            blobs=delete_content,
        ),
    ),
)
"""What intake purges after the county's periods (R-RET-2); counts, dates, place and case type stay."""

MODULE = ServiceModule(
    name="intake",
    settings_cls=IntakeSettings,
    router=router,
    metadata=metadata,
    migrations=Path(__file__).parent / "migrations",
    state_gauges=state_gauges,
    consumes=("assessment", "approval", "disbursement", "referral", "monitoring.leads"),
    handlers=handlers,
    sealed=(
        SealedColumn("intake.applications", "personal", PERSONAL),
        SealedColumn("intake.application_revisions", "personal", PERSONAL),
        SealedColumn("intake.leads", "personal", LEAD_PERSONAL),
        SealedColumn("intake.home_visits", "report", VISIT_REPORT),
        SealedColumn("intake.corrections", "value_sealed", CORRECTION_VALUE),
    ),
    rotations=(reencrypt_contents,),  # documents' content in the content store (R-ARC-1)
    on_dead_letter=h.on_own_dead_letter,
    retention=RETENTION,
    background=(overdue_watch,),  # LeadOverdue once per lead past its target (R-OVS-2)
)
