"""No case nobody will assess: intake keeps assessment's policy coverage (from its policy-coverage events,
through the outbox and the in-process bus here) and refuses, with a 409 ``no-policy-in-force`` naming the
field, county and date (R-AMT-3: a policy refusal, not a payload error), an incident dated where no county
policy is in force."""

import pytest

from tests.factories import address, application, eventually

pytestmark = pytest.mark.asyncio(loop_scope="session")


async def _covered(db, county_code: str, year: int) -> None:
    async def probe():
        return await db.fetchval(
            "SELECT count(*) FROM intake.policy_coverage WHERE county_code = $1 "
            "AND extract(year FROM effective_from) = $2",
            county_code,
            year,
        )

    await eventually(probe, what=f"intake to know county {county_code}'s {year} policy")


def _dated(county: str, township: str, on: str) -> dict:
    return application(
        address=address(county, township),
        incident={"description": "住院治疗", "occurred_on": on, "ongoing": False},
    )


async def test_an_incident_where_no_county_policy_is_in_force_is_refused_naming_county_and_date(
    standalone, db
):
    await _covered(db, "140321", 2026)
    refused = await standalone.post(
        "/intake/v1/applications", json=_dated("140321", "140321101", "2024-06-01")
    )
    assert refused.status_code == 409, refused.text
    assert refused.json()["type"].endswith("/no-policy-in-force") and refused.json()["rule"] == "R-AMT-3"
    [error] = refused.json()["errors"]
    assert error["field"] == "incident.occurred_on"
    assert "140321" in error["message"] and "2024-06-01" in error["message"]
    assert "140321-2026.1" in error["message"]  # which periods the county's policies do cover
    assert (
        await db.fetchval(
            "SELECT count(*) FROM intake.applications WHERE incident_date = '2024-06-01' "
            "AND county_code = '140321'"
        )
        == 0
    )


async def test_a_new_policy_version_extends_what_intake_accepts(standalone, db):
    await _covered(db, "140322", 2026)
    body = _dated("140322", "140322102", "2024-03-15")
    assert (await standalone.post("/intake/v1/applications", json=body)).status_code == 409
    seed = (await standalone.get("/assessment/v1/policies", params={"county_code": "140322"})).json()[0]
    policy = seed | {"version": "140322-2024.1", "effective_from": "2024-01-01", "effective_to": "2024-12-31"}
    assert (await standalone.post("/assessment/v1/policies", json=policy)).status_code == 201
    await _covered(db, "140322", 2024)
    accepted = await standalone.post("/intake/v1/applications", json=body)
    assert accepted.status_code == 201, accepted.text
