from __future__ import annotations

from typing import Annotated, Literal

from pydantic import Field, SecretStr, model_validator
from pydantic_settings import SettingsConfigDict

from shared.settings import ServiceSettings

HttpBase = Annotated[str, Field(pattern=r"^https?://[^\s/]+(/[^\s]*)?$", max_length=300)]


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

    document_max_bytes: int = Field(default=20 * 1024 * 1024, ge=1, le=1024 * 1024 * 1024)
    """R-ARC-1: the largest document content accepted (larger: 413)."""
    document_media_types: frozenset[str] = Field(
        default=frozenset({"application/pdf", "image/jpeg", "image/png"}), min_length=1
    )
    """R-ARC-1: the media types a document's content may have (others: 415)."""
    document_scanner: str = "services.intake.adapters.scanner:MagicBytesScanner"
    """The upload scanning hook (``module:Class``); the default checks magic bytes against the declared
    type (a mismatch: 422)."""
    content_store: Literal["filesystem", "s3"] | None = None
    """Where documents' content is kept, always encrypted: a directory (standalone) or an S3-compatible
    object store (production). Unset: the filesystem in development and test; production refuses to start
    until it is set (``INTAKE_CONTENT_STORE=s3``, or ``filesystem`` as an explicit choice with an absolute
    ``INTAKE_CONTENT_DIR`` on a durable volume). See ``content_store_kind``."""
    content_dir: str = ".run/documents"
    """The filesystem store's directory."""
    s3_endpoint: str | None = Field(default=None, pattern=r"^https?://[^\s/]+$")
    s3_bucket: str | None = None
    s3_region: str = "cn-north-1"
    s3_access_key_id: str | None = None
    s3_secret_access_key: SecretStr | None = None

    peer_urls: dict[Literal["assessment", "approval", "disbursement", "referral", "household"], HttpBase] = {}
    """Base URLs of the other services for a person's export (``INTAKE_PEER_URLS``, JSON, e.g.
    ``{"approval": "http://approval:8000"}``); a service not named here is called inside this process when
    it is mounted here (standalone), else the export answers 502 naming it (PIPL art. 45)."""
    peer_timeout_seconds: float = Field(default=10.0, gt=0, le=120)
    """How long the export waits for each other service."""

    @property
    def content_store_kind(self) -> Literal["filesystem", "s3"]:
        """The store in use: the configured one, else the filesystem (never in production, see below)."""
        return self.content_store or "filesystem"

    @model_validator(mode="after")
    def _no_implicit_filesystem_store_in_production(self) -> IntakeSettings:
        """Safe by default (R-ARC-1): a production deployment names its content store; the filesystem one
        only by explicit choice and on an absolute path, and the S3 one with its endpoint, bucket and keys."""
        if self.environment != "production":
            return self
        if self.content_store is None:
            raise ValueError(
                "production refuses the default content store: set INTAKE_CONTENT_STORE (s3, or filesystem "
                "explicitly with an absolute INTAKE_CONTENT_DIR)"
            )
        if self.content_store == "filesystem" and not self.content_dir.startswith("/"):
            raise ValueError(
                "production refuses INTAKE_CONTENT_STORE=filesystem with a relative INTAKE_CONTENT_DIR "
                f"({self.content_dir!r}): give the absolute path of a durable volume"
            )
        if self.content_store == "s3" and not (
            self.s3_endpoint and self.s3_bucket and self.s3_access_key_id and self.s3_secret_access_key
        ):
            raise ValueError(
                "production with INTAKE_CONTENT_STORE=s3 needs INTAKE_S3_ENDPOINT, INTAKE_S3_BUCKET, "
                "INTAKE_S3_ACCESS_KEY_ID and INTAKE_S3_SECRET_ACCESS_KEY"
            )
        return self
