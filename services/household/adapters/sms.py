"""Senders of SMS notices: a small interface and the HTTP SMS-gateway client.

Gateway contract (JSON over HTTPS, documented in docs/household.md): ``POST {base}/v1/messages`` with
``{"message_id", "to", "sign_name", "text"}``; headers ``X-Timestamp`` (Unix seconds) and ``X-Signature:
sha256=<hex HMAC-SHA256(key, "{timestamp}.{body}")>``. ``message_id`` is the notice id, the same on every
attempt, so the gateway sends each notice once. Answers: 2xx ``{"id", "status"}`` accepted; 429, 5xx and
timeouts are retried with backoff; any other 4xx is a permanent failure."""

from __future__ import annotations

import hashlib
import hmac
import json
import time
from dataclasses import dataclass
from typing import Protocol

import httpx


@dataclass(frozen=True)
class SendResult:
    ok: bool
    retry: bool
    gateway_id: str | None = None
    error: str | None = None
    """A short reason without personal data (HTTP status or exception class)."""


class SmsSender(Protocol):
    async def send(self, message_id: str, to: str, text: str) -> SendResult: ...


def signature(key: str, timestamp: str, body: bytes) -> str:
    mac = hmac.new(key.encode(), timestamp.encode() + b"." + body, hashlib.sha256).hexdigest()
    return f"sha256={mac}"


class HttpSmsGateway:
    def __init__(self, client: httpx.AsyncClient, base_url: str, key: str, sign_name: str) -> None:
        self.client, self.url, self.key, self.sign_name = (
            client,
            base_url.rstrip("/") + "/v1/messages",
            key,
            sign_name,
        )

    async def send(self, message_id: str, to: str, text: str) -> SendResult:
        body = json.dumps(
            {"message_id": message_id, "to": to, "sign_name": self.sign_name, "text": text},
            ensure_ascii=False,
            separators=(",", ":"),
        ).encode()
        ts = str(int(time.time()))
        headers = {
            "content-type": "application/json",
            "x-timestamp": ts,
            "x-signature": signature(self.key, ts, body),
            "idempotency-key": message_id,
        }
        try:
            response = await self.client.post(self.url, content=body, headers=headers)
        except httpx.HTTPError as exc:
            return SendResult(ok=False, retry=True, error=type(exc).__name__)
        if response.is_success:
            try:
                gateway_id = str(response.json().get("id") or "")[:100] or None
            except ValueError:
                gateway_id = None
            return SendResult(ok=True, retry=False, gateway_id=gateway_id)
        retry = response.status_code == 429 or response.status_code >= 500
        return SendResult(ok=False, retry=retry, error=f"HTTP {response.status_code}")
