"""Corrections of a person's data as amendments (PIPL art. 46, R-RIGHTS-2), in one process on the real
database: recorded with reason and requester, reviewed by a second officer (four eyes), applied through the
ordinary amendment (a new revision, re-assessed) or refused with a reason; nothing half-written."""

from __future__ import annotations

import pytest

from tests.factories import application, auth, eventually, pending_case, review

pytestmark = pytest.mark.asyncio(loop_scope="session")

CLERK = auth("clerk-wang", "intake_clerk", county="140302", township="140302001")
APPROVER = auth("approver-li", "township_approver", county="140302", township="140302001")
DPO = auth("dpo-zhao", "data_protection_officer", county="140302")
PHONE = {"field": "phone", "value": "13912345678", "reason": "the household changed its number"}


async def _request(client, case_id: str, body: dict, headers=CLERK) -> dict:
    response = await client.post(f"/intake/v1/applications/{case_id}/corrections", json=body, headers=headers)
    assert response.status_code == 201, response.text
    return response.json()


def _review_url(case_id: str, correction: dict) -> str:
    return f"/intake/v1/applications/{case_id}/corrections/{correction['id']}/review"


async def test_a_second_officer_applies_a_correction_as_a_new_revision_that_is_reassessed(standalone, db):
    body = application()
    case_id, _ = await pending_case(standalone, body)
    asked = await _request(standalone, case_id, PHONE)
    assert (asked["status"], asked["requested_by"], asked["reason"]) == (
        "requested",
        "clerk-wang",
        PHONE["reason"],
    )
    assert asked["value_masked"].endswith("5678") and "13912345678" not in str(asked)
    stored = await db.fetchval("SELECT value_sealed FROM intake.corrections WHERE id = $1", asked["id"])
    assert "13912345678" not in stored  # sealed at rest

    applied = await standalone.post(_review_url(case_id, asked), json={"decision": "apply"}, headers=APPROVER)
    assert applied.status_code == 200, applied.text
    assert (applied.json()["status"], applied.json()["reviewed_by"]) == ("applied", "approver-li")
    assert applied.json()["applied_revision"] == 2
    revisions = (await standalone.get(f"/intake/v1/applications/{case_id}/revisions")).json()
    assert [r["revision"] for r in revisions] == [1, 2] and asked["id"] in revisions[1]["reason"]

    async def reassessed():  # the amendment's event flowed as usual
        rows = (await standalone.get(f"/assessment/v1/cases/{case_id}/assessments")).json()
        return rows if len(rows) >= 2 else None

    newest = (await eventually(reassessed, what="the corrected revision to be re-assessed"))[0]
    assert newest["application_revision"] == 2
    person = {"id_number": body["household"][0]["id_number"]}
    export = (await standalone.post("/intake/v1/person-data", json=person, headers=DPO)).json()
    [stated] = [s for s in export["records"]["stated"] if s["case_id"] == case_id]
    assert stated["phone"] == "13912345678"
    [fix] = [c for c in export["records"]["corrections"] if c["id"] == asked["id"]]
    assert fix["value"] == "13912345678"  # the person sees their own value in clear


async def test_the_officer_who_recorded_a_correction_cannot_review_it(standalone, db):
    case_id, _ = await pending_case(standalone, application())
    asked = await _request(standalone, case_id, PHONE, headers=DPO)
    own = await standalone.post(_review_url(case_id, asked), json={"decision": "apply"}, headers=DPO)
    assert own.status_code == 409, own.text
    assert own.json()["type"].endswith("/separation-of-duties") and own.json()["rule"] == "R-RIGHTS-2"
    row = await db.fetchrow("SELECT status, reviewed_by FROM intake.corrections WHERE id = $1", asked["id"])
    assert (row["status"], row["reviewed_by"]) == ("requested", None)
    assert (await standalone.get(f"/intake/v1/applications/{case_id}")).json()["revision"] == 1
    clerk = await standalone.post(_review_url(case_id, asked), json={"decision": "apply"}, headers=CLERK)
    assert clerk.status_code == 403  # a clerk records requests; approvers or the officer review them


