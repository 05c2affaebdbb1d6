"""Intake's rules on the real database: the repeat rule (R-FLOW-5), duplicate flags held until a supervisor
reviews them, the archive checklist (R-ARC-1), list filters, consent withdrawal."""

from datetime import datetime

import pytest

from shared import clock
from tests.factories import (
    application,
    document_body,
    education_application,
    eventually,
    gov_system,
    pending_case,
    review,
    same_household,
)

pytestmark = pytest.mark.asyncio(loop_scope="session")


async def _submit(client, body, status=201):
    response = await client.post("/intake/v1/applications", json=body)
    assert response.status_code == status, response.text
    return response.json()


async def _status(client, case_id, wanted):
    async def probe():
        current = (await client.get(f"/intake/v1/applications/{case_id}")).json()["status"]
        return current if current == wanted else None

    return await eventually(probe, what=f"intake to see the case {wanted}")


async def _published(db, case_id) -> int:
    return await db.fetchval(
        "SELECT count(*) FROM intake.outbox WHERE key = $1 AND event_type LIKE '%application-submitted%'",
        case_id,
    )


class TestRepeatRule:
    """R-FLOW-5: no second application for the same cause (同一事由)."""

    async def test_the_same_household_and_incident_is_refused_naming_the_earlier_case(self, standalone, db):
        body = application()
        first = await _submit(standalone, body)
        before = await db.fetchval("SELECT count(*) FROM intake.applications")
        again = await standalone.post("/intake/v1/applications", json=same_household(body))
        assert again.status_code == 409 and again.headers["content-type"] == "application/problem+json"
        problem = again.json()
        assert problem["type"].endswith("/repeat-application") and problem["rule"] == "R-FLOW-5"
        assert problem["earlier_case_id"] == first["id"] and problem["earlier_case_no"] == first["case_no"]
        assert first["case_no"] in problem["detail"]
        assert await db.fetchval("SELECT count(*) FROM intake.applications") == before

    async def test_two_simultaneous_applications_for_the_same_cause_make_one_case(self, standalone, db):
        import asyncio

        body = application()
        responses = await asyncio.gather(
            *(standalone.post("/intake/v1/applications", json=same_household(body)) for _ in range(4))
        )
        assert sorted(r.status_code for r in responses) == [201, 409, 409, 409]
        created = next(r.json() for r in responses if r.status_code == 201)
        assert all(r.json()["earlier_case_id"] == created["id"] for r in responses if r.status_code == 409)

    async def test_any_member_of_the_household_applying_alone_is_the_same_household(self, standalone):
        body = application()
        first = await _submit(standalone, body)
        spouse = dict(body["household"][1], relation="self")
        alone = same_household(body, household=[spouse], persons_helped=1)
        again = await standalone.post("/intake/v1/applications", json=alone)
        assert again.status_code == 409 and again.json()["earlier_case_id"] == first["id"]

    async def test_more_bills_in_the_same_ongoing_episode_are_the_same_cause(self, standalone):
        body = application(incident={"description": "长期住院", "occurred_on": "2026-06-01", "ongoing": True})
        first = await _submit(standalone, body)
        later = same_household(
            body, incident={"description": "继续住院", "occurred_on": "2026-09-15", "ongoing": True}
        )
        refused = await standalone.post("/intake/v1/applications", json=later)
        assert refused.status_code == 409 and refused.json()["earlier_case_id"] == first["id"]

    async def test_a_new_incident_is_not_a_repeat_but_is_flagged_while_the_first_is_open(self, standalone):
        body = application()
        first = await _submit(standalone, body)
        later = same_household(
            body, incident={"description": "再次住院", "occurred_on": "2026-11-01", "ongoing": False}
        )
        second = await _submit(standalone, later)
        assert second["status"] == "held" and second["open_duplicate_flags"] == 1
        flags = (
            await standalone.get("/intake/v1/duplicate-flags", params={"application_id": second["id"]})
        ).json()
        assert [(f["kind"], f["matched_application_id"]) for f in flags["items"]] == [
            ("person_in_open_case", first["id"])
        ]

    async def test_a_rejected_case_does_not_block_a_new_application(self, standalone):
        body = application()
        case_id, _ = await pending_case(standalone, body)
        await review(
            standalone, case_id, opinion="rejected", reasons="income above the limit on verification"
        )
        decided = await standalone.post(
            f"/approval/v1/cases/{case_id}/decision",
            json={"decision": "rejected", "actor": "approver-2", "reasons": "agree"},
        )
        assert decided.status_code == 200, decided.text
        await _status(standalone, case_id, "rejected")
        again = await _submit(standalone, same_household(body))
        assert again["status"] == "submitted" and again["open_duplicate_flags"] == 0


