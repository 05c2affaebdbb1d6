"""Edge guards every service gets: body size, content type and JSON nesting are checked before a
request reaches a route, each refusal a problem+json (413, 415, 400) with nothing written; a query
parameter or path holding a NUL character (which PostgreSQL text cannot hold) is a 422 naming it."""

from __future__ import annotations

from urllib.parse import parse_qsl

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from shared.errors import PROBLEM_BASE, InvalidField, problem_response

JSON_TYPES = (b"application/json", b"application/problem+json", b"application/merge-patch+json")
RAW_BODY_SUFFIX = "/content"
"""A POST or PUT to a path ending so uploads a file's bytes (e.g. intake's document content): its route
streams the body and enforces its own size and media-type limits (413, 415), so the JSON guard stays out."""


def nesting_depth(body: bytes | bytearray) -> int:
    """Deepest [ or { nesting outside strings (linear scan; only run when brackets are many)."""
    depth = deepest = 0
    in_string = escaped = False
    for byte in body:
        if in_string:
            if escaped:
                escaped = False
            elif byte == 0x5C:  # backslash
                escaped = True
            elif byte == 0x22:  # quote
                in_string = False
        elif byte == 0x22:
            in_string = True
        elif byte in (0x5B, 0x7B):
            depth += 1
            deepest = max(deepest, depth)
        elif byte in (0x5D, 0x7D):
            depth -= 1
    return deepest


def nul_parameter(scope: Scope) -> str | None:
    """The name of the first query parameter (or 'path') holding a NUL character, if any."""
    if "\x00" in scope.get("path", ""):
        return "path"
    query = scope.get("query_string", b"")
    if b"%00" not in query and b"\x00" not in query:
        return None
    for name, value in parse_qsl(query.decode("latin-1"), keep_blank_values=True):
        if "\x00" in name or "\x00" in value:
            return name.replace("\x00", "") or "query"
    return None


class RequestGuard:
    def __init__(self, app: ASGIApp, *, max_body_bytes: int = 1_048_576, max_depth: int = 32) -> None:
        self.app, self.max_body_bytes, self.max_depth = app, max_body_bytes, max_depth

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        refused = nul_parameter(scope)
        if refused is not None:
            problem = InvalidField(refused, "must not contain a NUL character")
            await problem_response(422, problem.body(scope.get("path", "")))(scope, receive, send)
            return
        if scope["method"] not in ("POST", "PUT", "PATCH") or (
            scope["method"] != "PATCH" and scope.get("path", "").endswith(RAW_BODY_SUFFIX)
        ):
            await self.app(scope, receive, send)
            return
        headers = dict(scope["headers"])
        declared = headers.get(b"content-length", b"0")
        if declared.isdigit() and int(declared) > self.max_body_bytes:
            await self._refuse(
                scope,
                receive,
                send,
                413,
                "Content too large",
                f"request bodies are limited to {self.max_body_bytes} bytes",
            )
            return
        body = bytearray()
        more = True
        while more:
            message = await receive()
            if message["type"] == "http.disconnect":
                return
            body += message.get("body", b"")
            more = message.get("more_body", False)
            if len(body) > self.max_body_bytes:
                await self._refuse(
                    scope,
                    receive,
                    send,
                    413,
                    "Content too large",
                    f"request bodies are limited to {self.max_body_bytes} bytes",
                )
                return
        content_type = headers.get(b"content-type", b"").split(b";")[0].strip().lower()
        if body and content_type not in JSON_TYPES and not content_type.endswith(b"+json"):
            await self._refuse(
                scope,
                receive,
                send,
                415,
                "Unsupported media type",
                "send the request body as application/json",
            )
            return
        if body.count(b"[") + body.count(b"{") > self.max_depth and nesting_depth(body) > self.max_depth:
            await self._refuse(
                scope, receive, send, 400, "Bad request", f"JSON nested deeper than {self.max_depth} levels"
            )
            return
        delivered = False

        async def replay() -> Message:
            nonlocal delivered
            if not delivered:
                delivered = True
                return {"type": "http.request", "body": bytes(body), "more_body": False}
            return await receive()

        await self.app(scope, replay, send)

    @staticmethod
    async def _refuse(
        scope: Scope, receive: Receive, send: Send, status: int, title: str, detail: str
    ) -> None:
        slug = {413: "content-too-large", 415: "unsupported-media-type", 400: "malformed-request"}[status]
        response = problem_response(
            status,
            {
                "type": PROBLEM_BASE + slug,
                "title": title,
                "status": status,
                "detail": detail,
                "instance": scope.get("path", ""),
            },
        )
        await response(scope, receive, send)
