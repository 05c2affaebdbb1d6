from pydantic import SecretStr
from pydantic_settings import SettingsConfigDict

from shared.settings import ServiceSettings


class DisbursementSettings(ServiceSettings):
    model_config = SettingsConfigDict(env_prefix="DISBURSEMENT_", extra="ignore")
    service_name: str = "disbursement"
    bank_upload_url: str | None = None
    """The bank's batch-file endpoint (HTTPS); released batches are PUT to ``<url>/<batch_no>``."""
    bank_upload_token: SecretStr | None = None
    bank_ca_file: str | None = None
    """A CA bundle to verify the bank's certificate with (default: the system's)."""
    bank_timeout_seconds: float = 30.0
