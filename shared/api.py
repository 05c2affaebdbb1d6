"""Small helpers every service's router uses."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any

from fastapi import Path, Query, Request

from shared.runtime import Runtime

UUID_PATTERN = r"^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$"

CaseId = Annotated[str, Path(pattern=UUID_PATTERN, description="The case id (the intake application id)")]
"""A case id in a path: a malformed one is a 422 naming the parameter, never a database error."""

FIRST_DAY, LAST_DAY = date(2000, 1, 1), date(2100, 12, 31)
DateQuery = Annotated[date | None, Query(ge=FIRST_DAY, le=LAST_DAY)]
"""An optional date filter within the programme's range: 9999-12-31 (+1 day) or year 1 are a 422."""

PROBLEM = {"content": {"application/problem+json": {"schema": {"type": "object"}}}}
AUTH_RESPONSES: dict[int | str, dict[str, Any]] = {
    401: {"description": "No valid bearer token (problem+json)", **PROBLEM},
    403: {"description": "The caller's role or jurisdiction does not allow this (problem+json)", **PROBLEM},
    429: {"description": "Too many failed authentications: see Retry-After (problem+json)", **PROBLEM},
}
PROBLEM_RESPONSES: dict[int | str, dict[str, Any]] = {
    **AUTH_RESPONSES,
    404: {"description": "Not found (problem+json)", **PROBLEM},
    409: {"description": "Conflict or policy refusal (problem+json)", **PROBLEM},
    422: {"description": "Invalid field (problem+json naming it)", **PROBLEM},
}


def runtime_of(request: Request, service: str) -> Runtime:
    runtime: Runtime = request.app.state.runtimes[service]
    return runtime
