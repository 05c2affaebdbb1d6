"""Assessment (审核前的家庭经济状况评估): the means test and amount (R-CAT, R-AMT), from policy as data."""

from functools import partial
from pathlib import Path

from services.assessment import handlers as h
from services.assessment import service
from services.assessment.api import router
from services.assessment.figures import figures as figure_query
from services.assessment.figures import state_gauges
from services.assessment.repository.retention_queries import closed_cases
from services.assessment.service.verification import ANSWER_SEAL_CONTEXT, worker
from services.assessment.settings import AssessmentSettings
from services.assessment.tables import metadata
from shared.contracts.approval import CaseDecided
from shared.contracts.intake import (
    MEMBERS_SEAL_CONTEXT,
    ApplicationSubmitted,
    DocumentRecorded,
    DocumentsRecorded,
)
from shared.figures import figures_router
from shared.reencrypt import SealedColumn
from shared.retention import DataClassSpec, RetentionSpec, Target, messaging_targets, policy_handlers
from shared.retention_api import retention_router
from shared.runtime import Runtime, ServiceModule


def handlers(runtime: Runtime):
    return {
        ApplicationSubmitted.event_type: partial(h.on_application_submitted, runtime),
        **policy_handlers(runtime),  # the county's retention periods, set at intake (R-RET-1)
        CaseDecided.event_type: partial(h.on_case_decided, runtime),  # a raise after it: 409
        DocumentRecorded.event_type: partial(h.on_document_recorded, runtime),  # the authorisation (R-CAT-3)
        DocumentsRecorded.event_type: partial(h.on_documents_recorded, runtime),  # the same, of a batch
    }


router.include_router(
    figures_router(
        "assessment", figure_query, "Assessed eligible / ineligible with the failed rules' ids (JSON or CSV)"
    )
)  # GET /figures (R-OVS-1)
router.include_router(retention_router("assessment"))  # /retention (R-RET-1, R-RET-2)

RETENTION = RetentionSpec(
    closed=closed_cases,
    classes=(
        DataClassSpec(
            "application_personal",
            (
                Target(
                    "assessment.verifications",
                    "case_id",
                    sealed=(("members_sealed", MEMBERS_SEAL_CONTEXT), ("answer_sealed", ANSWER_SEAL_CONTEXT)),
                ),
                *messaging_targets("assessment"),
            ),
        ),
    ),
)
"""The verification requests' ID numbers and answers go after the period (R-RET-2); the assessments
(figures, failed rules, policy version) stay."""

MODULE = ServiceModule(
    name="assessment",
    settings_cls=AssessmentSettings,
    router=router,
    metadata=metadata,
    migrations=Path(__file__).parent / "migrations",
    consumes=("intake", "approval"),
    handlers=handlers,
    on_start=service.seed,
    state_gauges=state_gauges,
    retention=RETENTION,
    background=(worker,),  # verification requests: send, poll, retry, deadline (R-CAT-3, R-CAT-4)
    sealed=(
        SealedColumn("assessment.verifications", "members_sealed", MEMBERS_SEAL_CONTEXT),
        SealedColumn("assessment.verifications", "answer_sealed", ANSWER_SEAL_CONTEXT),
    ),
)
