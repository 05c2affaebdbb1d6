"""The hand-off of a released batch file to the bank: an interface (``BankHandOff``), its HTTPS upload
client and its SFTP one (adapters/bank_sftp.py), chosen per county (``bank_handoff`` and
``bank_handoff_counties`` settings; HTTPS unless configured otherwise). Over HTTPS the file is PUT to
``<bank_upload_url>/<batch_no>`` with its SHA-256; the bank answers 2xx once it has checked the control
totals and the checksum, and answers the same again for the same file (so a re-send after a lost answer
is harmless). The file's content is never logged."""

from __future__ import annotations

import ssl
from dataclasses import dataclass
from typing import Protocol

import httpx

from services.disbursement.adapters.bank_sftp import SftpUpload
from services.disbursement.settings import DisbursementSettings, HandOff


@dataclass(frozen=True)
class Delivery:
    delivered: bool
    detail: str | None = None
    """Why not: the bank's status and its (truncated) answer, or the transport error."""


class BankHandOff(Protocol):
    async def deliver(self, batch_no: str, content: bytes, sha256: str) -> Delivery: ...


class HttpsUpload:
    def __init__(self, settings: DisbursementSettings) -> None:
        if not settings.bank_upload_url:
            raise ValueError("no bank endpoint configured (DISBURSEMENT_BANK_UPLOAD_URL)")
        if not settings.bank_upload_url.startswith("https://"):
            raise ValueError("the bank endpoint must be https://")
        self.url = settings.bank_upload_url.rstrip("/")
        self.token = settings.bank_upload_token.get_secret_value() if settings.bank_upload_token else None
        self.verify: ssl.SSLContext | bool = (
            ssl.create_default_context(cafile=settings.bank_ca_file) if settings.bank_ca_file else True
        )
        self.timeout = settings.bank_timeout_seconds

    async def deliver(self, batch_no: str, content: bytes, sha256: str) -> Delivery:
        headers = {"content-type": "text/plain; charset=GBK", "x-content-sha256": sha256}
        if self.token:
            headers["authorization"] = f"Bearer {self.token}"
        try:
            async with httpx.AsyncClient(verify=self.verify, timeout=self.timeout) as client:
                answer = await client.put(f"{self.url}/{batch_no}", content=content, headers=headers)
        except httpx.HTTPError as exc:
            return Delivery(False, f"{type(exc).__name__}: {str(exc)[:200]}")
        if answer.is_success:
            return Delivery(True)
        return Delivery(False, f"bank answered {answer.status_code}: {answer.text[:200]}")


class SftpHandOff:
    def __init__(self, settings: DisbursementSettings) -> None:
        self.client = SftpUpload(settings)

    async def deliver(self, batch_no: str, content: bytes, sha256: str) -> Delivery:
        outcome = await self.client.upload(batch_no, content, sha256)
        return Delivery(outcome.delivered, outcome.detail)


def channel_of(settings: DisbursementSettings, county_code: str) -> HandOff:
    return settings.bank_handoff_counties.get(county_code, settings.bank_handoff)


def hand_off(settings: DisbursementSettings, county_code: str) -> BankHandOff:
    """The county's channel; a ValueError naming what is missing from its configuration."""
    if channel_of(settings, county_code) == "sftp":
        return SftpHandOff(settings)
    return HttpsUpload(settings)
