"""The role × endpoint × jurisdiction matrix, generated from the OpenAPI document (issue 13, Proof): every
path with an id of an object that has a place (a case, an application, a payment, a payee change) × every
role × five scopes — own township, another township of the county, another county, county staff, city
staff. A role the endpoint does not admit is a 403 in every scope; a role it admits gets 403/404 from the
scopes that do not cover the object and never 403 from those that do. A new endpoint is in the matrix
without anyone adding it here: its path parameter names it."""

from __future__ import annotations

import re
import uuid
from typing import Any

import pytest

from tests.factories import (
    ALL_STAFF,
    address,
    application,
    auth,
    document_body,
    eventually,
    pending_case,
    resident_id,
    review,
)

A_COUNTY, A_TOWNSHIP = "140302", "140302001"  # 城区 上站街道: where every object of the matrix is
A_OTHER_TOWNSHIP = "140302002"  # 城区 下站街道
B_COUNTY, B_TOWNSHIP = "140303", "140303001"  # 矿区
ROLES = [*ALL_STAFF, "partner", "gov_system"]
SCOPES: dict[str, dict[str, str]] = {
    "own township": {"township": A_TOWNSHIP},
    "another township of the county": {"township": A_OTHER_TOWNSHIP},
    "another county": {"township": B_TOWNSHIP},
    "county staff": {"county": A_COUNTY},
    "city staff": {},
}
COVERING = {"own township", "county staff", "city staff"}

PLACED = {
    "case_id": "case",
    "application_id": "case",
    "payment_id": "payment",
    "change_id": "change",
    "lead_id": "lead",
}
"""Path parameters naming an object with a county and township; the others (partners, dead letters,
webhook deliveries) have no place, and the partner side is authenticated by API key, not by role."""
PARTNER_SIDE = "/referral/v1/partners/{partner_id}/"


def _spec() -> dict[str, Any]:
    import shared.contracts  # noqa: F401 - event types
    from services.registry import all_modules
    from shared.app import build_app

    modules = all_modules()
    return build_app(
        modules, overrides={m.name: {"database_url": "postgresql+asyncpg://unused/x"} for m in modules}
    ).openapi()


def _endpoints(spec: dict[str, Any]) -> list[tuple[str, str]]:
    found = []
    for path, operations in spec["paths"].items():
        if path.startswith(PARTNER_SIDE):
            continue
        names = re.findall(r"\{([^}]+)\}", path)
        if any(n in PLACED for n in names):
            found.extend((method.upper(), path) for method in operations)
    return found


SPEC = _spec()
ENDPOINTS = _endpoints(SPEC)

KNOWN_GAPS: dict[tuple[str, str], str] = {}
"""Cells that fail on this branch for a reason fixed elsewhere: (method, path) -> reason (xfail strict)."""


# --- request bodies: from the schema, with hand-made ones where a schema alone cannot make a valid one ---

BODIES: dict[tuple[str, str], Any] = {
    ("PUT", "/intake/v1/applications/{application_id}"): lambda: {
        **{k: v for k, v in application(address=address(A_COUNTY, A_TOWNSHIP)).items() if k != "consents"},
        "reason": "matrix: the income was stated wrongly",
    },
    ("POST", "/intake/v1/applications/{application_id}/documents"): lambda: document_body("medical_bills"),
    ("POST", "/intake/v1/applications/{application_id}/documents/batch"): lambda: {
        "documents": [document_body("medical_bills")]
    },
    ("POST", "/intake/v1/leads/{lead_id}/application"): lambda: {
        "incident": {"occurred_on": "2026-11-01"},
        "persons_helped": 1,
        "annual_household_income": "10000.00",
        "property": {"deposits": "0.00", "vehicles": 0, "vehicle_value": "0.00", "houses": 1},
        "consents": {
            "verify_economic_situation": True,
            "share_with_charities": False,
            "share_health_data": False,
        },
    },
    ("POST", "/assessment/v1/cases/{case_id}/raises"): lambda: {
        "decided_by": "城区人民政府常务会议",
        "decided_on": "2026-11-20",
        "reference": "城政纪〔2026〕12号",
        "reason": "matrix: a household in great hardship (R-AMT-4)",
        "months": 2,
    },
    ("PUT", "/disbursement/v1/cases/{case_id}/payee"): lambda: {
        "name": "张小明",
        "bank": "中国银行",
        "account": "6216610200016587010",
        "reason": "matrix: the old account was closed",
    },
}
PATTERNS = {
    r"^\d{6}$": A_COUNTY,
    r"^\d{9}$": A_TOWNSHIP,
    r"^\d{8,30}$": "6216610200016587010",
    r"^[0-9a-f]{64}$": "a" * 64,
    r"^[^\x00]*$": "matrix check",
}


