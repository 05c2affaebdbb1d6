"""Approval (审核/审批): review and tiered approval of assessed cases, help first (R-FLOW)."""

from pathlib import Path

from services.approval.api import router
from services.approval.figures import state_gauges
from services.approval.handlers import handlers
from services.approval.repository import retention_closed_cases
from services.approval.service import seed
from services.approval.service.help_first import overdue_watch
from services.approval.settings import ApprovalSettings
from services.approval.tables import metadata
from shared.retention import PSEUDONYM_TEXT, DataClassSpec, RetentionSpec, Target, messaging_targets
from shared.retention_api import retention_router
from shared.runtime import ServiceModule

router.include_router(retention_router("approval"))  # /retention (R-RET-1, R-RET-2)

RETENTION = RetentionSpec(
    closed=retention_closed_cases,
    classes=(
        DataClassSpec(
            "application_personal",
            (
                Target("approval.reexaminations", "case_id", values={"grounds_text": PSEUDONYM_TEXT}),
                Target("approval.complaints", "case_id", values={"summary": PSEUDONYM_TEXT}),
                *messaging_targets("approval"),
            ),
        ),
    ),
)
"""The household's own words (re-examination grounds, complaint summaries) go after the period (R-RET-2);
the decisions, their reasons, amounts, levels and dates stay."""

MODULE = ServiceModule(
    name="approval",
    settings_cls=ApprovalSettings,
    router=router,
    metadata=metadata,
    migrations=Path(__file__).parent / "migrations",
    consumes=("assessment", "disbursement", "intake"),
    handlers=handlers,
    background=(overdue_watch,),
    on_start=seed,
    state_gauges=state_gauges,
    retention=RETENTION,
)
