"""Hostile or careless input gets a clear 4xx problem+json and writes nothing (issue: bad input)."""

import json

import pytest

from tests.factories import application

pytestmark = pytest.mark.asyncio(loop_scope="session")

COUNT = "SELECT (SELECT count(*) FROM intake.applications) + (SELECT count(*) FROM intake.outbox)"


async def _refused(standalone, db, status: int, **request) -> dict:
    before = await db.fetchval(COUNT)
    response = await standalone.post("/intake/v1/applications", **request)
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == "application/problem+json"
    assert await db.fetchval(COUNT) == before
    return response.json()


async def test_an_oversized_body_is_413(standalone, db):
    body = application()
    body["incident"]["description"] = "火" * 600_000
    problem = await _refused(
        standalone,
        db,
        413,
        content=json.dumps(body, ensure_ascii=False).encode(),
        headers={"content-type": "application/json"},
    )
    assert "limited" in problem["detail"]


async def test_deeply_nested_json_is_400(standalone, db):
    await _refused(
        standalone, db, 400, content=b"[" * 5000 + b"]" * 5000, headers={"content-type": "application/json"}
    )


async def test_a_wrong_content_type_is_415(standalone, db):
    await _refused(
        standalone,
        db,
        415,
        content=json.dumps(application()).encode(),
        headers={"content-type": "text/plain"},
    )


async def test_malformed_json_is_422_naming_the_body(standalone, db):
    problem = await _refused(
        standalone, db, 422, content=b'{"household": [', headers={"content-type": "application/json"}
    )
    assert problem["errors"]


@pytest.mark.parametrize(
    "params",
    [
        {"limit": 100000},
        {"county_code": "140302' OR '1'='1"},
        {"status": "x" * 500},
        {"submitted_from": "2026-13-45"},
    ],
)
async def test_hostile_list_filters_are_422(standalone, params):
    response = await standalone.get("/intake/v1/applications", params=params)
    assert response.status_code == 422 and response.headers["content-type"] == "application/problem+json"


async def test_an_unknown_route_and_method_are_problems(standalone):
    missing = await standalone.get("/intake/v1/nothing-here")
    assert missing.status_code == 404 and missing.headers["content-type"] == "application/problem+json"
    wrong = await standalone.delete("/intake/v1/applications")
    assert wrong.status_code == 405 and wrong.headers["content-type"] == "application/problem+json"
