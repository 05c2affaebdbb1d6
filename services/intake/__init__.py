"""Intake (受理): the single window where applications arrive, are validated, recorded and published."""

from functools import partial
from pathlib import Path

from services.intake import handlers as h
from services.intake.api import router
from services.intake.figures import figures as figure_query
from services.intake.figures import state_gauges
from services.intake.service import PERSONAL, VISIT_REPORT
from services.intake.settings import IntakeSettings
from services.intake.tables import metadata
from shared.contracts.approval import CaseDecided, CaseReturned, CaseReviewed
from shared.contracts.assessment import CaseAssessed, PolicyCoverage
from shared.contracts.processing import BY_SERVICE
from shared.figures import figures_router
from shared.reencrypt import SealedColumn
from shared.runtime import Runtime, ServiceModule


def handlers(runtime: Runtime):
    return {
        CaseAssessed.event_type: partial(h.on_case_assessed, runtime),
        CaseReviewed.event_type: partial(h.on_case_reviewed, runtime),
        CaseReturned.event_type: partial(h.on_case_returned, runtime),
        CaseDecided.event_type: partial(h.on_case_decided, runtime),
        PolicyCoverage.event_type: partial(h.on_policy_coverage, runtime),
        # no dead letter about a case is invisible on that case: needs_attention
        **{
            failed.event_type: partial(h.on_case_processing_failed, runtime) for failed in BY_SERVICE.values()
        },
    }


router.include_router(
    figures_router(
        "intake", figure_query, "Applications received by channel, month, place and category (JSON or CSV)"
    )
)  # GET /figures (R-OVS-1)

MODULE = ServiceModule(
    name="intake",
    settings_cls=IntakeSettings,
    router=router,
    metadata=metadata,
    migrations=Path(__file__).parent / "migrations",
    state_gauges=state_gauges,
    consumes=("assessment", "approval", "disbursement", "referral"),
    handlers=handlers,
    sealed=(
        SealedColumn("intake.applications", "personal", PERSONAL),
        SealedColumn("intake.application_revisions", "personal", PERSONAL),
        SealedColumn("intake.home_visits", "report", VISIT_REPORT),
    ),
    on_dead_letter=h.on_own_dead_letter,
)