def _resolve(schema: dict[str, Any]) -> dict[str, Any]:
    if "$ref" in schema:
        return _resolve(SPEC["components"]["schemas"][schema["$ref"].rsplit("/", 1)[1]])
    for key in ("anyOf", "oneOf"):
        if key in schema:
            options = [o for o in schema[key] if o.get("type") != "null"]
            return _resolve(options[0]) if options else {"type": "null"}
    if "allOf" in schema:
        return _resolve(schema["allOf"][0])
    return schema


def sample(schema: dict[str, Any]) -> Any:
    """A value valid for ``schema`` (required properties only)."""
    schema = _resolve(schema)
    if "examples" in schema:
        return schema["examples"][0]
    if "enum" in schema:
        return schema["enum"][0]
    kind = schema.get("type")
    if kind == "object" or "properties" in schema:
        props = schema.get("properties", {})
        return {name: sample(props[name]) for name in schema.get("required", []) if name in props}
    if kind == "array":
        return [sample(schema.get("items", {})) for _ in range(schema.get("minItems", 0))]
    if kind == "integer":
        return int(schema.get("minimum", 1))
    if kind == "number":
        return max(1, schema.get("minimum", 1))
    if kind == "boolean":
        return False
    if schema.get("format") == "date":
        return "2026-11-20"
    if schema.get("format") == "date-time":
        return "2026-11-20T08:00:00+08:00"
    pattern = schema.get("pattern")
    if pattern in PATTERNS:
        return PATTERNS[pattern]
    if pattern and "0-9a-fA-F" in pattern:
        return str(uuid.uuid4())
    return "matrix check"[: schema.get("maxLength", 100)].ljust(schema.get("minLength", 0), "x")


def body_for(method: str, path: str) -> Any:
    if (method, path) in BODIES:
        return BODIES[(method, path)]()
    content = SPEC["paths"][path][method.lower()].get("requestBody", {}).get("content", {})
    schema = content.get("application/json", {}).get("schema")
    return sample(schema) if schema else None


# --- the objects: each endpoint its own, in 城区/上站街道, so one cell's change cannot hide another's ---


async def approved_case(client) -> str:
    consents = {"verify_economic_situation": True, "share_with_charities": True, "share_health_data": True}
    body = application(address=address(A_COUNTY, A_TOWNSHIP), consents=consents)
    case_id, _ = await pending_case(client, body)
    assert (await review(client, case_id)).status_code == 200
    decided = await client.post(
        f"/approval/v1/cases/{case_id}/decision",
        json={"decision": "approved", "reasons": "matrix", "confirm_extended_duration": True},
    )
    assert decided.status_code == 200, decided.text
    return case_id


async def a_lead(client) -> str:
    """A lead of the monitoring platform for 城区/上站街道 (R-OVS-2), with the person an application needs."""
    created = await client.post(
        "/intake/v1/leads",
        json={
            "source": "monitoring_platform",
            "township_code": A_TOWNSHIP,
            "urgency": "emergency",
            "category": "emergency",
            "subtype": "fire_or_accident",
            "name": "张小明",
            "id_number": resident_id(),
            "address": "上站街道某路1号",
            "description": "matrix: a lead",
        },
        headers=auth("matrix-platform", "gov_system"),
    )
    assert created.status_code == 201, created.text
    return str(created.json()["id"])


