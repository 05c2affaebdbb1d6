"""Status pushes to subscribed government systems (办件状态推送) by Standard Webhooks, signed like referral's
partner webhooks (``shared/webhooks.py``): the ``webhook-id`` is the CloudEvent id, the
same on every attempt; failures retry with exponential backoff, then are dead-lettered.

Every attempt checks the receiver again (SSRF, DNS rebinding): the URL as at registration, then the
addresses its name resolves to just now (``shared.webhooks.delivery_problem``); the connection goes to the
address that was checked (no second lookup), with the registered host as ``Host`` and TLS server name. A
refused attempt sends nothing and is recorded as a failed attempt."""

from __future__ import annotations

import asyncio
import logging
from datetime import timedelta
from typing import Any

import httpx

from services.household import repository as repo
from services.household.domain.model import DeliveryStatus, DueDelivery
from services.household.settings import settings_of
from shared import clock
from shared.runtime import IdleBackoff, Runtime
from shared.webhooks import backoff, body_of, deliver

log = logging.getLogger("assistance.household.webhooks")
BATCH = 20
SECRET_CONTEXT = "household.subscriber.secret"  # noqa: S105 - encryption context, not a secret


async def _send(
    runtime: Runtime, client: httpx.AsyncClient, due: DueDelivery
) -> tuple[int | None, str | None]:
    """(HTTP status, error) of one attempt (``shared.webhooks.deliver``); never raises."""
    s = settings_of(runtime)
    return await deliver(
        client,
        due.url,
        secret=lambda: runtime.cipher.decrypt(due.secret, context=SECRET_CONTEXT),
        msg_id=due.delivery.event_id,
        body=body_of(due.delivery.envelope),
        allow_loopback_http=s.loopback_receivers_allowed,
        refused_hosts=s.webhook_refused_hosts,
    )


async def dispatch_once(runtime: Runtime, client: httpx.AsyncClient) -> int:
    s = settings_of(runtime)
    async with runtime.transaction() as session:
        due = await repo.claim_due_deliveries(
            session, BATCH, clock.now(), lease=s.webhook_timeout_seconds * 2 + 5
        )
    if not due:
        return 0
    results = await asyncio.gather(*(_send(runtime, client, d) for d in due))
    now = clock.now()
    async with runtime.transaction() as session:
        for item, (status, error) in zip(due, results, strict=True):
            delivery = item.delivery
            attempts = delivery.attempts + 1
            values: dict[str, Any] = {"attempts": attempts, "last_status": status, "last_error": error}
            if error is None:
                values.update(status=DeliveryStatus.delivered.value, delivered_at=now)
            elif attempts >= s.webhook_max_attempts or not item.active:
                values["status"] = DeliveryStatus.dead_letter.value
            else:
                delay = backoff(attempts, s.webhook_backoff_seconds, s.webhook_backoff_max_seconds)
                values["next_attempt_at"] = now + timedelta(seconds=delay)
            await repo.finish_delivery(session, delivery.id, values)
            log.info(
                "status webhook attempt",
                extra={"delivery_id": delivery.id, "attempt": attempts, "http_status": status},
            )
    return len(due)


async def dispatch_webhooks(runtime: Runtime) -> None:
    """Background task (ServiceModule.background)."""
    s = settings_of(runtime)
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
            except Exception as exc:  # keep dispatching after database outages
                log.warning("status webhook dispatch failed; retrying", extra={"error": type(exc).__name__})
                sent = 0
            if sent < BATCH:
                await idle.rest(sent)
