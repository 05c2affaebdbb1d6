"""Approval (审核/审批): review and tiered approval of assessed cases, help first (R-FLOW)."""

from pathlib import Path

from services.approval.api import router
from services.approval.domain.retention_rules import (
    scrub_assessment_health,
    scrub_assessment_personal,
    scrub_needs,
)
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
                Target("approval.cases", "case_id", scrubbed={"assessment": scrub_assessment_personal}),
                *messaging_targets("approval"),
            ),
        ),
        DataClassSpec(
            "health",
            (
                Target(
                    "approval.cases",
                    "case_id",
                    scrubbed={"needs": scrub_needs, "assessment": scrub_assessment_health},
                ),
                *messaging_targets("approval"),  # CaseDecided carries the needs with their amounts
            ),
        ),
    ),
)
"""The household's own words (re-examination grounds, complaint summaries) and income, and the health
figures of the copied needs and assessment, go after their periods (R-RET-2); the decisions, their reasons,
amounts, levels, dates, need types and persons helped stay (the figures read them)."""

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
