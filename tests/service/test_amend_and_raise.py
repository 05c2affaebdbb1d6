"""Frozen inputs: an amendment is a new application revision, re-assessed, and the earlier assessment stays;
a county-government raise (R-AMT-4) is a new assessment revision that approval then takes."""

from decimal import Decimal

import pytest

from tests.factories import application, eventually, pending_case, review, same_household

pytestmark = pytest.mark.asyncio(loop_scope="session")

RAISE = {
    "decided_by": "城区人民政府常务会议",
    "decided_on": "2026-11-20",
    "reference": "城政纪〔2026〕12号",
    "reason": "重大疾病，家庭负担特别沉重",
    "months": 6,
    "recorded_by": "county-clerk",
}


def _amended(body, **overrides):
    return {
        **same_household(body, **overrides),
        "amended_by": "township-clerk",
        "reason": "more bills came in",
    }


async def _assessments(client, case_id, count):
    async def probe():
        r = await client.get(f"/assessment/v1/cases/{case_id}/assessments")
        return r.json() if r.status_code == 200 and len(r.json()) >= count else None

    return await eventually(probe, what=f"{count} assessments")


async def _approval_revision(client, case_id, revision):
    async def probe():
        r = await client.get(f"/approval/v1/cases/{case_id}")
        return r.json() if r.status_code == 200 and r.json()["revision"] == revision else None

    return await eventually(probe, what=f"approval to hold revision {revision}")


async def test_an_amendment_is_a_new_revision_reassessed_and_the_old_assessment_stays(standalone):
    body = application(persons_helped=1)
    case_id, _ = await pending_case(standalone, body)
    first = (await _assessments(standalone, case_id, 1))[0]
    amended_body = _amended(body, persons_helped=2, medical={**body["medical"], "total_bills": "90000.00"})
    amended = await standalone.put(f"/intake/v1/applications/{case_id}", json=amended_body)
    assert amended.status_code == 200, amended.text
    assert amended.json()["revision"] == 2 and amended.json()["persons_helped"] == 2

    newest, oldest = await _assessments(standalone, case_id, 2)
    assert (newest["revision"], newest["application_revision"]) == (2, 2)
    assert oldest == first  # the decided assessment is never silently changed
    assert (
        newest["inputs"]["medical"]["total_bills"] == "90000.00"
        and newest["result"]["self_paid"] == "35000.00"
    )
    assert newest["policy_version"] and newest["result"]["policy_version"] == newest["policy_version"]
    approval = await _approval_revision(standalone, case_id, 2)
    assert approval["assessed_amount"] == newest["amount"]

    revisions = (await standalone.get(f"/intake/v1/applications/{case_id}/revisions")).json()
    assert [(r["revision"], r["amended_by"]) for r in revisions] == [(1, None), (2, "test-officer")]


async def test_an_amendment_cannot_change_consents_or_repeat_another_cases_cause(standalone):
    body = application()
    case_id, _ = await pending_case(standalone, body)
    other = await standalone.post(
        "/intake/v1/applications",
        json=same_household(
            body, incident={"description": "另一次", "occurred_on": "2026-08-01", "ongoing": False}
        ),
    )
    assert other.status_code == 201 and other.json()["status"] == "held"  # the household has an open case
    consents = _amended(body, consents={**body["consents"], "share_with_charities": False})
    refused = await standalone.put(f"/intake/v1/applications/{case_id}", json=consents)
    assert refused.status_code == 409 and refused.json()["errors"][0]["field"] == "consents"  # R-CHA-2
    assert refused.json()["type"].endswith("/consents-change-by-withdrawal")
    repeat = await standalone.put(
        f"/intake/v1/applications/{case_id}",
        json=_amended(
            body, incident={"description": "另一次", "occurred_on": "2026-08-01", "ongoing": False}
        ),
    )
    assert repeat.status_code == 409 and repeat.json()["earlier_case_id"] == other.json()["id"]


