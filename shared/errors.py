"""RFC 9457 problem details (application/problem+json) for every error the services return.

Business errors are exception classes carrying their HTTP status; 422 is for payload validation only.
"""

from __future__ import annotations

import logging
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from sqlalchemy.exc import DBAPIError
from starlette.exceptions import HTTPException as StarletteHTTPException

from shared.domain_errors import DomainError, Kind

PROBLEM_JSON = "application/problem+json"
PROBLEM_BASE = "https://assistance.gov.example/problems/"

log = logging.getLogger("assistance.errors")


class Problem(Exception):
    """A business error with an HTTP status, a stable type URI and a human detail."""

    status: int = 400
    slug: str = "bad-request"
    title: str = "Bad request"
    headers: dict[str, str] | None = None

    def __init__(
        self,
        detail: str,
        *,
        status: int | None = None,
        slug: str | None = None,
        title: str | None = None,
        **extensions: Any,
    ) -> None:
        super().__init__(detail)
        self.detail = detail
        if status is not None:
            self.status = status
        if slug is not None:
            self.slug = slug
        if title is not None:
            self.title = title
        self.extensions = extensions

    def body(self, instance: str | None = None) -> dict[str, Any]:
        body: dict[str, Any] = {
            "type": PROBLEM_BASE + self.slug,
            "title": self.title,
            "status": self.status,
            "detail": self.detail,
        }
        if instance:
            body["instance"] = instance
        body.update(self.extensions)
        return body


class NotFound(Problem):
    status, slug, title = 404, "not-found", "Not found"


class Conflict(Problem):
    status, slug, title = 409, "conflict", "Conflict"


class Forbidden(Problem):
    status, slug, title = 403, "forbidden", "Forbidden"


class Unauthorized(Problem):
    status, slug, title = 401, "unauthorized", "Unauthorized"
    headers = {"WWW-Authenticate": 'Bearer realm="assistance"'}  # RFC 6750


class TooManyRequests(Problem):
    """Locked out after repeated failed authentication: 429 with ``Retry-After`` (RFC 9110 section 10.2.3)."""

    status, slug, title = 429, "too-many-requests", "Too many requests"

    def __init__(self, detail: str, *, retry_after: int) -> None:
        super().__init__(detail, retry_after=retry_after)
        self.headers = {"Retry-After": str(retry_after)}


class InvalidField(Problem):
    """A payload that is well-formed but breaks a rule on one field: 422 naming the field."""

    status, slug, title = 422, "validation-error", "Request validation failed"

    def __init__(self, field: str, message: str) -> None:
        super().__init__(f"{field}: {message}", errors=[{"field": field, "message": message}])


class BusinessRuleViolated(Problem):
    """The request is valid but the policy refuses it (e.g. a repeat application)."""

    status, slug, title = 409, "rule-violated", "Refused by a policy rule"


def is_data_error(exc: BaseException) -> bool:
    """An invalid value, as PostgreSQL (SQLSTATE class 22) or asyncpg's argument encoding reports it."""
    seen: BaseException | None = exc
    for _ in range(8):  # SQLAlchemy wraps the driver's exception in an adapter's
        if seen is None:
            return False
        if str(getattr(seen, "sqlstate", "")).startswith("22"):  # asyncpg's DataError included
            return True
        seen = getattr(seen, "orig", None) or seen.__cause__
    return False


def problem_response(
    status: int, body: dict[str, Any], headers: dict[str, str] | None = None
) -> JSONResponse:
    return JSONResponse(body, status_code=status, media_type=PROBLEM_JSON, headers=headers)


def field_path(loc: tuple[Any, ...] | list[Any]) -> str:
    """('body', 'household', 0, 'id_number') -> 'household[0].id_number'."""
    parts = [p for p in loc if p not in ("body",)]
    out = ""
    for part in parts:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            out += ("." if out else "") + str(part)
    return out or "body"


STATUS_OF_KIND: dict[Kind, int] = {
    Kind.NOT_FOUND: 404,
    Kind.REFUSED: 409,
    Kind.INVALID: 422,
    Kind.FORBIDDEN: 403,
}
"""The one place a domain error becomes an HTTP status (shared/domain_errors.py)."""


def problem_of(exc: DomainError) -> Problem:
    """The problem+json answer of a domain error raised in domain or service code."""
    return Problem(
        exc.detail, status=STATUS_OF_KIND[exc.kind], slug=exc.slug, title=exc.title, **exc.extensions
    )


def install_problem_handlers(app: FastAPI) -> None:
    @app.exception_handler(Problem)
    async def _problem(request: Request, exc: Problem) -> JSONResponse:
        return problem_response(exc.status, exc.body(request.url.path), exc.headers)

    @app.exception_handler(DomainError)
    async def _domain(request: Request, exc: DomainError) -> JSONResponse:
        problem = problem_of(exc)
        return problem_response(problem.status, problem.body(request.url.path))

    @app.exception_handler(RequestValidationError)
    async def _validation(request: Request, exc: RequestValidationError) -> JSONResponse:
        errors = [
            {"field": field_path(e.get("loc", ())), "message": e.get("msg", ""), "type": e.get("type")}
            for e in exc.errors()
        ]
        fields = ", ".join(dict.fromkeys(e["field"] for e in errors))
        problem = Problem(
            f"invalid fields: {fields}",
            status=422,
            slug=InvalidField.slug,
            title=InvalidField.title,
            errors=errors,
        )
        return problem_response(422, problem.body(request.url.path))

    @app.exception_handler(StarletteHTTPException)
    async def _http(request: Request, exc: StarletteHTTPException) -> JSONResponse:
        titles = {
            404: "Not found",
            405: "Method not allowed",
            413: "Content too large",
            415: "Unsupported media type",
            401: "Unauthorized",
            403: "Forbidden",
        }
        body = {
            "type": "about:blank",
            "title": titles.get(exc.status_code, "HTTP error"),
            "status": exc.status_code,
            "detail": str(exc.detail),
            "instance": request.url.path,
        }
        return problem_response(exc.status_code, body, getattr(exc, "headers", None))

    @app.exception_handler(DBAPIError)
    async def _database(request: Request, exc: Exception) -> JSONResponse:
        if not is_data_error(exc):
            return await _unexpected(request, exc)
        # The last line of defence: a value the database cannot take (NUL in text, out-of-range number,
        # malformed UUID) is the caller's error. Parameters are validated before this (shared/api.py,
        # shared/guards.py); reaching here is logged so the missing validation gets added.
        log.warning("database refused a value", extra={"path": request.url.path})
        problem = Problem(
            "a parameter or field has a value that cannot be stored or compared (e.g. NUL, out of range)",
            status=422,
            slug=InvalidField.slug,
            title=InvalidField.title,
            errors=[{"field": "request", "message": "value refused by the database"}],
        )
        return problem_response(422, problem.body(request.url.path))

    @app.exception_handler(Exception)
    async def _unexpected(request: Request, exc: Exception) -> JSONResponse:
        log.exception("unhandled error", extra={"path": request.url.path})
        body = {
            "type": PROBLEM_BASE + "internal",
            "title": "Internal error",
            "status": 500,
            "detail": "an unexpected error occurred; it has been logged",
            "instance": request.url.path,
        }
        return problem_response(500, body)
