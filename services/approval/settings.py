from pydantic_settings import SettingsConfigDict

from shared.settings import ServiceSettings


class ApprovalSettings(ServiceSettings):
    model_config = SettingsConfigDict(env_prefix="APPROVAL_", extra="ignore")
    service_name: str = "approval"
    overdue_check_seconds: float = 300.0
    """How often the help-first paperwork deadlines are checked (R-FLOW-2)."""
