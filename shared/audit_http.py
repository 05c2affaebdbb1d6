"""Exactly one audit entry per API request, written before the response starts (pure ASGI middleware).

Per request it opens a ``RequestAudit`` (shared/access.py) that the access checks fill in: who (anonymous
until a token or partner key is verified), the route and ids, and the object's county and township. When
the response starts: if the request's change already committed with its entry (``Runtime.transaction``),
nothing more is written; otherwise one entry is appended in a transaction of its own — ``read`` for an
answer below 400, ``refused`` for 401/403/404/409/422 (the refused change has rolled back by then),
``failed`` for a 5xx. An answer that could not be recorded is replaced by a 503: nothing is disclosed
unrecorded. Requests no access check ran for (probes, docs, public pages) are not audited.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any

from shared.access import RequestAudit, begin_request_audit
from shared.audit import Place

log = logging.getLogger("assistance.audit")
Message = MutableMapping[str, Any]
Scope = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]


def _kind(status: int) -> str:
    return "read" if status < 400 else "refused" if status < 500 else "failed"


async def record(scope: Scope, request: RequestAudit, status: int) -> bool:
    """Append the request's entry unless its change did; False if it could not be recorded."""
    if request.actor is None or request.written:
        return True
    runtimes = getattr(scope["app"].state, "runtimes", {})
    runtime = runtimes.get(scope["path"].lstrip("/").split("/", 1)[0])
    if runtime is None:
        return True
    try:
        await runtime.record_request(request.actor, _kind(status), Place(*request.place()), status)
    except Exception:  # noqa: BLE001 - the caller answers 503 instead of disclosing unrecorded
        log.error("audit entry could not be written", exc_info=True)
        return False
    request.written = True
    return True


async def _unavailable(send: Send) -> None:
    body = json.dumps(
        {
            "type": "about:blank",
            "title": "Service unavailable",
            "status": 503,
            "detail": "the request could not be recorded in the audit log; nothing was disclosed",
        }
    ).encode()
    headers = [(b"content-type", b"application/problem+json"), (b"content-length", str(len(body)).encode())]
    await send({"type": "http.response.start", "status": 503, "headers": headers})
    await send({"type": "http.response.body", "body": body})


class AuditTrail:
    """ASGI middleware: one entry per request (see the module docstring)."""

    def __init__(self, app: Callable[[Scope, Receive, Send], Awaitable[None]]) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        request = begin_request_audit()
        started, swallow = False, False

        async def send_recorded(message: Message) -> None:
            nonlocal started, swallow
            if message["type"] == "http.response.start" and not started:
                started = True
                status = int(message["status"])
                if not await record(scope, request, status) and status < 400:
                    swallow = True
                    await _unavailable(send)
                    return
            if swallow:
                return
            await send(message)

        try:
            await self.app(scope, receive, send_recorded)
        except Exception:
            if not started:
                await record(scope, request, 500)
            raise
