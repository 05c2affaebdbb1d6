"""Settings base: one class per service, env prefix per service, ``ASSISTANCE_`` as a shared fallback."""

from __future__ import annotations

import base64
from typing import Literal

from pydantic import Field, model_validator
from pydantic_settings import BaseSettings, EnvSettingsSource, PydanticBaseSettingsSource, SettingsConfigDict

# Development-only keys: refused outside development/test so a deployment cannot run on them.
DEV_ENCRYPTION_KEYS = "dev1:" + base64.b64encode(b"development-only-key-0123456789a").decode()
DEV_BLIND_INDEX_KEY = base64.b64encode(b"development-only-blind-index-key").decode()

SHARED_PREFIX = "ASSISTANCE_"


class ServiceSettings(BaseSettings):
    """What every service is configured with. Subclasses set ``env_prefix`` (e.g. ``INTAKE_``)."""

    model_config = SettingsConfigDict(extra="ignore", case_sensitive=False)

    service_name: str = "service"
    environment: Literal["development", "test", "production"] = "development"
    database_url: str | None = None
    database_schema: str | None = None
    database_pool_size: int = 10

    bus: Literal["kafka", "memory"] = "memory"
    kafka_bootstrap_servers: str = "127.0.0.1:19092"
    kafka_security_protocol: Literal["PLAINTEXT", "SSL", "SASL_PLAINTEXT", "SASL_SSL"] = "PLAINTEXT"
    kafka_sasl_mechanism: str | None = None
    kafka_sasl_username: str | None = None
    kafka_sasl_password: str | None = None
    kafka_ssl_cafile: str | None = None
    topic_prefix: str = "assistance"
    topic_partitions: int = 6
    topic_replication_factor: int = 1
    consumer_group: str | None = None
    consumer_max_attempts: int = Field(default=3, ge=1, le=20)
    consumer_retry_backoff_seconds: float = 0.2
    consumer_session_timeout_ms: int = Field(default=6000, ge=6000, le=300000)
    """A consumer that dies is replaced in the group after this (the broker's minimum is 6 s)."""
    consumer_group_instance_id: str | None = None
    """Static membership (e.g. the pod name of a StatefulSet): a restarted member gets its partitions back
    without a rebalance. Leave unset for Deployments, whose pods get new names."""

    outbox_poll_interval_seconds: float = 0.2
    """How soon the relay looks again after a batch or a failed wake-up race; it is woken by every commit
    that writes an event, so this is only the fallback."""
    outbox_max_idle_seconds: float = 2.0
    """Idle polls back off up to this (events written by another replica wait at most this long)."""
    outbox_batch_size: int = 200

    encryption_keys: str = DEV_ENCRYPTION_KEYS
    blind_index_key: str = DEV_BLIND_INDEX_KEY

    log_level: str = "INFO"
    otel_exporter_otlp_endpoint: str | None = None
    auth_jwks_url: str | None = None
    """The identity provider's JWKS (OIDC ``jwks_uri``); tokens of ``auth_issuer`` are verified against it."""
    auth_issuer: str | None = None
    auth_audience: str = "assistance-api"
    auth_dev_issuer: bool = True
    """Also trust the local development issuer (``python -m services token``); refused in production."""
    auth_dev_key_dir: str = ".run/dev-issuer"

    @model_validator(mode="after")
    def _refuse_placeholder_secrets(self) -> ServiceSettings:
        if self.environment == "production":
            if self.encryption_keys == DEV_ENCRYPTION_KEYS or self.blind_index_key == DEV_BLIND_INDEX_KEY:
                raise ValueError("production refuses the development encryption/blind-index keys")
            if not self.database_url:
                raise ValueError("production needs DATABASE_URL")
            if self.auth_dev_issuer:
                raise ValueError(
                    "production refuses the development token issuer (set AUTH_DEV_ISSUER=false)"
                )
            if not (self.auth_issuer and self.auth_jwks_url):
                raise ValueError("production needs AUTH_ISSUER and AUTH_JWKS_URL")
        return self

    @property
    def schema_name(self) -> str:
        return self.database_schema or self.service_name

    @property
    def group_id(self) -> str:
        return self.consumer_group or f"{self.topic_prefix}-{self.service_name}"

    def topic(self, service: str) -> str:
        """The topic a service produces to, e.g. ``assistance.intake.v1``."""
        return f"{self.topic_prefix}.{service}.v1"

    def dead_letter_topic(self) -> str:
        return f"{self.topic_prefix}.{self.service_name}.dlq.v1"

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        shared_env = EnvSettingsSource(settings_cls, env_prefix=SHARED_PREFIX, case_sensitive=False)
        return init_settings, env_settings, shared_env, dotenv_settings, file_secret_settings
