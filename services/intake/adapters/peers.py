"""The other services, as intake's person export asks them (PIPL art. 45): ``POST /<service>/v1/person-data``
with the caller's own token, so each service checks the role and jurisdiction itself and writes its own
audit entry. The person's ID number travels in the body only.

Where a service is: its base URL from ``IntakeSettings.peer_urls`` (distributed), else this very process
when it mounts that service too (standalone: the same HTTP request, over an in-process ASGI transport).
Each call runs in a task of its own, so the callee's request context (its audit record, its caller) never
mixes with the export's."""

from __future__ import annotations

import asyncio
from typing import Any

import httpx
from fastapi import Request

from services.intake.settings import IntakeSettings
from shared.person_data import PersonDataIn

PEERS = ("assessment", "approval", "disbursement", "referral", "household")


class PeerUnavailable(Exception):
    """A service could not answer for its part of the export (not configured, unreachable, or an error)."""

    def __init__(self, service: str, why: str) -> None:
        super().__init__(f"{service}: {why}")
        self.service, self.why = service, why


def _transport(
    request: Request, settings: IntakeSettings, service: str
) -> tuple[httpx.AsyncBaseTransport | None, str]:
    url = settings.peer_urls.get(service)  # type: ignore[call-overload]
    if url:
        return None, url.rstrip("/")
    if service in getattr(request.app.state, "runtimes", {}):
        return httpx.ASGITransport(app=request.app), "http://in-process"
    raise PeerUnavailable(
        service, "no base URL configured (INTAKE_PEER_URLS) and not mounted in this process"
    )


async def _ask(
    request: Request, settings: IntakeSettings, service: str, path: str, body: PersonDataIn
) -> Any:
    transport, base = _transport(request, settings, service)
    headers = {"Authorization": request.headers.get("authorization", "")}
    if "traceparent" in request.headers:
        headers["traceparent"] = request.headers["traceparent"]
    try:
        async with httpx.AsyncClient(
            transport=transport, base_url=base, timeout=settings.peer_timeout_seconds, follow_redirects=False
        ) as client:
            answer = await client.post(f"/{service}/v1/{path}", json=body.model_dump(), headers=headers)
    except httpx.HTTPError as exc:
        raise PeerUnavailable(service, type(exc).__name__) from None
    if answer.status_code != 200:
        raise PeerUnavailable(service, f"answered {answer.status_code}")
    return answer.json()


async def ask_all(request: Request, settings: IntakeSettings, body: PersonDataIn) -> list[dict[str, Any]]:
    """Every other service's section, in ``PEERS`` order; the first failure is raised (no partial export)."""
    tasks = [asyncio.create_task(_ask(request, settings, s, "person-data", body)) for s in PEERS]
    try:
        return list(await asyncio.gather(*tasks))
    finally:
        for task in tasks:
            task.cancel()


async def ask_recipients(
    request: Request, settings: IntakeSettings, body: PersonDataIn
) -> list[dict[str, Any]]:
    """Referral's recipients list for these cases."""
    found: list[dict[str, Any]] = await asyncio.create_task(
        _ask(request, settings, "referral", "person-data/recipients", body)
    )
    return found
