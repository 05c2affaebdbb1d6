"""No case silently stuck: whenever a service cannot process a case (a dead letter, a consumer's refusal),
the case shows it in intake as needs_attention with the reason and the service, listed for clerks and
operators, announced by gov.assistance.<service>.case-processing-failed.v1 (in-process bus here)."""

import pytest

from services.assessment.service import publish_coverage
from tests.factories import address, application, eventually, forget_county_coverage, pending_case, review

pytestmark = pytest.mark.asyncio(loop_scope="session")

COUNTY, TOWNSHIP = "140311", "140311102"


async def _attention(client, case_id):
    async def probe():
        case = (await client.get(f"/intake/v1/applications/{case_id}")).json()
        return case if case["status"] == "needs_attention" else None

    return await eventually(probe, what="intake to show the case needs_attention")


async def _restore_coverage(standalone):
    runtime = standalone.app.state.runtimes["assessment"]
    async with runtime.transaction() as session:
        await publish_coverage(runtime, session)


async def test_a_case_assessment_cannot_process_shows_needs_attention_in_intake(standalone, db):
    await forget_county_coverage(db, COUNTY)  # intake has not heard of the county's policies yet
    try:
        body = application(
            address=address(COUNTY, TOWNSHIP),
            incident={"description": "旧病复发", "occurred_on": "2023-03-02", "ongoing": False},
        )
        created = await standalone.post("/intake/v1/applications", json=body)
        assert created.status_code == 201, created.text
        case_id = created.json()["id"]
        case = await _attention(standalone, case_id)
        attention = case["attention"]
        assert attention["service"] == "assessment" and attention["previous_status"] == "submitted"
        assert "no policy for county 140311 on 2023-03-02" in attention["reason"]
        assert attention["failed_event_type"] == "gov.assistance.intake.application-submitted.v1"
        listed = (
            await standalone.get(
                "/intake/v1/applications", params={"status": "needs_attention", "township_code": TOWNSHIP}
            )
        ).json()
        assert case_id in {c["id"] for c in listed["items"]}
        announced = await db.fetchval(
            "SELECT count(*) FROM assessment.outbox WHERE key = $1 AND event_type = $2",
            case_id,
            "gov.assistance.assessment.case-processing-failed.v1",
        )
        assert announced == 1
    finally:
        await _restore_coverage(standalone)

    # The clerk corrects the incident date: the amended case is assessed and the attention is resolved.
    amended = await standalone.put(
        f"/intake/v1/applications/{case_id}",
        json={
            **body,
            "incident": {"description": "旧病复发", "occurred_on": "2026-03-02", "ongoing": False},
            "amended_by": "clerk",
            "reason": "the incident date was mistyped",
        },
    )
    assert amended.status_code == 200, amended.text
    assert amended.json()["status"] == "submitted" and amended.json()["attention"] is None

    async def assessed():
        case = (await standalone.get(f"/intake/v1/applications/{case_id}")).json()
        return case if case["status"] == "assessed" else None

    assert (await eventually(assessed, what="the amended case to be assessed"))["attention"] is None


async def _approved_case(standalone, township: str = "140311200") -> str:
    case_id, _ = await pending_case(standalone, application(address=address(COUNTY, township)))
    assert (await review(standalone, case_id)).status_code == 200
    decided = await standalone.post(
        f"/approval/v1/cases/{case_id}/decision",
        json={"decision": "approved", "confirm_extended_duration": True, "reasons": "meets R-CAT-2"},
    )
    assert decided.status_code == 200, decided.text
    return case_id


RAISE = {
    "decided_by": "郊区人民政府常务会议",
    "decided_on": "2026-11-20",
    "reference": "郊政纪〔2026〕7号",
    "reason": "家庭负担特别沉重",
    "amount": "30000.00",
}


async def _assessment_knows_decided(db, case_id):
    async def probe():
        return await db.fetchval("SELECT decision FROM assessment.decided_cases WHERE case_id = $1", case_id)

    return await eventually(probe, what="assessment to learn the decision")


async def test_a_raise_on_an_approved_case_is_refused_409(standalone, db):
    case_id = await _approved_case(standalone)
    await _assessment_knows_decided(db, case_id)
    refused = await standalone.post(f"/assessment/v1/cases/{case_id}/raises", json=RAISE)
    assert refused.status_code == 409, refused.text
    problem = refused.json()
    assert problem["type"].endswith("/case-already-decided") and problem["rule"] == "R-AMT-4"
    assert "approved" in problem["detail"]
    assessments = (await standalone.get(f"/assessment/v1/cases/{case_id}/assessments")).json()
    assert len(assessments) == 1  # nothing half-written


async def test_a_raise_that_reaches_approval_after_the_decision_shows_needs_attention(standalone, db):
    """The race: the raise was recorded before assessment heard of the decision. Approval refuses it (never
    silently keeps the old amount): dead letter, case-processing-failed, needs_attention in intake."""
    case_id = await _approved_case(standalone, township="140311201")
    await _assessment_knows_decided(db, case_id)
    await db.execute("DELETE FROM assessment.decided_cases WHERE case_id = $1", case_id)  # not heard yet
    raised = await standalone.post(f"/assessment/v1/cases/{case_id}/raises", json=RAISE)
    assert raised.status_code == 201, raised.text
    case = await _attention(standalone, case_id)
    assert case["attention"]["service"] == "approval"
    assert case["attention"]["previous_status"] == "approved"
    assert "郊政纪〔2026〕7号" in case["attention"]["reason"] and "R-AMT-4" in case["attention"]["reason"]
    approval = (await standalone.get(f"/approval/v1/cases/{case_id}")).json()
    assert approval["status"] == "approved" and approval["assessed_amount"] != "30000.00"
