"""Notice sender (background task): renders each queued notice from the county's template in effect, and
sends it through the SMS sender — never without a phone on file, never to a household that opted out.
The phone is decrypted only here, only to send; it is never logged. Failures retry with exponential
backoff up to ``sms_max_attempts``; each attempt's outcome is recorded on the notice."""

from __future__ import annotations

import asyncio
import logging
from datetime import timedelta
from typing import Any

import httpx

from services.household import repository as repo
from services.household.adapters.sms import HttpSmsGateway, SendResult, SmsSender
from services.household.domain.model import Case, Notice, NoticeStatus
from services.household.service import render_sms
from services.household.settings import settings_of
from shared import clock
from shared.contracts.intake import CONTACT_SEAL_CONTEXT
from shared.runtime import IdleBackoff, Runtime
from shared.webhooks import backoff

log = logging.getLogger("assistance.household.notices")
BATCH = 20


async def _attempt(
    runtime: Runtime, sender: SmsSender | None, notice: Notice, case: Case | None
) -> dict[str, Any]:
    """The notice's new columns after one attempt (or after finding it cannot be sent)."""
    s = settings_of(runtime)
    if case is None or not case.case_no:
        return {"next_attempt_at": clock.now() + timedelta(seconds=s.sms_backoff_seconds)}
    text, version = render_sms(s, case, notice)
    values: dict[str, Any] = {"sms_text": text, "template_version": version}
    if not case.contact_sealed:
        return {**values, "status": NoticeStatus.no_phone.value}
    if case.sms_opt_out:
        return {**values, "status": NoticeStatus.opted_out.value}
    if sender is None:  # no gateway configured: the notice waits, recorded
        return {**values, "next_attempt_at": clock.now() + timedelta(seconds=60)}
    phone = runtime.cipher.decrypt(case.contact_sealed, context=CONTACT_SEAL_CONTEXT)
    result: SendResult = await sender.send(notice.id, phone, text)
    attempts = notice.attempts + 1
    values.update(attempts=attempts, last_error=result.error)
    now = clock.now()
    if result.ok:
        values.update(status=NoticeStatus.sent.value, sent_at=now, gateway_id=result.gateway_id)
    elif not result.retry or attempts >= s.sms_max_attempts:
        values["status"] = NoticeStatus.failed.value
    else:
        delay = backoff(attempts, s.sms_backoff_seconds, s.sms_backoff_max_seconds)
        values["next_attempt_at"] = now + timedelta(seconds=delay)
    return values


async def send_once(runtime: Runtime, sender: SmsSender | None) -> int:
    """One batch: claimed with the cases' rows in one transaction, sent outside any transaction, and every
    outcome recorded in one more (two transactions a batch, not one a notice and one more to claim). A
    crash before the record leaves the notices leased, then sent again under the same ``message_id``,
    which the gateway sends once (adapters/sms.py)."""
    s = settings_of(runtime)
    async with runtime.transaction() as session:
        due = await repo.claim_due_notices(
            session, BATCH, clock.now(), lease=s.sms_gateway_timeout_seconds * 2 + 5
        )
        cases = {n.case_id: await repo.get_case(session, n.case_id) for n in due}
    outcomes: list[tuple[Notice, dict[str, Any]]] = []
    try:
        for notice in due:
            outcomes.append((notice, await _attempt(runtime, sender, notice, cases[notice.case_id])))
    finally:  # what was attempted is recorded even if a later attempt raised
        if outcomes:
            async with runtime.transaction() as session:
                for notice, values in outcomes:
                    await repo.update_notice(session, notice.id, values)
    for notice, values in outcomes:
        log.info(
            "notice attempt",
            extra={
                "notice_id": notice.id,
                "case_id": notice.case_id,
                "kind": notice.kind,
                "outcome": values.get("status", "retry"),
                "error": values.get("last_error"),
            },
        )
    return len(due)


async def send_notices(runtime: Runtime) -> None:
    """Background task (ServiceModule.background)."""
    s = settings_of(runtime)
    async with httpx.AsyncClient(
        timeout=s.sms_gateway_timeout_seconds, follow_redirects=False, trust_env=False
    ) as client:
        sender: SmsSender | None = None
        if s.sms_gateway_url and s.sms_gateway_key:
            sender = HttpSmsGateway(client, s.sms_gateway_url, s.sms_gateway_key, s.sms_sign_name)
        idle = IdleBackoff(runtime.watch(), s.sms_poll_interval_seconds)
        while True:
            idle.looking()
            try:
                sent = await send_once(runtime, sender)
            except asyncio.CancelledError:
                raise
            except Exception as exc:  # keep sending after database outages
                log.warning("notice sending failed; retrying", extra={"error": type(exc).__name__})
                sent = 0
            if sent < BATCH:
                await idle.rest(sent)
