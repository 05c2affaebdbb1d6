from typing import TYPE_CHECKING

from pydantic import Field, model_validator
from pydantic_settings import SettingsConfigDict

from shared.settings import ServiceSettings

if TYPE_CHECKING:
    from shared.runtime import Runtime


class HouseholdSettings(ServiceSettings):
    model_config = SettingsConfigDict(env_prefix="HOUSEHOLD_", extra="ignore")
    service_name: str = "household"

    sms_gateway_url: str | None = None
    """Base URL of the SMS gateway (JSON contract in docs/household.md). Unset: notices are recorded and
    wait (status ``queued``) until a gateway is configured; nothing is sent anywhere else."""
    sms_gateway_key: str | None = None
    """Shared secret: each request carries ``X-Signature: sha256=<hex HMAC-SHA256(key, timestamp.body)>``."""
    sms_gateway_timeout_seconds: float = Field(default=10.0, gt=0)
    sms_sign_name: str = "临时救助"
    sms_max_attempts: int = Field(default=6, ge=1, le=30)
    sms_backoff_seconds: float = Field(default=5.0, gt=0)
    """Delay before the 2nd attempt; doubles each attempt, capped by ``sms_backoff_max_seconds``."""
    sms_backoff_max_seconds: float = Field(default=3600.0, gt=0)
    sms_poll_interval_seconds: float = Field(default=1.0, gt=0)

    status_failures_allowed: int = Field(default=5, ge=1)
    """Wrong verifiers a source may send within ``status_failure_window_seconds`` before it gets 429."""
    status_failure_window_seconds: float = Field(default=900.0, gt=0)

    webhook_max_attempts: int = Field(default=6, ge=1, le=30)
    webhook_backoff_seconds: float = Field(default=5.0, gt=0)
    webhook_backoff_max_seconds: float = Field(default=3600.0, gt=0)
    webhook_timeout_seconds: float = Field(default=10.0, gt=0)
    webhook_poll_interval_seconds: float = Field(default=1.0, gt=0)
    webhook_allow_loopback_http: bool = False
    """Development and test only: subscribers on a loopback host, also over plain http (off by default:
    only https to public addresses, as referral's partner webhooks)."""
    webhook_refused_hosts: frozenset[str] = frozenset(
        {"metadata", "metadata.google.internal", "metadata.goog", "instance-data", "metadata.tencentyun.com"}
    )

    @property
    def loopback_receivers_allowed(self) -> bool:
        """Subscribers on a loopback host (also over http): only by the explicit setting, never in
        production — at registration and again at every delivery."""
        return self.webhook_allow_loopback_http and self.environment != "production"

    @model_validator(mode="after")
    def _gateway_is_signed(self) -> "HouseholdSettings":
        if self.sms_gateway_url and not self.sms_gateway_key:
            raise ValueError("HOUSEHOLD_SMS_GATEWAY_KEY is required with HOUSEHOLD_SMS_GATEWAY_URL")
        return self


def settings_of(runtime: "Runtime") -> HouseholdSettings:
    """The household runtime's settings, typed (no ``getattr`` with a silent default)."""
    settings = runtime.settings
    if not isinstance(settings, HouseholdSettings):
        raise TypeError("the household runtime carries HouseholdSettings")
    return settings
