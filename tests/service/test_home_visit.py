"""R-ARC-1: the home visit (入户调查) and an archive complete before anyone approves. A case's archive
completeness reaches approval as intake's ArchiveCompleteness event (through the inbox); an approving
review or decision is refused with 409 ``archive-incomplete`` naming the missing items until they are
recorded, or until a county approver overrides with a recorded reason."""

import pytest

from tests.factories import (
    REVIEW,
    VISITOR,
    auth,
    complete_archive,
    document_body,
    emergency_application,
    eventually,
    pending_case,
    record_home_visit,
    reviewer,
)

pytestmark = pytest.mark.asyncio(loop_scope="session")

APPROVE = {"decision": "approved", "confirm_extended_duration": True, "reasons": "ok"}


async def _papers_without_visit(client, case_id: str) -> None:
    """Every item due before review except the home-visit report."""
    archive = (await client.get(f"/intake/v1/applications/{case_id}/documents")).json()
    for item in archive["required"]:
        if item["stage"] == "intake" and not item["recorded"]:
            created = await client.post(
                f"/intake/v1/applications/{case_id}/documents", json=document_body(item["kind"])
            )
            assert created.status_code == 201, created.text


async def _approval_archive(client, case_id: str, blocking: list[str]) -> dict:
    async def reported():
        case = (await client.get(f"/approval/v1/cases/{case_id}")).json()
        archive = case.get("archive")
        return archive if archive is not None and archive["blocking"] == blocking else None

    return await eventually(reported, what=f"approval to hold the archive blocking {blocking}")


async def test_a_case_without_its_visit_report_cannot_be_approved_until_the_report_is_recorded(standalone):
    case_id, _ = await pending_case(standalone, emergency_application())
    await _papers_without_visit(standalone, case_id)
    await _approval_archive(standalone, case_id, ["home_visit_report"])

    refused = await standalone.post(f"/approval/v1/cases/{case_id}/review", json=REVIEW, headers=reviewer())
    assert refused.status_code == 409, refused.text
    problem = refused.json()
    assert problem["type"].endswith("/archive-incomplete") and problem["missing"] == ["home_visit_report"]
    assert "R-ARC-1" in problem["detail"]
    tasks = (await standalone.get("/intake/v1/home-visit-tasks", params={"limit": 200})).json()
    assert case_id in {t["application_id"] for t in tasks}  # the township's visit task

    visit = await record_home_visit(standalone, case_id)
    assert visit["status"] == "confirmed" and visit["visitors"] == ["test-officer", VISITOR]
    await _approval_archive(standalone, case_id, [])
    reviewed = await standalone.post(f"/approval/v1/cases/{case_id}/review", json=REVIEW, headers=reviewer())
    assert reviewed.status_code == 200, reviewed.text
    decided = await standalone.post(f"/approval/v1/cases/{case_id}/decision", json=APPROVE)
    assert decided.status_code == 200 and decided.json()["status"] == "approved", decided.text
    archive = (await standalone.get(f"/intake/v1/applications/{case_id}/documents")).json()
    report = next(d for d in archive["documents"] if d["kind"] == "home_visit_report")
    assert report["id"] == visit["document_id"] and len(report["sha256"]) == 64
    tasks = (await standalone.get("/intake/v1/home-visit-tasks", params={"limit": 200})).json()
    assert case_id not in {t["application_id"] for t in tasks}


async def test_a_decision_is_refused_when_the_archive_lacks_papers_and_names_them(standalone):
    case_id, _ = await pending_case(standalone, emergency_application())
    await _approval_archive(
        standalone,
        case_id,
        ["application_form", "household_register", "id_card", "accident_certificate", "home_visit_report"],
    )
    refused = await standalone.post(f"/approval/v1/cases/{case_id}/review", json=REVIEW, headers=reviewer())
    assert refused.status_code == 409
    assert refused.json()["missing"] == [
        "application_form",
        "household_register",
        "id_card",
        "accident_certificate",
        "home_visit_report",
    ]
    returned = await standalone.post(
        f"/approval/v1/cases/{case_id}/review",
        json={"opinion": "returned", "reasons": "缺少事故证明"},
        headers=reviewer(),
    )
    assert returned.status_code == 200, returned.text  # sending back needs no complete archive