class TestDuplicates:
    """A person already in an open case, or a household being helped, is flagged; a supervisor decides."""

    async def test_a_held_case_is_not_assessed_until_a_supervisor_clears_it(self, standalone, db):
        body = application()
        first = await _submit(standalone, body)
        held = await _submit(standalone, same_household(education_application(), household=body["household"]))
        assert held["status"] == "held"
        assert await _published(db, held["id"]) == 0
        assert (await standalone.get(f"/assessment/v1/cases/{held['id']}")).status_code == 404

        cleared = await standalone.post(
            f"/intake/v1/applications/{held['id']}/duplicate-review",
            json={
                "outcome": "cleared",
                "actor": "supervisor-wang",
                "reason": "different cause: the child's tuition",
            },
        )
        assert cleared.status_code == 200, cleared.text
        assert (
            cleared.json()["status"] in ("submitted", "assessed")
            and cleared.json()["open_duplicate_flags"] == 0
        )
        assert await _published(db, held["id"]) == 1

        async def assessed():
            r = await standalone.get(f"/assessment/v1/cases/{held['id']}")
            return r.json() if r.status_code == 200 else None

        assert (await eventually(assessed, what="the cleared case's assessment"))["inputs"][
            "subtype"
        ] == "education"
        flags = (
            await standalone.get(
                "/intake/v1/duplicate-flags", params={"application_id": held["id"], "status": "cleared"}
            )
        ).json()["items"]
        assert len(flags) == 1 and flags[0]["matched_application_id"] == first["id"]
        assert flags[0]["resolved_by"] == "test-officer" and flags[0]["resolved_at"]
        assert flags[0]["resolution_reason"] == "different cause: the child's tuition"
        twice = await standalone.post(
            f"/intake/v1/applications/{held['id']}/duplicate-review",
            json={"outcome": "cleared", "actor": "supervisor-wang", "reason": "again"},
        )
        assert twice.status_code == 409 and twice.headers["content-type"] == "application/problem+json"

    async def test_a_merged_duplicate_stops_and_stays_searchable(self, standalone, db):
        body = application()
        first = await _submit(standalone, body)
        held = await _submit(standalone, same_household(education_application(), household=body["household"]))
        wrong = await standalone.post(
            f"/intake/v1/applications/{held['id']}/duplicate-review",
            json={
                "outcome": "merged",
                "actor": "supervisor-li",
                "reason": "same family",
                "merged_into": "00000000-0000-0000-0000-000000000000",
            },
        )
        assert wrong.status_code == 422 and wrong.json()["errors"][0]["field"] == "merged_into"
        merged = await standalone.post(
            f"/intake/v1/applications/{held['id']}/duplicate-review",
            json={
                "outcome": "merged",
                "actor": "supervisor-li",
                "reason": "the same need, already in the first case",
            },
        )
        assert merged.status_code == 200
        assert merged.json()["status"] == "merged" and merged.json()["merged_into"] == first["id"]
        assert await _published(db, held["id"]) == 0
        found = await standalone.post(
            "/intake/v1/applications/search", json={"id_number": body["household"][1]["id_number"]}
        )
        assert {c["id"]: c["status"] for c in found.json()}[held["id"]] == "merged"
        assert {first["id"], held["id"]} <= {c["id"] for c in found.json()}
        listed = (
            await standalone.get("/intake/v1/duplicate-flags", params={"status": "merged", "limit": 200})
        ).json()
        assert held["id"] in {f["application_id"] for f in listed["items"]}
        by_status = (
            await standalone.get("/intake/v1/applications", params={"status": "merged", "limit": 200})
        ).json()
        assert held["id"] in {c["id"] for c in by_status["items"]}

    async def test_a_household_being_helped_is_flagged(self, standalone):
        body = application()
        case_id, _ = await pending_case(standalone, body)
        await review(standalone, case_id)
        decided = await standalone.post(
            f"/approval/v1/cases/{case_id}/decision",
            json={
                "decision": "approved",
                "confirm_extended_duration": True,
                "actor": "approver-9",
                "reasons": "ok",
            },
        )
        assert decided.status_code == 200
        await _status(standalone, case_id, "approved")
        held = await _submit(standalone, same_household(education_application(), household=body["household"]))
        flags = (
            await standalone.get("/intake/v1/duplicate-flags", params={"application_id": held["id"]})
        ).json()
        assert [f["kind"] for f in flags["items"]] == ["household_being_helped"]

    async def test_flags_page_with_a_keyset_cursor_and_filters(self, standalone):
        township = "140303004"
        for _ in range(3):
            body = application(address={"county_code": "140303", "township_code": township, "detail": "某路"})
            await _submit(standalone, body)
            await _submit(
                standalone,
                same_household(education_application(), household=body["household"], address=body["address"]),
            )
        seen, cursor = [], None
        while True:
            params = {"township_code": township, "kind": "person_in_open_case", "limit": 2} | (
                {"cursor": cursor} if cursor else {}
            )
            page = (await standalone.get("/intake/v1/duplicate-flags", params=params)).json()
            seen += [f["id"] for f in page["items"]]
            assert all(f["township_code"] == township for f in page["items"])
            cursor = page["next_cursor"]
            if not cursor:
                break
        assert len(seen) == len(set(seen)) == 3  # one flag per household, each only once
        bad = await standalone.get("/intake/v1/duplicate-flags", params={"cursor": "garbage"})
        assert bad.status_code == 422


