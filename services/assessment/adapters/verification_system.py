"""Client of the city's verification system (核对, R-CAT-3) and source registry (R-CAT-4), as specified in
docs/verification.md: a request answered 202 with a request id, then polled (or called back).

ID numbers travel only in the request body over the wire; nothing here logs a body or an ID number."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

import httpx

from services.assessment.domain.model import VerificationKind

PATHS = {
    VerificationKind.economic: "/verification/v1/requests",
    VerificationKind.registry: "/registry/v1/status-checks",
}


class Unavailable(Exception):
    """A timeout, a connection error, a 5xx or an answer that is not the contract's: retried with backoff."""


class Refused(Exception):
    """The system refused the request itself (4xx): retrying the same request would not help."""


@dataclass(frozen=True)
class Polled:
    answered: bool
    body: dict[str, Any]


class VerificationClient:
    """Kept for many calls (service/verification.py ``Clients``): its connections stay open between calls.
    An idle connection is dropped after 2 s, before a server's keep-alive (uvicorn's default is 5 s) can
    end it under a call."""

    def __init__(self, base_url: str, token: str, timeout: float) -> None:
        self._timeout = timeout
        self._http = httpx.AsyncClient(
            base_url=base_url.rstrip("/"),
            timeout=timeout,
            headers={"Authorization": f"Bearer {token}"},
            follow_redirects=False,
            limits=httpx.Limits(keepalive_expiry=2.0),
        )

    async def aclose(self) -> None:
        await self._http.aclose()

    async def send(self, kind: VerificationKind, *, reference: str, body: dict[str, Any]) -> str:
        """POST the request (idempotent by ``reference``); the system's request id."""
        answer = await self._call("POST", PATHS[kind], json=body, headers={"Idempotency-Key": reference})
        if answer.status_code != 202:
            raise Unavailable(f"expected 202, got {answer.status_code}")
        request_id = _json(answer).get("request_id")
        if not isinstance(request_id, str) or not 1 <= len(request_id) <= 100:
            raise Unavailable("202 without a request_id")
        return request_id

    async def poll(self, kind: VerificationKind, request_id: str) -> Polled:
        answer = await self._call("GET", f"{PATHS[kind]}/{request_id}")
        if answer.status_code == 202:
            return Polled(False, {})
        if answer.status_code != 200:
            raise Unavailable(f"expected 200 or 202, got {answer.status_code}")
        return Polled(True, _json(answer))

    async def _call(self, method: str, path: str, **kw: Any) -> httpx.Response:
        try:
            answer = await self._http.request(method, path, **kw)
        except httpx.TimeoutException as exc:
            raise Unavailable(f"timed out after {self._timeout}s") from exc
        except httpx.HTTPError as exc:
            raise Unavailable(f"{type(exc).__name__}") from exc
        if answer.status_code >= 500:
            raise Unavailable(f"the system answered {answer.status_code}")
        if answer.status_code >= 400:
            raise Refused(f"the system refused the request: {answer.status_code} {_title(answer)}")
        return answer


def _json(answer: httpx.Response) -> dict[str, Any]:
    try:
        value = answer.json()
    except ValueError as exc:
        raise Unavailable("not JSON") from exc
    if not isinstance(value, dict):
        raise Unavailable("not a JSON object")
    return value


def _title(answer: httpx.Response) -> str:
    try:
        value = answer.json()
    except ValueError:
        return ""
    title = value.get("title") or value.get("error") if isinstance(value, dict) else None
    return re.sub(r"\d{6,}[\dXx]*", "…", str(title))[:200] if title else ""  # never an echoed ID number
