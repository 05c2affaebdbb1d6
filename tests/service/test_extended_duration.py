"""R-AMT-2: normally at most 3 months, never more than 6, and more than 3 never silently: the assessment
names and cites the county rule (severity tier id, policy version, figures) and the approver confirms it
explicitly; a county-government raise (R-AMT-4) is a recorded reason of its own."""

from decimal import Decimal

import pytest

from tests.factories import address, application, eventually, pending_case, review

pytestmark = pytest.mark.asyncio(loop_scope="session")

TOWNSHIP = address("140303", "140303002")


async def _assessed(client, body):
    case_id, case = await pending_case(client, body)
    assert (await review(client, case_id)).status_code == 200
    assessment = (await client.get(f"/assessment/v1/cases/{case_id}")).json()
    return case_id, case, assessment


def _months_reason(assessment):
    return next(r for r in assessment["result"]["reasons"] if r["rule"] == "R-AMT-2")


async def _decide(client, case_id, **extra):
    return await client.post(
        f"/approval/v1/cases/{case_id}/decision",
        json={"decision": "approved", "reasons": "meets R-CAT-2", **extra},
    )


async def test_six_months_needs_the_approvers_explicit_confirmation(standalone):
    case_id, case, assessment = await _assessed(standalone, application(address=TOWNSHIP))
    reason = _months_reason(assessment)
    assert case["months"] == 6
    assert reason["figures"]["extended_duration"] == "true"
    assert reason["figures"]["tier_id"] == "140303-severe-burden-1.0"
    assert reason["figures"]["policy_version"] == assessment["policy_version"] == "140303-2026.1"
    assert "140303-severe-burden-1.0" in reason["message"] and "confirm" in reason["message"]

    silent = await _decide(standalone, case_id)
    assert silent.status_code == 409
    problem = silent.json()
    assert problem["type"].endswith("/extended-duration-unconfirmed") and problem["rule"] == "R-AMT-2"
    assert problem["tier_id"] == "140303-severe-burden-1.0" and problem["policy_version"] == "140303-2026.1"
    assert "R-AMT-2" in problem["detail"] and "confirm_extended_duration" in problem["detail"]
    assert (await standalone.get(f"/approval/v1/cases/{case_id}")).json()["status"] == "reviewed"

    confirmed = await _decide(standalone, case_id, confirm_extended_duration=True)
    assert confirmed.status_code == 200, confirmed.text
    decision = [d for d in confirmed.json()["decisions"] if d["step"] == "approval"][-1]
    assert decision["extended_duration"]["tier_id"] == "140303-severe-burden-1.0"
    assert decision["extended_duration"]["policy_version"] == "140303-2026.1"
    assert decision["extended_duration"]["months"] == 6
    assert decision["extended_duration"]["confirmed_by"] == "test-officer"


async def test_three_months_needs_no_confirmation(standalone):
    body = application(address=TOWNSHIP, annual_household_income="60000.00")  # burden 0.42: no tier
    case_id, case, assessment = await _assessed(standalone, body)
    assert case["months"] == 3 and "extended_duration" not in _months_reason(assessment)["figures"]
    decided = await _decide(standalone, case_id)
    assert decided.status_code == 200, decided.text
    assert decided.json()["decisions"][-1]["extended_duration"] is None


async def test_approving_only_the_normal_three_months_needs_no_confirmation(standalone):
    case_id, case, assessment = await _assessed(standalone, application(address=TOWNSHIP))
    result = assessment["result"]
    three = Decimal(result["monthly_standard"]) * result["persons_helped"] * 3
    beyond = await _decide(standalone, case_id, amount=str(three + Decimal("0.01")))
    assert beyond.status_code == 409 and beyond.json()["type"].endswith("/extended-duration-unconfirmed")
    decided = await _decide(standalone, case_id, amount=str(three))
    assert decided.status_code == 200, decided.text


async def test_six_months_raised_by_the_county_government_needs_no_further_confirmation(standalone):
    body = application(address=TOWNSHIP, annual_household_income="60000.00")
    case_id, _ = await pending_case(standalone, body)
    raised = await standalone.post(
        f"/assessment/v1/cases/{case_id}/raises",
        json={
            "decided_by": "矿区人民政府常务会议",
            "decided_on": "2026-11-20",
            "reference": "矿政纪〔2026〕3号",
            "reason": "重大疾病，家庭负担特别沉重",
            "months": 6,
        },
    )
    assert raised.status_code == 201, raised.text

    async def six_months():
        case = (await standalone.get(f"/approval/v1/cases/{case_id}")).json()
        return case if case["months"] == 6 else None

    await eventually(six_months, what="approval to take the raise")
    assert (await review(standalone, case_id)).status_code == 200
    decided = await _decide(standalone, case_id)
    assert decided.status_code == 200, decided.text