class TestArchive:
    """R-ARC-1: each case's checklist by type; documents recorded with metadata, hash and location."""

    async def test_the_case_shows_which_required_items_are_missing(self, standalone):
        case = await _submit(standalone, application())
        assert (
            "medical_bills" in case["missing_documents"]
            and "accident_certificate" not in case["missing_documents"]
        )
        archive = (await standalone.get(f"/intake/v1/applications/{case['id']}/documents")).json()
        assert archive["missing"] == case["missing_documents"] and archive["documents"] == []
        doc = document_body("medical_bills")
        recorded = await standalone.post(f"/intake/v1/applications/{case['id']}/documents", json=doc)
        assert recorded.status_code == 201, recorded.text
        assert (
            recorded.json()["sha256"] == doc["sha256"]
            and recorded.json()["storage_uri"] == doc["storage_uri"]
        )
        replay = await standalone.post(f"/intake/v1/applications/{case['id']}/documents", json=doc)
        assert replay.status_code == 200 and replay.json()["id"] == recorded.json()["id"]
        after = (await standalone.get(f"/intake/v1/applications/{case['id']}")).json()
        assert after["missing_documents"] == [k for k in case["missing_documents"] if k != "medical_bills"]
        archive = (await standalone.get(f"/intake/v1/applications/{case['id']}/documents")).json()
        assert [d["kind"] for d in archive["documents"]] == ["medical_bills"]
        assert {i["kind"]: i["recorded"] for i in archive["required"]}["medical_bills"] is True

    @pytest.mark.parametrize(
        "subtype,body",
        [
            ("fire_or_accident", {"category": "emergency", "subtype": "fire_or_accident", "medical": None}),
            ("education", None),
        ],
    )
    async def test_the_checklist_depends_on_the_case_type(self, standalone, subtype, body):
        payload = education_application() if body is None else application(**body)
        case = await _submit(standalone, payload)
        missing = set(case["missing_documents"])
        assert ("accident_certificate" in missing) is (subtype == "fire_or_accident")
        assert ("education_cost_proof" in missing) is (subtype == "education")
        assert ("verification_report" in missing) is (subtype == "education")

    @pytest.mark.parametrize(
        "spoil,field",
        [
            ({"kind": "selfie"}, "kind"),
            ({"sha256": "abc"}, "sha256"),
            ({"storage_uri": "no scheme"}, "storage_uri"),
            ({"size_bytes": 0}, "size_bytes"),
        ],
    )
    async def test_a_bad_document_is_a_422_naming_the_field(self, standalone, db, spoil, field):
        case = await _submit(standalone, application())
        response = await standalone.post(
            f"/intake/v1/applications/{case['id']}/documents",
            json={**document_body("medical_bills"), **spoil},
        )
        assert response.status_code == 422 and field in [e["field"] for e in response.json()["errors"]]
        assert (
            await db.fetchval("SELECT count(*) FROM intake.documents WHERE application_id = $1", case["id"])
            == 0
        )

    async def test_a_document_for_an_unknown_case_is_404(self, standalone):
        response = await standalone.post(
            "/intake/v1/applications/00000000-0000-0000-0000-000000000000/documents",
            json=document_body("id_card"),
        )
        assert response.status_code == 404


