"""Intake on the real database: bad input is a 422 problem naming the field, with nothing written."""

import pytest

from tests.factories import application, gov_system, resident_id

pytestmark = pytest.mark.asyncio(loop_scope="session")

COUNT = "SELECT (SELECT count(*) FROM intake.applications) + (SELECT count(*) FROM intake.outbox)"


def _bad_id(body):
    body["household"][0]["id_number"] = body["household"][0]["id_number"][:17] + (
        "0" if body["household"][0]["id_number"][17] != "0" else "1"
    )
    return body


def _future_birth(body):
    first17 = "14030220990101001"
    from shared.idnumber import check_character

    body["household"][0]["id_number"] = first17 + check_character(first17)
    return body


def _duplicate_member(body):
    body["household"][1]["id_number"] = body["household"][0]["id_number"]
    return body


def _negative(body):
    body["annual_household_income"] = "-1.00"
    return body


def _unknown_county(body):
    body["address"]["county_code"] = "999999"
    return body


def _empty_household(body):
    body["household"] = []
    return body


def _deductions_over_bill(body):
    body["medical"]["basic_insurance"] = "90000.00"
    return body


@pytest.mark.parametrize(
    "spoil,field",
    [
        (_bad_id, "household[0].id_number"),
        (_future_birth, "household[0].id_number"),
        (_duplicate_member, "household[1].id_number"),
        (_negative, "annual_household_income"),
        (_unknown_county, "address.county_code"),
        (_empty_household, "household"),
        (_deductions_over_bill, "medical"),
    ],
)
async def test_bad_input_is_a_422_problem_naming_the_field_and_writes_nothing(standalone, db, spoil, field):
    before = await db.fetchval(COUNT)
    response = await standalone.post("/intake/v1/applications", json=spoil(application()))
    assert response.status_code == 422
    assert response.headers["content-type"] == "application/problem+json"
    problem = response.json()
    assert problem["status"] == 422 and problem["type"].endswith("/validation-error")
    assert field in [e["field"] for e in problem["errors"]]
    assert await db.fetchval(COUNT) == before


async def test_personal_data_is_encrypted_at_rest_and_masked_in_responses(standalone, db):
    body = application()
    id_number = body["household"][0]["id_number"]
    response = await standalone.post("/intake/v1/applications", json=body)
    assert response.status_code == 201
    out = response.json()
    assert out["household"][0]["id_number"] == id_number[:6] + "********" + id_number[-4:]
    assert out["household"][0]["name"] == "张*明"
    row = await db.fetchrow("SELECT * FROM intake.applications WHERE id = $1", out["id"])
    dumped = str(dict(row))
    assert id_number not in dumped and "6222020200112233445" not in dumped and "张小明" not in dumped


async def test_a_retried_post_with_the_same_idempotency_key_creates_one_application(standalone, db):
    body = application()
    key = f"retry-{resident_id()}"
    headers = {**gov_system("medical-insurance-bureau"), "Idempotency-Key": key}
    first = await standalone.post("/intake/v1/applications", json=body, headers=headers)
    second = await standalone.post("/intake/v1/applications", json=body, headers=headers)
    assert first.status_code == second.status_code == 201
    assert first.json()["id"] == second.json()["id"]
    assert second.headers["Idempotent-Replayed"] == "true"
    assert first.json()["referring_system"] == "medical-insurance-bureau"
    assert await db.fetchval("SELECT count(*) FROM intake.applications WHERE idempotency_key = $1", key) == 1
    other = application()
    reused = await standalone.post("/intake/v1/applications", json=other, headers={"Idempotency-Key": key})
    assert reused.status_code == 409 and reused.headers["content-type"] == "application/problem+json"


async def test_list_pages_with_a_keyset_cursor_and_filters(standalone):
    for _ in range(3):
        assert (
            await standalone.post(
                "/intake/v1/applications",
                json=application(
                    address={"county_code": "140303", "township_code": "140303002", "detail": "桥头"}
                ),
            )
        ).status_code == 201
    seen: list[str] = []
    cursor = None
    while True:
        params = {"county_code": "140303", "limit": 2} | ({"cursor": cursor} if cursor else {})
        page = (await standalone.get("/intake/v1/applications", params=params)).json()
        seen += [item["id"] for item in page["items"]]
        assert all(item["county_code"] == "140303" for item in page["items"])
        cursor = page["next_cursor"]
        if not cursor:
            break
    assert len(seen) == len(set(seen)) == 3  # the module's own database: only these three in 140303


async def test_unknown_ids_and_bad_cursors_are_problems(standalone):
    missing = await standalone.get("/intake/v1/applications/00000000-0000-0000-0000-000000000000")
    assert missing.status_code == 404 and missing.headers["content-type"] == "application/problem+json"
    malformed = await standalone.get("/intake/v1/applications/not-a-uuid")
    assert malformed.status_code == 422
    cursor = await standalone.get("/intake/v1/applications", params={"cursor": "garbage"})
    assert cursor.status_code == 422 and cursor.json()["errors"][0]["field"] == "cursor"
