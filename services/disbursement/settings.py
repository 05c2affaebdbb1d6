from typing import Literal

from pydantic import SecretStr
from pydantic_settings import SettingsConfigDict

from shared.settings import ServiceSettings

HandOff = Literal["https", "sftp"]


class DisbursementSettings(ServiceSettings):
    model_config = SettingsConfigDict(env_prefix="DISBURSEMENT_", extra="ignore")
    service_name: str = "disbursement"
    bank_handoff: HandOff = "https"
    """How released batch files go to the bank: ``https`` (PUT to ``bank_upload_url``) or ``sftp``."""
    bank_handoff_counties: dict[str, HandOff] = {}
    """Per county (code → ``https``/``sftp``, JSON in the environment) where its bank differs from
    ``bank_handoff``."""
    bank_upload_url: str | None = None
    """The bank's batch-file endpoint (HTTPS); released batches are PUT to ``<url>/<batch_no>``."""
    bank_upload_token: SecretStr | None = None
    bank_ca_file: str | None = None
    """A CA bundle to verify the bank's certificate with (default: the system's)."""
    bank_timeout_seconds: float = 30.0
    bank_sftp_host: str | None = None
    """The bank's SFTP server (the batch files go into ``bank_sftp_inbox_dir``, return files are read
    from ``bank_sftp_outbox_dir``)."""
    bank_sftp_port: int = 22
    bank_sftp_user: str | None = None
    bank_sftp_host_key_fingerprints: str | None = None
    """The server's host key, pinned: comma list of ``SHA256:…`` fingerprints (``ssh-keygen -lf``); a
    server showing any other key is refused. No fingerprint: no SFTP hand-off at all."""
    bank_sftp_key_file: str | None = None
    """Path of the client's private key (OpenSSH/PEM; mounted from a Secret). Key auth only."""
    bank_sftp_key_passphrase: SecretStr | None = None
    bank_sftp_inbox_dir: str = "inbox"
    bank_sftp_outbox_dir: str = "outbox"
    bank_sftp_poll_seconds: float = 0.0
    """Seconds between fetches of return files from the outbox; 0 (default): only on request."""
