"""Small helpers every service's router uses."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import Path, Request

from shared.runtime import Runtime

UUID_PATTERN = r"^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$"

CaseId = Annotated[str, Path(pattern=UUID_PATTERN, description="The case id (the intake application id)")]
"""A case id in a path: a malformed one is a 422 naming the parameter, never a database error."""

_PROBLEM = {"content": {"application/problem+json": {"schema": {"type": "object"}}}}
AUTH_RESPONSES: dict[int | str, dict[str, Any]] = {
    401: {"description": "No valid bearer token (problem+json)", **_PROBLEM},
    403: {"description": "The caller's role or jurisdiction does not allow this (problem+json)", **_PROBLEM},
}
PROBLEM_RESPONSES: dict[int | str, dict[str, Any]] = {
    **AUTH_RESPONSES,
    404: {"description": "Not found (problem+json)", **_PROBLEM},
    409: {"description": "Conflict or policy refusal (problem+json)", **_PROBLEM},
    422: {"description": "Invalid field (problem+json naming it)", **_PROBLEM},
}


def runtime_of(request: Request, service: str) -> Runtime:
    runtime: Runtime = request.app.state.runtimes[service]
    return runtime
