"""A dead-lettered event is listed, and replayed once its cause is fixed — exactly once in effect."""

import pytest

from tests.factories import application, eventually, forget_county_coverage

pytestmark = pytest.mark.asyncio(loop_scope="session")


async def test_an_event_without_a_policy_is_dead_lettered_then_replayed_after_the_policy_is_loaded(
    standalone, db
):
    # Intake refuses an incident date it knows no policy covers; here intake has not heard of the county's
    # policies yet (its coverage is kept from assessment's events), so the case reaches assessment.
    await forget_county_coverage(db, "140302")
    body = application(
        incident={"description": "2019年旧病复发", "occurred_on": "2019-06-01", "ongoing": False}
    )
    created = await standalone.post("/intake/v1/applications", json=body)
    assert created.status_code == 201
    case_id = created.json()["id"]

    async def dead_letter():
        letters = (await standalone.get("/assessment/v1/ops/dead-letters")).json()
        return next((d for d in letters if d["subject"] == case_id), None)

    letter = await eventually(dead_letter, what="the event to be dead-lettered")
    assert "no policy" in letter["error"]
    assert (await standalone.get(f"/assessment/v1/cases/{case_id}")).status_code == 404

    failed_again = await standalone.post(f"/assessment/v1/ops/dead-letters/{letter['id']}/replay")
    assert failed_again.status_code == 409 and failed_again.json()["type"].endswith("/replay-failed")

    seed = (await standalone.get("/assessment/v1/policies", params={"county_code": "140302"})).json()[0]
    policy = seed | {"version": "140302-2019.1", "effective_from": "2019-01-01", "effective_to": "2019-12-31"}
    assert (await standalone.post("/assessment/v1/policies", json=policy)).status_code == 201

    replayed = await standalone.post(f"/assessment/v1/ops/dead-letters/{letter['id']}/replay")
    assert replayed.status_code == 200 and replayed.json()["replayed_at"]
    assessments = (await standalone.get(f"/assessment/v1/cases/{case_id}/assessments")).json()
    assert len(assessments) == 1 and assessments[0]["policy_version"] == "140302-2019.1"
    again = await standalone.post(f"/assessment/v1/ops/dead-letters/{letter['id']}/replay")
    assert again.status_code == 409
    assert len((await standalone.get(f"/assessment/v1/cases/{case_id}/assessments")).json()) == 1