async def test_a_refused_correction_keeps_its_reason_and_changes_nothing(standalone):
    case_id, _ = await pending_case(standalone, application())
    asked = await _request(standalone, case_id, {"field": "name", "value": "张晓明", "reason": "typo"})
    bare = await standalone.post(_review_url(case_id, asked), json={"decision": "refuse"}, headers=APPROVER)
    assert bare.status_code == 422 and "reason" in bare.text
    refused = await standalone.post(
        _review_url(case_id, asked),
        json={"decision": "refuse", "reason": "the ID card says 张小明"},
        headers=APPROVER,
    )
    assert refused.status_code == 200, refused.text
    assert (refused.json()["status"], refused.json()["review_reason"]) == (
        "refused",
        "the ID card says 张小明",
    )
    again = await standalone.post(_review_url(case_id, asked), json={"decision": "apply"}, headers=DPO)
    assert again.status_code == 409 and again.json()["type"].endswith("/correction-already-reviewed")
    assert (await standalone.get(f"/intake/v1/applications/{case_id}")).json()["revision"] == 1
    listed = (await standalone.get(f"/intake/v1/applications/{case_id}/corrections")).json()
    assert [(c["id"], c["status"]) for c in listed] == [(asked["id"], "refused")]


async def test_a_decided_case_is_not_amendable_and_its_correction_stays_open(standalone):
    case_id, _ = await pending_case(standalone, application())
    assert (await review(standalone, case_id)).status_code == 200

    async def under_review():
        shown = (await standalone.get(f"/intake/v1/applications/{case_id}")).json()
        return shown["status"] == "reviewed"

    await eventually(under_review, what="intake to follow the review")
    asked = await _request(
        standalone, case_id, {**PHONE, "field": "payee_account", "value": "6222020200199887766"}
    )
    applied = await standalone.post(_review_url(case_id, asked), json={"decision": "apply"}, headers=APPROVER)
    assert applied.status_code == 409 and applied.json()["type"].endswith("/case-not-amendable")
    listed = (await standalone.get(f"/intake/v1/applications/{case_id}/corrections")).json()
    assert [c["status"] for c in listed] == ["requested"]


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"field": "phone", "value": "call me", "reason": "r"}, "value"),
        ({"field": "payee_account", "value": "12", "reason": "r"}, "value"),
        ({"field": "phone", "value": "13900000000", "member_seq": 1, "reason": "r"}, "member_seq"),
        ({"field": "id_number", "value": "x", "reason": "r"}, "field"),
        ({"field": "name", "value": "王五", "member_seq": 2, "reason": "r"}, "member_seq"),  # two members
    ],
)
async def test_a_value_that_cannot_be_one_is_a_422_naming_the_field(standalone, db, body, field):
    case_id, _ = await pending_case(standalone, application())
    before = await db.fetchval("SELECT count(*) FROM intake.corrections")
    response = await standalone.post(
        f"/intake/v1/applications/{case_id}/corrections", json=body, headers=CLERK
    )
    assert response.status_code == 422, response.text
    assert field in response.text
    assert await db.fetchval("SELECT count(*) FROM intake.corrections") == before


async def test_a_payee_field_without_a_payee_on_file_is_refused_and_nothing_is_recorded(standalone, db):
    body = application()
    del body["payee"]
    case_id, _ = await pending_case(standalone, body)
    response = await standalone.post(
        f"/intake/v1/applications/{case_id}/corrections",
        json={"field": "payee_account", "value": "6222020200199887766", "reason": "new card"},
        headers=CLERK,
    )
    assert response.status_code == 409 and response.json()["type"].endswith("/no-payee-on-file")
    assert (
        await db.fetchval("SELECT count(*) FROM intake.corrections WHERE application_id = $1", case_id) == 0
    )
