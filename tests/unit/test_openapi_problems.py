"""Every error answer of every service is RFC 9457 problem+json, and the OpenAPI document says so: a client
generated from it must expect application/problem+json for each 4xx and 5xx it lists."""

from __future__ import annotations

from typing import Any

import shared.contracts  # noqa: F401 - event types
from services.registry import all_modules
from shared.app import build_app


def _spec() -> dict[str, Any]:
    modules = all_modules()
    return build_app(
        modules, overrides={m.name: {"database_url": "postgresql+asyncpg://unused/x"} for m in modules}
    ).openapi()


def test_every_error_response_documents_problem_json() -> None:
    lacking = [
        f"{method.upper()} {path} {code}"
        for path, operations in _spec()["paths"].items()
        for method, operation in operations.items()
        for code, answer in operation["responses"].items()
        if code[:1] in ("4", "5") and "application/problem+json" not in answer.get("content", {})
    ]
    assert lacking == []


def test_routes_own_words_are_kept() -> None:
    """Filling in the content keeps what a route says about its own refusals."""
    handover = _spec()["paths"]["/disbursement/v1/payments/{payment_id}/handover"]["post"]["responses"]
    assert "R-AID-2" in handover["409"]["description"]
    assert "application/problem+json" in handover["409"]["content"]


def test_success_responses_are_untouched() -> None:
    letter = _spec()["paths"]["/household/v1/notices/{notice_id}/letter"]
    assert "application/problem+json" not in letter["get"]["responses"]["200"].get("content", {})
