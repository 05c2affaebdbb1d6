"""Settings base: one class per service, env prefix per service, ``ASSISTANCE_`` as a shared fallback."""

from __future__ import annotations

import base64
from typing import Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import Field, model_validator
from pydantic_settings import BaseSettings, EnvSettingsSource, PydanticBaseSettingsSource, SettingsConfigDict

# Development-only keys: refused outside development/test so a deployment cannot run on them.
DEV_ENCRYPTION_KEYS = (
    "dev1:"
    + base64.b64encode(b"development-only-key-0123456789a").decode()
    # the national suite's development key (SM4, 16 bytes), used when CRYPTO_SUITE=gm
    + ",devgm1:sm4gcm:"
    + base64.b64encode(b"dev-only-sm4-key").decode()
)
DEV_BLIND_INDEX_KEY = base64.b64encode(b"development-only-blind-index-key").decode()
DEV_AUDIT_KEYS = "dev1:" + base64.b64encode(b"development-only-audit-mac-key-0").decode()
SIX_MONTHS_MS = 183 * 24 * 3600 * 1000
"""Logs and audit entries are kept at least six months (网络安全法 art. 21, 等保 level 3)."""

SHARED_PREFIX = "ASSISTANCE_"


class ServiceSettings(BaseSettings):
    """What every service is configured with. Subclasses set ``env_prefix`` (e.g. ``INTAKE_``)."""

    model_config = SettingsConfigDict(extra="ignore", case_sensitive=False)

    service_name: str = "service"
    environment: Literal["development", "test", "production"] = "development"
    database_url: str | None = None
    """The runtime role's URL: ordinary DML on the service's tables, only INSERT/SELECT on its audit log."""
    migration_database_url: str | None = None
    """The owner role's URL, used only to migrate (and then grant the runtime role its privileges)."""
    database_schema: str | None = None
    database_pool_size: int = 20
    """Connections each process may hold; once opened they stay in the pool (no overflow connections opened
    and closed around every request of a burst: each cost a backend start and the driver's set-up)."""

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
    outbox_max_idle_seconds: float = 10.0
    """Idle polls back off up to this. Every commit that writes an event wakes its own relay, and a relay
    that finds another replica's relay at work looks again after ``outbox_poll_interval_seconds``, so
    this only bounds how long rows left by a relay that stopped (a crash) wait for the next one."""
    outbox_batch_size: int = 200

    encryption_keys: str = DEV_ENCRYPTION_KEYS
    blind_index_key: str = DEV_BLIND_INDEX_KEY
    audit_keys: str = DEV_AUDIT_KEYS
    """Comma list kid:base64 (>= 32 bytes) of the audit chain's HMAC keys; the first signs, all verify."""
    audit_checkpoint_interval_seconds: float = Field(default=300, gt=0)
    """How often a signed checkpoint of the audit chain is written outside the database."""
    audit_checkpoint_dir: str = ".run/audit-checkpoints"
    """Standalone (in-process bus): the folder of the append-only checkpoint files, one per service."""
    audit_checkpoint_retention_ms: int = -1
    """Retention of the Kafka checkpoint topic when the service creates it: -1 (forever) or >= 6 months."""

    time_zone: str | None = None
    """The programme's zone for every local-date rule (shared/clock.py); unset: ``TIME_ZONE`` or
    Asia/Shanghai. Never the host's zone."""

    log_level: str = "INFO"
    otel_exporter_otlp_endpoint: str | None = None
    auth_jwks_url: str | None = None
    """The identity provider's JWKS (OIDC ``jwks_uri``); tokens of ``auth_issuer`` are verified against it."""
    auth_issuer: str | None = None
    auth_audience: str = "assistance-api"
    auth_dev_issuer: bool = True
    """Also trust the local development issuer (``python -m services token``); refused in production."""
    auth_dev_key_dir: str = ".run/dev-issuer"
    auth_failure_attempts: int = Field(default=10, ge=1, le=1000)
    """Failed authentications (bad token, bad partner key) per source or partner within the window..."""
    auth_failure_window_seconds: float = Field(default=300, gt=0)
    auth_lockout_seconds: float = Field(default=900, gt=0)
    """...before it is locked out this long (429 with Retry-After); see shared/ratelimit.py."""
    hsts_max_age_seconds: int = Field(default=31_536_000, ge=0)
    """Strict-Transport-Security on responses served over TLS (or ``X-Forwarded-Proto: https``); 0: none."""

    crypto_suite: Literal["default", "gm"] = "default"
    """Field encryption and blind index: ``default`` AES-256-GCM + HMAC-SHA256, ``gm`` (GB/T 39786-2021)
    SM4-GCM + HMAC-SM3. Rows sealed under another suite stay readable (shared/crypto.py)."""
    blind_index_suite: Literal["default", "gm"] | None = None
    """Pins the blind index MAC (unset: follows ``crypto_suite``); changing it needs indexes recomputed."""

    @model_validator(mode="after")
    def _known_time_zone(self) -> ServiceSettings:
        if self.time_zone is not None:
            try:
                ZoneInfo(self.time_zone)
            except (ZoneInfoNotFoundError, ValueError) as exc:
                raise ValueError(f"unknown time zone {self.time_zone!r}") from exc
        return self

    @model_validator(mode="after")
    def _refuse_placeholder_secrets(self) -> ServiceSettings:
        if self.environment == "production":
            if self.encryption_keys == DEV_ENCRYPTION_KEYS or self.blind_index_key == DEV_BLIND_INDEX_KEY:
                raise ValueError("production refuses the development encryption/blind-index keys")
            if self.audit_keys == DEV_AUDIT_KEYS:
                raise ValueError("production refuses the development audit keys (set AUDIT_KEYS)")
            if not self.database_url:
                raise ValueError("production needs DATABASE_URL")
            if self.auth_dev_issuer:
                raise ValueError(
                    "production refuses the development token issuer (set AUTH_DEV_ISSUER=false)"
                )
            if not (self.auth_issuer and self.auth_jwks_url):
                raise ValueError("production needs AUTH_ISSUER and AUTH_JWKS_URL")
        return self

    @model_validator(mode="after")
    def _keep_checkpoints_six_months(self) -> ServiceSettings:
        if self.audit_checkpoint_retention_ms != -1 and self.audit_checkpoint_retention_ms < SIX_MONTHS_MS:
            raise ValueError("AUDIT_CHECKPOINT_RETENTION_MS must be -1 or at least six months (183 days)")
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

    def audit_checkpoint_topic(self) -> str:
        return f"{self.topic_prefix}.{self.service_name}.audit-checkpoints.v1"

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
