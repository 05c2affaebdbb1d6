from pydantic_settings import SettingsConfigDict

from shared.settings import ServiceSettings


class ApprovalSettings(ServiceSettings):
    model_config = SettingsConfigDict(env_prefix="APPROVAL_", extra="ignore")
    service_name: str = "approval"
    overdue_check_seconds: float = 300.0
    """How often the help-first paperwork deadlines are checked (R-FLOW-2)."""
    require_review: bool = False
    """R-FLOW-1 strictly: refuse an approval (审批) without a recorded review (审核). Off by default while
    callers (and the fault tests) still decide in one step; a recorded review is always honoured."""