async def test_lists_filter_by_township_status_category_sub_type_and_date(standalone):
    township = "140322103"
    address = {"county_code": "140322", "township_code": township, "detail": "某村"}
    made = [
        await _submit(standalone, application(address=address)),  # each with its own household
        await _submit(standalone, education_application(address=address)),
        await _submit(
            standalone,
            application(address=address, category="emergency", subtype="fire_or_accident", medical=None),
        ),
    ]
    today = clock.local_date(datetime.fromisoformat(made[0]["submitted_at"])).isoformat()  # China's date

    async def ids(**params):
        page = (
            await standalone.get(
                "/intake/v1/applications", params={"township_code": township, "limit": 200, **params}
            )
        ).json()
        return {c["id"] for c in page["items"]}

    assert {c["id"] for c in made} <= await ids(submitted_from=today, submitted_to=today)
    assert await ids(category="emergency") & {c["id"] for c in made} == {made[2]["id"]}
    assert await ids(subtype="education") & {c["id"] for c in made} == {made[1]["id"]}
    assert not await ids(submitted_to="2020-01-01")
    body = application(address=address)
    await _submit(standalone, body)
    held = await _submit(
        standalone, same_household(education_application(), household=body["household"], address=address)
    )
    assert await ids(status="held") == {held["id"]}
    bad = await standalone.get("/intake/v1/applications", params={"status": "nonsense"})
    assert bad.status_code == 422


async def test_each_consent_withdrawal_is_recorded_and_published_once(standalone, db):
    case = await _submit(
        standalone,
        application(
            consents={
                "verify_economic_situation": True,
                "share_with_charities": True,
                "share_health_data": True,
            }
        ),
    )
    url = f"/intake/v1/applications/{case['id']}/consents/share_with_charities/withdrawal"
    first = await standalone.post(url)
    second = await standalone.post(url)
    assert first.status_code == second.status_code == 200
    assert first.json()["consents"] == {
        "verify_economic_situation": True,
        "share_with_charities": False,
        "share_health_data": False,
    }  # health data rides on sharing (R-CHA-2)
    assert (
        await db.fetchval(
            "SELECT count(*) FROM intake.outbox WHERE key = $1 AND event_type LIKE '%consent-withdrawn%'",
            case["id"],
        )
        == 1
    )
    assert (
        await db.fetchval("SELECT count(*) FROM intake.consent_events WHERE application_id = $1", case["id"])
        == 1
    )


async def test_an_application_from_another_government_system_is_named_by_its_token(standalone, db):
    before = await db.fetchval("SELECT count(*) FROM intake.applications")
    claimed = await standalone.post("/intake/v1/applications", json=application(channel="gov_system"))
    assert claimed.status_code == 403 and claimed.json()["field"] == "channel"
    assert await db.fetchval("SELECT count(*) FROM intake.applications") == before
    named = await standalone.post(
        "/intake/v1/applications", json=application(), headers=gov_system("civil-affairs-big-data")
    )
    named = named.json()
    assert named["channel"] == "gov_system" and named["referring_system"] == "civil-affairs-big-data"
