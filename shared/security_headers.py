"""Security headers on every response (a pure ASGI middleware: no buffering except the small /docs page).

- ``X-Content-Type-Options: nosniff`` and ``Referrer-Policy: no-referrer`` everywhere;
- no page of the services may be framed: ``frame-ancestors 'none'`` and ``X-Frame-Options: DENY``;
- a Content-Security-Policy per kind of response: API answers ``default-src 'none'``; the oversight page
  (/oversight/) loads only its own script, style and data; Swagger UI (/docs) loads its bundle from the CDN
  FastAPI uses, and its one inline script is allowed by hash (computed from the page served);
- ``Strict-Transport-Security`` when the request came over TLS (``https`` scheme, or
  ``X-Forwarded-Proto: https`` from the ingress that terminates TLS).

The ``server`` header is switched off where uvicorn starts (services/__main__.py: ``server_header=False``).
"""

from __future__ import annotations

import base64
import hashlib
import re
from collections.abc import Callable
from typing import Any

from starlette.datastructures import MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

SWAGGER_CDN = "https://cdn.jsdelivr.net/npm/swagger-ui-dist@5/"
"""Where FastAPI's Swagger UI page loads its bundle and style (fastapi.openapi.docs)."""
FASTAPI_FAVICON = "https://fastapi.tiangolo.com/img/favicon.png"

API_POLICY = "default-src 'none'; frame-ancestors 'none'"
OVERSIGHT_POLICY = (
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; "
    "base-uri 'none'; form-action 'none'; frame-ancestors 'none'"
)
DOCS_POLICY = (
    "default-src 'none'; script-src {scripts}; style-src " + SWAGGER_CDN + "; "
    "img-src 'self' data: " + FASTAPI_FAVICON + "; connect-src 'self'; "
    "base-uri 'none'; form-action 'none'; frame-ancestors 'none'"
)
REDOC_POLICY = "frame-ancestors 'none'"
"""ReDoc injects styles and workers at run time; it gets no framing, the rest as it needs."""

INLINE_SCRIPT = re.compile(rb"<script(?![^>]*\bsrc=)[^>]*>(.*?)</script>", re.S | re.I)


def script_hashes(html: bytes) -> list[str]:
    """CSP source expressions ('sha256-...') for each inline script of ``html``."""
    return [
        "'sha256-" + base64.b64encode(hashlib.sha256(body).digest()).decode() + "'"
        for body in INLINE_SCRIPT.findall(html)
    ]


def _policy(path: str) -> str | None:
    if path == "/oversight" or path.startswith("/oversight/"):
        return OVERSIGHT_POLICY
    if path.startswith("/docs"):
        return None  # computed from the page (its inline script's hash)
    if path.startswith("/redoc"):
        return REDOC_POLICY
    return API_POLICY


def _over_tls(scope: Scope) -> bool:
    if scope.get("scheme") == "https":
        return True
    for name, value in scope.get("headers", []):
        if name == b"x-forwarded-proto":
            return bool(value.split(b",")[0].strip().lower() == b"https")
    return False


class SecurityHeaders:
    def __init__(self, app: ASGIApp, *, hsts_max_age: int = 31_536_000) -> None:
        self.app, self.hsts_max_age = app, hsts_max_age

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        policy = _policy(scope["path"])
        hsts = self.hsts_max_age > 0 and _over_tls(scope)

        def decorate(message: Message, csp: str) -> None:
            headers = MutableHeaders(scope=message)
            headers["X-Content-Type-Options"] = "nosniff"
            headers["Referrer-Policy"] = "no-referrer"
            headers["X-Frame-Options"] = "DENY"
            headers["Content-Security-Policy"] = csp
            if hsts:
                headers["Strict-Transport-Security"] = f"max-age={self.hsts_max_age}; includeSubDomains"

        if policy is not None:

            async def send_decorated(message: Message) -> None:
                if message["type"] == "http.response.start":
                    decorate(message, policy)
                await send(message)

            await self.app(scope, receive, send_decorated)
            return
        await self._docs(scope, receive, send, decorate)

    async def _docs(self, scope: Scope, receive: Receive, send: Send, decorate: Callable[..., Any]) -> None:
        """Swagger UI: hold the (small) page until its body is complete, then allow its inline script."""
        start: Message | None = None
        body = bytearray()

        async def send_held(message: Message) -> None:
            nonlocal start
            if message["type"] == "http.response.start":
                start = message
                return
            if message["type"] != "http.response.body" or start is None:
                await send(message)
                return
            body.extend(message.get("body", b""))
            if message.get("more_body", False):
                return
            scripts = " ".join([SWAGGER_CDN, *script_hashes(bytes(body))])
            decorate(start, DOCS_POLICY.format(scripts=scripts))
            await send(start)
            await send({"type": "http.response.body", "body": bytes(body), "more_body": False})

        await self.app(scope, receive, send_held)
