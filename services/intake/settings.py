from pydantic import Field
from pydantic_settings import SettingsConfigDict

from shared.settings import ServiceSettings


class IntakeSettings(ServiceSettings):
    model_config = SettingsConfigDict(env_prefix="INTAKE_", extra="ignore")
    service_name: str = "intake"

    document_uri_schemes: frozenset[str] = Field(
        default=frozenset({"s3", "oss", "cos", "obs", "https"}), min_length=1
    )
    """R-ARC-1: the schemes an archive item's ``storage_uri`` may use (object stores and https). ``file`` is
    never in this list: see ``document_file_root``."""
    lead_overdue_check_seconds: float = Field(default=300.0, gt=0)
    """How often leads past their response target are looked for and announced (LeadOverdue, R-OVS-2)."""
    document_file_root: str | None = Field(default=None, pattern=r"^/[^\x00]*$")
    """An absolute directory under which ``file:///`` document URIs are accepted (an on-premises archive
    share); unset (the default): no ``file`` URI at all."""
