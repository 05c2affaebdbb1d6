"""Approval (审核/审批): review and tiered approval of assessed cases, help first (R-FLOW)."""

from pathlib import Path

from services.approval.api import router
from services.approval.figures import state_gauges
from services.approval.handlers import handlers
from services.approval.service import seed
from services.approval.service.help_first import overdue_watch
from services.approval.settings import ApprovalSettings
from services.approval.tables import metadata
from shared.runtime import ServiceModule

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
)
