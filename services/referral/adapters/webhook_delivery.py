"""Webhook dispatcher (background task): sends due deliveries with Standard Webhooks signatures, retries
with exponential backoff up to ``webhook_max_attempts``, then dead-letters (redelivery on request).
The ``webhook-id`` is the CloudEvent id, the same on every attempt, so receivers deduplicate by it and
each event takes effect once however often it is sent."""

from __future__ import annotations

import asyncio
import logging
from datetime import timedelta
from typing import Any

import httpx

from services.referral import repository as repo
from services.referral.domain.model import DeliveryStatus, DueDelivery, PartnerStatus
from services.referral.settings import ReferralSettings
from shared import clock
from shared.contracts.referral import NeedsRecordWithdrawn, ReferralCancelled
from shared.runtime import IdleBackoff, Runtime
from shared.webhooks import backoff, body_of, deliver

log = logging.getLogger("assistance.referral.webhooks")
SECRET_CONTEXT = "referral.partner.webhook_secret"  # noqa: S105 - the encryption context, not a secret
"""The encryption context of partners' webhook secrets (stored encrypted, decrypted only to sign)."""
BATCH = 20
STOP_NOTICES = frozenset({NeedsRecordWithdrawn.event_type, ReferralCancelled.event_type})
"""Events telling a partner to stop work and delete a record: still sent after it is suspended (it may hold
the record); anything else to a suspended partner is cancelled."""


def sendable(row: DueDelivery) -> bool:
    if not (row.webhook_url and row.webhook_secret):
        return False
    return row.partner_status is PartnerStatus.active or row.envelope.get("type") in STOP_NOTICES


async def _send(
    runtime: Runtime, client: httpx.AsyncClient, row: DueDelivery
) -> tuple[int | None, str | None]:
    """(HTTP status, error) of one attempt (``shared.webhooks.deliver``); never raises."""
    s: ReferralSettings = runtime.settings  # type: ignore[assignment]
    url, stored = row.webhook_url, row.webhook_secret
    if url is None or stored is None:  # not sendable: never sent
        return None, "no webhook"
    return await deliver(
        client,
        url,
        secret=lambda: runtime.cipher.decrypt(stored, context=SECRET_CONTEXT),
        msg_id=row.event_id,
        body=body_of(row.envelope),
        allow_loopback_http=s.webhook_allow_loopback_http,
        refused_hosts=s.webhook_refused_hosts,
    )


async def dispatch_once(runtime: Runtime, client: httpx.AsyncClient) -> int:
    s: ReferralSettings = runtime.settings  # type: ignore[assignment]
    async with runtime.transaction() as session:
        rows = await repo.claim_due(session, BATCH, lease_seconds=s.webhook_timeout_seconds * 2 + 5)
    if not rows:
        return 0
    to_send = [r for r in rows if sendable(r)]
    results = await asyncio.gather(*(_send(runtime, client, r) for r in to_send))
    outcome = dict(zip([r.id for r in to_send], results, strict=True))
    now = clock.now()
    async with runtime.transaction() as session:
        for row in rows:
            if row.id not in outcome:
                await repo.finish_delivery(
                    session,
                    row.id,
                    {
                        "status": DeliveryStatus.cancelled.value,
                        "last_error": "partner suspended or no webhook",
                    },
                )
                continue
            status, error = outcome[row.id]
            attempts = row.attempts + 1
            values: dict[str, Any] = {"attempts": attempts, "last_status": status, "last_error": error}
            if error is None:
                values.update(status=DeliveryStatus.delivered.value, delivered_at=now)
            elif attempts >= s.webhook_max_attempts:
                values["status"] = DeliveryStatus.dead_letter.value
            else:
                delay = backoff(attempts, s.webhook_backoff_seconds, s.webhook_backoff_max_seconds)
                values["next_attempt_at"] = now + timedelta(seconds=delay)
            await repo.finish_delivery(session, row.id, values)
            log.info(
                "webhook attempt",
                extra={
                    "delivery_id": row.id,
                    "attempt": attempts,
                    "http_status": status,
                    "outcome": values.get("status", "retry"),
                },
            )
    return len(rows)


async def dispatch_webhooks(runtime: Runtime) -> None:
    """Background task (ServiceModule.background)."""
    s: ReferralSettings = runtime.settings  # type: ignore[assignment]
    async with httpx.AsyncClient(
        timeout=s.webhook_timeout_seconds, follow_redirects=False, trust_env=False
    ) as client:
        idle = IdleBackoff(runtime.watch(), s.webhook_poll_interval_seconds)
        while True:
            idle.looking()
            try:
                sent = await dispatch_once(runtime, client)
            except asyncio.CancelledError:
                raise
            except Exception as exc:
                log.warning("webhook dispatch failed; retrying", extra={"error": repr(exc)[:300]})
                sent = 0
            if sent < BATCH:
                await idle.rest(sent)
