from pydantic import SecretStr
from pydantic_settings import SettingsConfigDict

from shared.settings import ServiceSettings


class AssessmentSettings(ServiceSettings):
    model_config = SettingsConfigDict(env_prefix="ASSESSMENT_", extra="ignore")
    service_name: str = "assessment"
    verification_url: str | None = None
    """Base URL of the city's verification system (核对) and source registry (docs/verification.md); unset:
    requests wait, and each case says so (hold reason) until its deadline makes it needs_attention."""
    verification_token: SecretStr | None = None
    """Bearer token assessment presents to the verification system."""
    verification_system: str = "city-verification"
    """The subject of the government-system token (role gov_system) that may deliver answers by callback."""
    verification_callback_base_url: str | None = None
    """Where the verification system calls back (…/assessment/v1); unset: answers are polled only."""
    verification_timeout_seconds: float = 10.0
    verification_retry_seconds: float = 30.0
    """First backoff after a timeout or error; doubled per attempt, up to the maximum below."""
    verification_retry_max_seconds: float = 1800.0
    verification_poll_seconds: float = 60.0
    verification_check_seconds: float = 5.0
    """Shortest rest of the background worker between looks for due requests."""
    verification_idle_max_seconds: float = 300.0
    """Longest rest of the worker: it sleeps until the earliest due request (or a new one wakes it), at
    most this long, so an idle service does no database work in between."""
