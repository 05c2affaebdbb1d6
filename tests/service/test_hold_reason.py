"""Why is it held? A household's second case for a different cause is held for duplicate review; the 201
answer and the case view say why (which flag, in English and Chinese) and what happens next (who reviews),
without naming the other case (it may be another jurisdiction's)."""

import pytest

from tests.factories import address, application, education_application, same_household

pytestmark = pytest.mark.asyncio(loop_scope="session")

PLACE = address("140302", "140302003")


async def test_a_held_case_says_why_and_what_happens_next_in_words_a_clerk_understands(standalone):
    first = application(address=PLACE)
    earlier = await standalone.post("/intake/v1/applications", json=first)
    assert earlier.status_code == 201, earlier.text
    second = same_household(education_application(), household=first["household"], address=PLACE)
    created = await standalone.post("/intake/v1/applications", json=second)
    assert created.status_code == 201, created.text
    case = created.json()
    assert case["status"] == "held" and case["open_duplicate_flags"] == 1
    hold = case["hold_reason"]
    assert hold["code"] == "person_in_open_case"
    assert "another" in hold["message"] or "other case" in hold["message"]
    assert "尚未办结" in hold["message_zh"]
    assert "supervisor" in hold["next_step"] and "主管" in hold["next_step_zh"]
    assert hold["reviewed_by"] == ["township_approver", "county_approver"]
    assert earlier.json()["id"] not in created.text and earlier.json()["case_no"] not in created.text

    view = (await standalone.get(f"/intake/v1/applications/{case['id']}")).json()
    assert view["hold_reason"] == hold

    cleared = await standalone.post(
        f"/intake/v1/applications/{case['id']}/duplicate-review",
        json={"outcome": "cleared", "reason": "different cause: school fees (R-FLOW-5 does not apply)"},
    )
    assert cleared.status_code == 200, cleared.text
    assert cleared.json()["status"] == "submitted" and cleared.json()["hold_reason"] is None


async def test_a_case_that_is_not_held_has_no_hold_reason(standalone):
    created = await standalone.post("/intake/v1/applications", json=application(address=PLACE))
    assert created.status_code == 201 and created.json()["hold_reason"] is None
