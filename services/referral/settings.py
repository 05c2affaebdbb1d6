from __future__ import annotations

from typing import Literal

from pydantic import Field, model_validator
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
    webhook_allow_loopback_http: bool = False
    """Development and test only (refused in production): webhook receivers on a loopback host
    (``127.0.0.1``, ``::1``, ``localhost``), also over plain http. Off by default: only https to public
    addresses, checked at registration and again, after resolving the name, at every delivery."""
    webhook_refused_hosts: frozenset[str] = frozenset(
        {
            "metadata",
            "metadata.google.internal",
            "metadata.goog",
            "metadata.azure.com",
            "instance-data",
            "instance-data.ec2.internal",
            "metadata.tencentyun.com",
            "metadata.oraclecloud.com",
            "kubernetes.default",
            "kubernetes.default.svc",
        }
    )
    """Host names never accepted as webhook receivers (cloud metadata services and the like), besides any
    name under ``.internal``, ``.local``, ``.localhost`` or ``.home.arpa``."""

    partner_kafka_topic_default: Literal["shared", "own"] = "own"
    """Kafka delivery of partner-addressed events (R-CHA-2). ``own`` (the default): every partner gets its
    own topic ``<prefix>.referral.partner.<partner_id>.v1`` (ACLs per topic), whatever its record says; the
    shared topic ``<prefix>.referral.partner.v1`` carries only the announcements without a partner, for the
    bureau's own consumers, and registering or switching a partner to ``kafka_topic: shared`` is refused
    (409). ``shared`` must be set explicitly: then partners registered without a choice, or with
    ``kafka_topic: shared``, read the shared topic keyed by partner id — where every partner can read the
    offers made to all others."""

    @model_validator(mode="after")
    def _no_loopback_webhooks_in_production(self) -> ReferralSettings:
        if self.environment == "production" and self.webhook_allow_loopback_http:
            raise ValueError("production refuses REFERRAL_WEBHOOK_ALLOW_LOOPBACK_HTTP")
        return self
