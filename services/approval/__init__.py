"""Approval (审核/审批): review and tiered approval of assessed cases, help first (R-FLOW)."""

from functools import partial
from pathlib import Path

from services.approval import help_first, service
from services.approval.api import router
from services.approval.figures import figures as figure_query
from services.approval.metrics import state_gauges
from services.approval.settings import ApprovalSettings
from services.approval.tables import metadata
from shared.contracts.assessment import CaseAssessed
from shared.figures import figures_router
from shared.runtime import Runtime, ServiceModule


def handlers(runtime: Runtime):
    return {CaseAssessed.event_type: partial(service.on_case_assessed, runtime)}


router.include_router(
    figures_router(
        "approval",
        figure_query,
        "Decisions, escalations, amounts, months, speed and help first (JSON or CSV)",
    )
)  # GET /figures (R-OVS-1)

MODULE = ServiceModule(
    name="approval",
    settings_cls=ApprovalSettings,
    router=router,
    metadata=metadata,
    migrations=Path(__file__).parent / "migrations",
    consumes=("assessment",),
    handlers=handlers,
    background=(help_first.overdue_watch,),
    on_start=service.seed,
    state_gauges=state_gauges,
)
