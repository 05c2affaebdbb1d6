"""Jurisdiction by level (issue 13 §5), on the real app and database: county-level objects (a county's policy
versions, calendar, townships' limits, reserve-fund allocations, partners) need county or city staff; the
repeat and duplicate checks stay city-wide but name only the office of a case elsewhere (R-FLOW-5); the
partner registry is scoped to the county a partner serves."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from shared import clock
from tests.factories import address, application, auth, partner_body, same_household

pytestmark = pytest.mark.asyncio(loop_scope="session")

ROOT = Path(__file__).resolve().parents[2]
A, A1, A2 = "140302", "140302003", "140302004"  # 城区: two townships
B, B1 = "140321", "140321102"  # 平定县


def township_admin(township: str = A1) -> dict[str, str]:
    return auth(f"admin-{township}", "policy_admin", township=township)


def county_admin(county: str = A) -> dict[str, str]:
    return auth(f"admin-{county}", "policy_admin", county=county)


def _limits(county: str = A) -> dict[str, str]:
    return {
        "county_code": county,
        "effective_from": clock.local_today().isoformat(),
        "approval_limit": "1000.00",
        "disbursement_limit": "500.00",
    }


async def test_a_township_policy_admin_cannot_set_another_townships_limits(standalone):
    other = await standalone.post(
        f"/approval/v1/townships/{A2}/limits", headers=township_admin(A1), json=_limits()
    )
    assert other.status_code == 403, other.text
    assert other.headers["content-type"] == "application/problem+json"
    own = await standalone.post(
        f"/approval/v1/townships/{A1}/limits", headers=township_admin(A1), json=_limits()
    )
    assert own.status_code == 403  # a township's delegation is set by its county (R-FLOW-3)
    foreign = await standalone.post(
        f"/approval/v1/townships/{B1}/limits", headers=county_admin(A), json=_limits(B)
    )
    assert foreign.status_code == 404
    by_county = await standalone.post(
        f"/approval/v1/townships/{A2}/limits", headers=county_admin(A), json=_limits()
    )
    assert by_county.status_code == 201 and by_county.json()["actor"] == f"admin-{A}"
    history = (await standalone.get(f"/approval/v1/townships/{A2}/limits")).json()["history"]
    assert [h["actor"] for h in history].count(f"admin-{A1}") == 0


async def test_a_township_policy_admin_cannot_change_the_county_calendar(standalone):
    body = {"holidays": ["2032-02-05"], "source": "county decision"}
    path = f"/approval/v1/calendars/counties/{A}/2032"
    assert (await standalone.put(path, headers=township_admin(), json=body)).status_code == 403
    assert (await standalone.put(path, headers=county_admin(B), json=body)).status_code == 404
    assert (await standalone.get(f"/approval/v1/calendars/{A}/2032")).status_code == 404  # nothing written
    done = await standalone.put(path, headers=county_admin(A), json=body)
    assert done.status_code == 200, done.text
    assert done.json()["actor"] == f"admin-{A}"


async def test_a_township_policy_admin_cannot_add_a_county_policy_version(standalone, db):
    seed = json.loads((ROOT / "services/assessment/domain/seed/policies.json").read_text(encoding="utf-8"))
    latest = [p for p in seed["policies"] if p["county_code"] == A][-1]
    version = {**latest, "version": f"{A}-2090.1", "effective_from": "2090-01-01", "effective_to": None}
    refused = await standalone.post("/assessment/v1/policies", headers=township_admin(), json=version)
    assert refused.status_code == 403, refused.text
    assert (
        await db.fetchval("SELECT count(*) FROM assessment.policies WHERE version = $1", version["version"])
        == 0
    )
    added = await standalone.post("/assessment/v1/policies", headers=county_admin(A), json=version)
    assert added.status_code == 201, added.text


async def test_a_township_finance_officer_cannot_allocate_its_own_reserve_fund(standalone, db):
    allocation = {"county_code": A, "year": 2031, "proportion": "0.1", "previous_year_spending": "50000.00"}
    path = f"/disbursement/v1/reserve-funds/{A1}"
    own = await standalone.post(
        path, headers=auth("t-finance", "finance_officer", township=A1), json=allocation
    )
    assert own.status_code == 403, own.text
    assert (
        await db.fetchval("SELECT count(*) FROM disbursement.reserve_funds WHERE township_code = $1", A1) == 0
    )
    other = await standalone.post(
        path, headers=auth("b-finance", "finance_officer", county=B), json=allocation
    )
    assert other.status_code == 404
    county = await standalone.post(
        path, headers=auth("a-finance", "finance_officer", county=A), json=allocation
    )
    assert county.status_code == 201 and county.json()["allocated"] == "5000.00"
    # The township still reads its own fund (a township-level object).
    read = await standalone.get(f"{path}/2031", headers=auth("t-finance", "finance_officer", township=A1))
    assert read.status_code == 200


async def test_a_clerk_elsewhere_learns_only_which_office_to_contact_about_a_repeat(standalone):
    first_body = application(address=address(A, A1))
    first = await standalone.post("/intake/v1/applications", json=first_body)
    assert first.status_code == 201, first.text
    earlier = first.json()
    moved = same_household(first_body, address=address(B, B1))
    elsewhere = await standalone.post(
        "/intake/v1/applications", headers=auth("b-clerk", "intake_clerk", township=B1), json=moved
    )
    assert elsewhere.status_code == 409 and elsewhere.json()["rule"] == "R-FLOW-5"
    problem = elsewhere.json()
    assert problem["type"].endswith("/repeat-application")
    assert "earlier_case_id" not in problem and "earlier_case_no" not in problem
    assert earlier["id"] not in elsewhere.text and earlier["case_no"] not in elsewhere.text
    assert problem["earlier_office"] == {
        "county_code": A,
        "county_name": "城区",
        "township_code": A1,
        "township_name": problem["earlier_office"]["township_name"],
    }
    assert problem["earlier_office"]["township_name"]
    same_office = await standalone.post(
        "/intake/v1/applications",
        headers=auth("a-clerk", "intake_clerk", township=A1),
        json=same_household(first_body),
    )
    assert same_office.status_code == 409 and same_office.json()["earlier_case_id"] == earlier["id"]


async def test_duplicate_flags_name_only_the_office_of_a_case_elsewhere(standalone):
    first_body = application(address=address(A, A1))
    first = (await standalone.post("/intake/v1/applications", json=first_body)).json()
    later = same_household(
        first_body,
        address=address(B, B1),
        incident={"description": "再次住院", "occurred_on": "2026-11-01", "ongoing": False},
    )
    b_clerk = auth("b-clerk", "intake_clerk", township=B1)
    second = await standalone.post("/intake/v1/applications", headers=b_clerk, json=later)
    assert second.status_code == 201 and second.json()["status"] == "held", second.text
    params = {"application_id": second.json()["id"]}
    seen = await standalone.get("/intake/v1/duplicate-flags", headers=b_clerk, params=params)
    assert seen.status_code == 200
    [flag] = seen.json()["items"]
    assert flag["matched_application_id"] is None and first["id"] not in seen.text
    assert first["case_no"] not in seen.text
    assert (flag["matched_office"]["county_code"], flag["matched_office"]["township_code"]) == (A, A1)
    city = (await standalone.get("/intake/v1/duplicate-flags", params=params)).json()["items"]
    assert [f["matched_application_id"] for f in city] == [first["id"]] and city[0]["matched_office"] is None
    # Merged into the earlier case by the supervisor here, the case still does not name that case.
    merged = await standalone.post(
        f"/intake/v1/applications/{second.json()['id']}/duplicate-review",
        headers=auth("b-head", "township_approver", township=B1),
        json={"outcome": "merged", "reason": "same illness, handled there"},
    )
    assert merged.status_code == 200, merged.text
    assert merged.json()["status"] == "merged" and merged.json()["merged_into"] is None
    assert first["id"] not in merged.text
    city_view = (await standalone.get(f"/intake/v1/applications/{second.json()['id']}")).json()
    assert city_view["merged_into"] == first["id"]


async def test_a_countys_admin_manages_only_the_partners_of_its_county(standalone):
    a_admin, b_admin = county_admin(A), county_admin(B)
    ours = await standalone.post(
        "/referral/v1/partners", headers=a_admin, json=partner_body(service_areas=[A1])
    )
    assert ours.status_code == 201, ours.text
    theirs = await standalone.post(
        "/referral/v1/partners", headers=a_admin, json=partner_body(service_areas=[A1, B1])
    )
    assert theirs.status_code == 403 and theirs.json()["field"] == "service_areas"
    township = await standalone.post(
        "/referral/v1/partners", headers=township_admin(), json=partner_body(service_areas=[A1])
    )
    assert township.status_code == 403
    pid = ours.json()["id"]
    assert (
        await standalone.post(f"/referral/v1/partners/{pid}/credentials", headers=b_admin)
    ).status_code == 404
    suspend = {"status": "suspended"}
    assert (
        await standalone.patch(f"/referral/v1/partners/{pid}", headers=b_admin, json=suspend)
    ).status_code == 404
    moved = await standalone.patch(
        f"/referral/v1/partners/{pid}", headers=a_admin, json={"service_areas": [B1]}
    )
    assert moved.status_code == 403 and moved.json()["field"] == "service_areas"
    rotated = await standalone.post(f"/referral/v1/partners/{pid}/credentials", headers=a_admin)
    assert rotated.status_code == 200 and rotated.json()["api_key"] != ours.json()["api_key"]
    suspended = await standalone.patch(f"/referral/v1/partners/{pid}", headers=a_admin, json=suspend)
    assert suspended.status_code == 200 and suspended.json()["status"] == "suspended"
    city_wide = await standalone.post("/referral/v1/partners", json=partner_body(service_areas=[A1, B1]))
    assert city_wide.status_code == 201  # several counties: the city registers it
    cid = city_wide.json()["id"]
    assert (
        await standalone.post(f"/referral/v1/partners/{cid}/credentials", headers=a_admin)
    ).status_code == 403
    assert (await standalone.patch(f"/referral/v1/partners/{cid}", json=suspend)).status_code == 200
