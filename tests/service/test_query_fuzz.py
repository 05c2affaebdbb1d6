"""Every query parameter of every GET endpoint, read from the standalone app's OpenAPI document, is sent
hostile values — NUL, garbage, huge and negative numbers, impossible and extreme dates, malformed UUIDs
and cursors — one parameter at a time with the others valid (issue 13 §6). Whatever is sent: never a 5xx,
every refusal a problem+json, and a NUL is a 422 naming the parameter. A new endpoint or parameter is
covered without anyone adding it here."""

from __future__ import annotations

import base64
import json
import re
import uuid
from typing import Any

import pytest

from tests.factories import partner_body

A_COUNTY, A_TOWNSHIP = "140302", "140302001"


def _b64(value: Any) -> str:
    return base64.urlsafe_b64encode(json.dumps(value).encode()).decode().rstrip("=")


HOSTILE = [
    "\x00",
    "abc\x00def",
    "garbage",
    "",
    "-1",
    "9" * 40,
    "9223372036854775808",
    "1e309",
    "2026-02-30",
    "9999-12-31",
    "0001-01-01",
    "not-a-uuid",
    "00000000-0000-0000-0000-00000000000g",
    "' OR '1'='1' --",
    "x" * 5000,
    "%",
    "\u202e\ufeff\ud7ff",
    _b64(["2026-01-01T00:00:00", "not-a-uuid"]),
    _b64(["2026-01-01T00:00:00+00:00", "not-a-uuid"]),
    _b64(["not-a-date", str(uuid.uuid4())]),
    _b64({"a": 1}),
    _b64(["2026-01-01T00:00:00+00:00", "abc\x00"]),
]


def _schema(param: dict, spec: dict) -> dict:
    schema = param.get("schema", {})
    for option in schema.get("anyOf", [schema]):
        if option.get("type") != "null":
            schema = option
            break
    if "$ref" in schema:
        schema = spec["components"]["schemas"][schema["$ref"].rsplit("/", 1)[1]]
    return schema


def valid_value(name: str, schema: dict, context: dict[str, str]) -> str:
    """A value the parameter accepts, so that only the parameter under test is hostile."""
    if name in context:
        return context[name]
    if "enum" in schema:
        return str(schema["enum"][0])
    pattern = schema.get("pattern", "")
    if pattern == r"^\d{6}$":
        return A_COUNTY
    if pattern == r"^\d{9}$":
        return A_TOWNSHIP
    if "0-9a-fA-F" in pattern:
        return str(uuid.uuid4())
    if pattern.startswith("^\\d"):
        return "1"
    if pattern.startswith("^(") and "|" in pattern:
        return pattern[2:].split("|")[0]
    if schema.get("format") == "date":
        return "2026-01-15"
    if schema.get("type") == "integer":
        return str(schema.get("minimum", 1))
    if schema.get("type") == "boolean":
        return "true"
    return "x"


def _operations(spec: dict):
    for path, operations in spec["paths"].items():
        get = operations.get("get")
        if get is None:
            continue
        params = get.get("parameters", [])
        if any(p["in"] == "query" for p in params):
            yield path, params


@pytest.fixture(scope="module")
async def partner(standalone):
    created = await standalone.post("/referral/v1/partners", json=partner_body())
    assert created.status_code == 201, created.text
    yield created.json()
    await standalone.patch(f"/referral/v1/partners/{created.json()['id']}", json={"status": "suspended"})


