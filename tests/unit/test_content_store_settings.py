"""R-ARC-1, safe by default: production never keeps documents' content in the filesystem store by accident.
Intake refuses to start (a settings error naming the setting) until ``INTAKE_CONTENT_STORE`` is set; the
filesystem store only by explicit choice on an absolute directory, the S3 store only with its endpoint,
bucket and keys. Development and test keep the filesystem default."""

from __future__ import annotations

import base64
import os

import pytest
from pydantic import ValidationError

from services.intake.settings import IntakeSettings


def _key(kid: str) -> str:
    return f"{kid}:{base64.b64encode(os.urandom(32)).decode()}"


PRODUCTION: dict[str, object] = {
    "environment": "production",
    "database_url": "postgresql+asyncpg://intake_app@db/assistance",
    "encryption_keys": _key("e1"),
    "blind_index_key": base64.b64encode(os.urandom(32)).decode(),
    "audit_keys": _key("a1"),
    "auth_dev_issuer": False,
    "auth_issuer": "https://idp.example",
    "auth_jwks_url": "https://idp.example/jwks",
}
S3: dict[str, object] = {
    "s3_endpoint": "https://oss.example",
    "s3_bucket": "archive",
    "s3_access_key_id": "AKID",
    "s3_secret_access_key": "secret",
}


@pytest.fixture(autouse=True)
def _no_content_store_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in list(os.environ):
        if name.startswith(("INTAKE_CONTENT", "INTAKE_S3", "ASSISTANCE_CONTENT", "ASSISTANCE_S3")):
            monkeypatch.delenv(name)


def test_production_refuses_to_start_with_the_default_filesystem_content_store() -> None:
    with pytest.raises(ValidationError, match="INTAKE_CONTENT_STORE"):
        IntakeSettings(**PRODUCTION)


def test_production_takes_the_filesystem_store_only_explicitly_and_on_an_absolute_directory() -> None:
    with pytest.raises(ValidationError, match="INTAKE_CONTENT_DIR"):
        IntakeSettings(**PRODUCTION, content_store="filesystem")  # the relative default .run/documents
    chosen = IntakeSettings(**PRODUCTION, content_store="filesystem", content_dir="/var/lib/assistance/docs")
    assert chosen.content_store_kind == "filesystem"


def test_production_with_the_s3_store_needs_its_endpoint_bucket_and_keys() -> None:
    for missing in S3:
        partial = {k: v for k, v in S3.items() if k != missing}
        with pytest.raises(ValidationError, match="INTAKE_S3_"):
            IntakeSettings(**PRODUCTION, content_store="s3", **partial)
    assert IntakeSettings(**PRODUCTION, content_store="s3", **S3).content_store_kind == "s3"


def test_production_reads_the_choice_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("INTAKE_CONTENT_STORE", "s3")
    for name, value in S3.items():
        monkeypatch.setenv(f"INTAKE_{name.upper()}", str(value))
    assert IntakeSettings(**PRODUCTION).content_store_kind == "s3"


@pytest.mark.parametrize("environment", ["development", "test"])
def test_development_and_test_keep_the_filesystem_default(environment: str) -> None:
    settings = IntakeSettings(environment=environment)
    assert settings.content_store is None and settings.content_store_kind == "filesystem"