async def test_a_county_approver_overrides_the_missing_items_with_a_recorded_reason(standalone):
    case_id, _ = await pending_case(standalone, emergency_application())
    await _papers_without_visit(standalone, case_id)
    await _approval_archive(standalone, case_id, ["home_visit_report"])
    township = auth("township-head", "township_approver", county="140302", township="140302001")
    body = {"reason": "申请人住院，入户调查改为医院走访，报告后补"}
    not_county = await standalone.post(
        f"/approval/v1/cases/{case_id}/archive-override", json=body, headers=township
    )
    assert not_county.status_code == 403
    overridden = await standalone.post(
        f"/approval/v1/cases/{case_id}/archive-override",
        json=body,
        headers=auth("county-head", "county_approver", county="140302"),
    )
    assert overridden.status_code == 200, overridden.text
    archive = overridden.json()["archive"]
    assert archive["override_items"] == ["home_visit_report"] and archive["override_by"] == "county-head"
    assert archive["override_reason"] == body["reason"] and archive["blocking"] == []
    again = await standalone.post(
        f"/approval/v1/cases/{case_id}/archive-override",
        json=body,
        headers=auth("county-head", "county_approver", county="140302"),
    )
    assert again.status_code == 409 and again.json()["type"].endswith("/nothing-to-override")
    reviewed = await standalone.post(f"/approval/v1/cases/{case_id}/review", json=REVIEW, headers=reviewer())
    assert reviewed.status_code == 200, reviewed.text


async def test_the_second_visitor_must_be_another_officer_and_only_they_sign(standalone):
    case_id, _ = await pending_case(standalone, emergency_application())
    base = f"/intake/v1/applications/{case_id}/home-visits"
    body = {
        "visited_on": "2026-11-02",
        "findings": "房屋烧毁",
        "living_conditions": "借住",
    }
    alone = await standalone.post(base, json={**body, "second_visitor": "test-officer"})
    assert alone.status_code == 409 and alone.json()["type"].endswith("/visitors-not-distinct")
    future = await standalone.post(base, json={**body, "second_visitor": VISITOR, "visited_on": "2099-01-01"})
    assert future.status_code == 422
    not_a_photo = await standalone.post(
        base, json={**body, "second_visitor": VISITOR, "photo_document_ids": [case_id]}
    )
    assert not_a_photo.status_code == 422 and "photo_document_ids[0]" in not_a_photo.text
    photo = await standalone.post(
        f"/intake/v1/applications/{case_id}/documents",
        json=document_body("home_visit_photo", media_type="image/jpeg"),
    )
    assert photo.status_code == 201, photo.text
    recorded = await standalone.post(
        base, json={**body, "second_visitor": VISITOR, "photo_document_ids": [photo.json()["id"]]}
    )
    assert recorded.status_code == 201 and recorded.json()["status"] == "awaiting_confirmation"
    visit_id = recorded.json()["id"]
    stranger = await standalone.post(
        f"{base}/{visit_id}/confirmation", headers=auth("someone-else", "township_reviewer")
    )
    assert stranger.status_code == 403 and stranger.json()["type"].endswith("/not-the-second-visitor")
    archive = (await standalone.get(f"/intake/v1/applications/{case_id}/documents")).json()
    assert "home_visit_report" in archive["missing"]  # not an archive item before both signed
    signed = await standalone.post(
        f"{base}/{visit_id}/confirmation", headers=auth(VISITOR, "township_reviewer")
    )
    assert signed.status_code == 200 and signed.json()["findings"] == "房屋烧毁"
    twice = await standalone.post(
        f"{base}/{visit_id}/confirmation", headers=auth(VISITOR, "township_reviewer")
    )
    assert twice.status_code == 409 and twice.json()["type"].endswith("/visit-already-confirmed")
    listed = (await standalone.get(base)).json()
    assert [v["id"] for v in listed] == [visit_id]


async def test_a_home_visit_report_cannot_be_uploaded_as_a_plain_document(standalone):
    case_id, _ = await pending_case(standalone, emergency_application())
    refused = await standalone.post(
        f"/intake/v1/applications/{case_id}/documents", json=document_body("home_visit_report")
    )
    assert refused.status_code == 409 and refused.json()["type"].endswith("/home-visit-report-through-visit")


async def test_the_report_is_stored_encrypted(standalone, db):
    case_id, _ = await pending_case(standalone, emergency_application())
    await complete_archive(standalone, case_id)
    stored = await db.fetchval("SELECT report FROM intake.home_visits WHERE application_id = $1", case_id)
    assert stored and "无其他收入来源" not in stored