async def test_no_query_parameter_value_makes_any_list_fail(standalone, partner):
    spec = standalone.app.openapi()
    context = {"partner_id": partner["id"], "township_code": A_TOWNSHIP, "county_code": A_COUNTY}
    partner_auth = {"Authorization": f"Bearer {partner['api_key']}"}
    failures: list[str] = []
    sent = covered = 0
    for path, params in _operations(spec):
        filled = re.sub(
            r"\{([^}]+)\}",
            lambda m: valid_value(m.group(1), {}, context),
            path,
        )
        headers = partner_auth if path.startswith("/referral/v1/partners/{partner_id}/") else {}
        query = [p for p in params if p["in"] == "query"]
        base = {p["name"]: valid_value(p["name"], _schema(p, spec), {}) for p in query if p.get("required")}
        for param in query:
            covered += 1
            for value in HOSTILE:
                r = await standalone.get(filled, params={**base, param["name"]: value}, headers=headers)
                sent += 1
                label = f"GET {path} ?{param['name']}={value[:40]!r} -> {r.status_code}"
                if r.status_code >= 500:
                    failures.append(label + " " + r.text[:200])
                elif r.status_code >= 400 and not r.headers["content-type"].startswith(
                    "application/problem+json"
                ):
                    failures.append(label + " not problem+json")
                elif r.status_code == 401:
                    failures.append(label + " (the fuzz caller should be authorised)")
                elif "\x00" in value and (
                    r.status_code != 422 or param["name"] not in {e["field"] for e in r.json()["errors"]}
                ):
                    failures.append(label + " NUL not refused naming the parameter")
    assert covered >= 100, f"only {covered} query parameters found in the OpenAPI document"
    assert not failures, f"{len(failures)} of {sent} requests failed:\n" + "\n".join(failures[:40])


@pytest.mark.parametrize(
    "url",
    [
        "/approval/v1/cases?status=%00",
        "/intake/v1/applications?cursor=not-a-cursor",
        "/intake/v1/applications?cursor=" + _b64(["2026-01-01T00:00:00+00:00", "not-a-uuid"]),
        "/intake/v1/duplicate-flags?cursor=" + _b64(["2026-01-01T00:00:00", str(uuid.uuid4())]),
    ],
)
async def test_the_reported_500s_are_422s_naming_the_parameter(standalone, url):
    r = await standalone.get(url)
    assert r.status_code == 422, r.text
    name = url.split("?")[1].split("=")[0]
    assert name in {e["field"] for e in r.json()["errors"]}


async def test_an_unknown_case_status_is_refused_listing_the_valid_ones(standalone):
    r = await standalone.get("/approval/v1/cases?status=escalated")
    assert r.status_code == 422
    assert "pending" in json.dumps(r.json()["errors"])


async def test_a_value_the_database_refuses_is_a_422_not_a_500_wherever_validation_was_missed(database_url):
    """The last line of defence (shared/errors.py): a route without its own validation, on the real
    database — NUL in text, a malformed UUID, an int64 overflow — answers 422; other database errors
    stay 500."""
    import httpx
    import sqlalchemy as sa
    from fastapi import FastAPI
    from sqlalchemy.ext.asyncio import create_async_engine

    from shared.errors import install_problem_handlers

    engine = create_async_engine(database_url)
    app = FastAPI()
    install_problem_handlers(app)

    @app.get("/probe")
    async def probe(sql: str, value: str) -> dict[str, str]:
        statements = {
            "text": "SELECT CAST(:v AS text)",
            "uuid": "SELECT CAST(:v AS uuid)",
            "bigint": "SELECT CAST(:v AS bigint)",
            "broken": "SELECT FROM WHERE :v",
        }
        param: object = int(value) if sql == "bigint" else value
        async with engine.connect() as conn:
            await conn.execute(sa.text(statements[sql]), {"v": param})
        return {"ok": "yes"}

    try:
        async with httpx.AsyncClient(
            transport=httpx.ASGITransport(app=app, raise_app_exceptions=False), base_url="http://t"
        ) as client:
            for sql, value in (("text", "a\x00b"), ("uuid", "zz"), ("bigint", "9" * 30)):
                r = await client.get("/probe", params={"sql": sql, "value": value})
                assert r.status_code == 422, (sql, r.text)
                assert r.headers["content-type"].startswith("application/problem+json")
            assert (await client.get("/probe", params={"sql": "text", "value": "fine"})).status_code == 200
            broken = await client.get("/probe", params={"sql": "broken", "value": "x"})
            assert broken.status_code == 500 and broken.json()["type"].endswith("/internal")
    finally:
        await engine.dispose()