async def test_a_decided_case_cannot_be_amended(standalone):
    body = application()
    case_id, _ = await pending_case(standalone, body)
    await review(standalone, case_id)
    await standalone.post(
        f"/approval/v1/cases/{case_id}/decision",
        json={
            "decision": "approved",
            "confirm_extended_duration": True,
            "actor": "approver-x",
            "reasons": "ok",
        },
    )

    async def approved():
        return (await standalone.get(f"/intake/v1/applications/{case_id}")).json()["status"] == "approved"

    await eventually(approved, what="intake to see the approval")
    late = await standalone.put(f"/intake/v1/applications/{case_id}", json=_amended(body))
    assert late.status_code == 409 and late.json()["type"].endswith("/case-not-amendable")


async def test_a_county_government_raise_is_a_new_assessment_revision_approval_can_pay(standalone):
    body = application(annual_household_income="60000.00")  # burden below the severity tiers: 3 months
    case_id, case = await pending_case(standalone, body)
    before = (await _assessments(standalone, case_id, 1))[0]
    raised = await standalone.post(f"/assessment/v1/cases/{case_id}/raises", json=RAISE)
    assert raised.status_code == 201, raised.text
    out = raised.json()
    assert (out["revision"], out["application_revision"]) == (2, 1)
    assert out["raise_decision"]["reference"] == "城政纪〔2026〕12号" and out["recorded_by"] == "test-officer"
    assert (
        Decimal(out["amount"])
        == Decimal(out["result"]["monthly_standard"]) * 2 * 6
        > Decimal(before["amount"])
    )
    assert out["result"]["reasons"][-1]["rule"] == "R-AMT-4"
    assert out["policy_version"] == before["policy_version"] and out["inputs"] == before["inputs"]
    assert (await standalone.get(f"/assessment/v1/cases/{case_id}/assessments")).json()[1] == before

    approval = await _approval_revision(standalone, case_id, 2)
    assert approval["assessed_amount"] == out["amount"]
    await review(standalone, case_id, amount=out["amount"])
    decided = await standalone.post(
        f"/approval/v1/cases/{case_id}/decision",
        json={
            "decision": "approved",
            "confirm_extended_duration": True,
            "actor": "county-approver",
            "reasons": "R-AMT-4",
        },
    )
    assert decided.status_code == 200, decided.text

    async def minutes_required():
        case = (await standalone.get(f"/intake/v1/applications/{case_id}")).json()
        return "meeting_minutes" in case["missing_documents"]

    await eventually(minutes_required, what="the raise's minutes on the checklist (R-ARC-1)")


@pytest.mark.parametrize(
    "overrides,status,field",
    [
        ({"months": 3}, 409, "months"),  # not above the current amount: a policy refusal (R-AMT-4)
        ({"months": 7}, 422, "months"),  # beyond what the payload allows at all
        ({"months": None, "amount": "1.00"}, 409, "amount"),  # R-AMT-4
        ({"months": 2, "amount": "9000.00"}, 422, "months"),  # both: a payload error
        ({"decided_on": "2099-01-01"}, 422, "decided_on"),
        ({"reference": ""}, 422, "reference"),
    ],
)
async def test_a_raise_must_be_above_the_current_amount_and_properly_recorded(
    standalone, db, overrides, status, field
):
    case_id, _ = await pending_case(standalone, application())
    response = await standalone.post(f"/assessment/v1/cases/{case_id}/raises", json={**RAISE, **overrides})
    assert response.status_code == status and field in [e["field"] for e in response.json()["errors"]]
    assert await db.fetchval("SELECT count(*) FROM assessment.assessments WHERE case_id = $1", case_id) == 1


async def test_an_ineligible_or_unknown_case_cannot_be_raised(standalone):
    case_id, _ = await pending_case(standalone, application(annual_household_income="900000.00"))
    refused = await standalone.post(f"/assessment/v1/cases/{case_id}/raises", json=RAISE)
    assert refused.status_code == 409 and refused.json()["rule"] == "R-AMT-4"
    unknown = await standalone.post(
        "/assessment/v1/cases/00000000-0000-0000-0000-000000000000/raises", json=RAISE
    )
    assert unknown.status_code == 404