async def an_object(client, kind: str, path: str) -> str:
    if kind == "lead":
        return await a_lead(client)
    if kind == "case" and path.startswith(("/disbursement/", "/referral/")):
        return await approved_case(client)  # what those services hold of a case exists once it is approved
    if kind == "case":
        case_id, _ = await pending_case(client, application(address=address(A_COUNTY, A_TOWNSHIP)))
        return case_id
    case_id = await approved_case(client)
    if kind == "payment":

        async def paid_out():
            r = await client.get(f"/disbursement/v1/cases/{case_id}/payments")
            return r.json()[0]["id"] if r.status_code == 200 and r.json() else None

        return await eventually(paid_out, what="the payment instruction")
    changed = await client.put(
        f"/disbursement/v1/cases/{case_id}/payee",
        json=BODIES[("PUT", "/disbursement/v1/cases/{case_id}/payee")](),
        headers=auth("matrix-clerk", "intake_clerk"),
    )
    assert changed.status_code in (200, 201, 202), changed.text

    async def the_change():
        r = await client.get(f"/disbursement/v1/cases/{case_id}/payee-changes")
        return r.json()[0]["id"] if r.status_code == 200 and r.json() else None

    return await eventually(the_change, what="the payee change")


def _params() -> list[Any]:
    params = []
    for method, path in ENDPOINTS:
        marks = []
        if (method, path) in KNOWN_GAPS:
            marks.append(pytest.mark.xfail(strict=True, reason=KNOWN_GAPS[(method, path)]))
        params.append(pytest.param(method, path, marks=marks, id=f"{method} {path}"))
    return params


def test_the_matrix_covers_every_placed_endpoint_of_the_served_document(standalone):
    served = _endpoints(standalone.app.openapi())
    assert served == ENDPOINTS
    assert len(ENDPOINTS) >= 25, ENDPOINTS


@pytest.mark.parametrize(("method", "path"), _params())
async def test_role_and_jurisdiction_of_every_cell(standalone, method, path):
    names = re.findall(r"\{([^}]+)\}", path)
    kind = next(PLACED[n] for n in names if n in PLACED)
    object_id = await an_object(standalone, kind, path)
    values = {
        "consent": "share_with_charities",
        "township_code": A_TOWNSHIP,
        "visit_id": str(uuid.uuid4()),  # R-ARC-1: a home visit or document of the case (none: 404 inside)
        "document_id": str(uuid.uuid4()),
        "correction_id": str(uuid.uuid4()),  # R-RIGHTS-2: a correction of the case (none: 404 inside)
    }
    url = re.sub(
        r"\{([^}]+)\}", lambda m: object_id if m.group(1) in PLACED else values.get(m.group(1), "x"), path
    )
    wrong: list[str] = []
    admitted = 0
    for role in ROLES:
        seen: dict[str, int] = {}
        nothing: set[str] = set()
        unreached: set[str] = set()
        for scope, codes in SCOPES.items():
            r = await standalone.request(
                method, url, json=body_for(method, path), headers=auth(f"matrix-{role}", role, **codes)
            )
            seen[scope] = r.status_code
            assert r.status_code < 500, (role, scope, r.status_code, r.text[:300])
            kind = r.headers.get("content-type", "")
            json_answer = kind.startswith(("application/json", "application/problem"))
            if r.status_code == 200 and json_answer and r.json() == []:
                nothing.add(scope)  # as for an id that does not exist: nothing disclosed
            if r.status_code == 422 and json_answer and any("type" in e for e in r.json().get("errors", [])):
                unreached.add(scope)  # the payload's schema refused it before the handler ran
        if seen["city staff"] == 403:  # the role is not admitted: the same answer wherever the caller sits
            wrong += [
                f"{role} / {s}: {c} (role not admitted, expected 403)" for s, c in seen.items() if c != 403
            ]
            continue
        admitted += 1
        for scope, status in seen.items():
            if scope in COVERING and status == 403:
                wrong.append(f"{role} / {scope}: 403 although the scope covers the object")
            if scope not in COVERING and status not in (403, 404) and not {scope, "city staff"} <= nothing:
                wrong.append(f"{role} / {scope}: {status} for an object outside the jurisdiction")
        if unreached:
            wrong.append(f"{role} / {', '.join(sorted(unreached))}: the body is invalid, cells not reached")
    assert admitted, f"{method} {path}: no role is admitted"
    assert not wrong, f"{method} {path}:\n" + "\n".join(wrong)
