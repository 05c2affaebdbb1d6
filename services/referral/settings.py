from typing import Literal

from pydantic import Field
from pydantic_settings import SettingsConfigDict

from shared.settings import ServiceSettings


class ReferralSettings(ServiceSettings):
    model_config = SettingsConfigDict(env_prefix="REFERRAL_", extra="ignore")
    service_name: str = "referral"

    offer_timeout_seconds: float = Field(default=72 * 3600, gt=0)
    """An offer not accepted within this time goes to the next matching partner."""
    offer_sweep_interval_seconds: float = Field(default=5.0, gt=0)
    """How often expired offers and records still waiting for a partner are looked at."""

    webhook_max_attempts: int = Field(default=6, ge=1, le=30)
    """Deliveries still failing after this many attempts are dead-lettered (redeliverable on request)."""
    webhook_backoff_seconds: float = Field(default=5.0, gt=0)
    """Delay before the 2nd attempt; doubles each attempt (capped by ``webhook_backoff_max_seconds``)."""
    webhook_backoff_max_seconds: float = Field(default=3600.0, gt=0)
    webhook_timeout_seconds: float = Field(default=10.0, gt=0)
    webhook_poll_interval_seconds: float = Field(default=1.0, gt=0)

    partner_kafka_topic_default: Literal["shared", "own"] = "shared"
    """Kafka delivery for partners registered without a choice: ``shared`` (``<prefix>.referral.partner.v1``,
    keyed by partner) or ``own`` (``<prefix>.referral.partner.<partner_id>.v1``, so ACLs can be granted per
    topic). Each partner keeps the mode it was registered with until changed (PATCH ``kafka_topic``)."""
