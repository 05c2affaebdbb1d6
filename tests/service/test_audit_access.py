"""Every access recorded, for the right people (issue 13 §3): one audit entry per request, refused attempts
in their own transaction, partner calls with the partner as actor, entries placed in the object's county
and township, and ``/audit/entries`` and the export scoped to the auditor's jurisdiction."""

from __future__ import annotations

import json
import uuid

import pytest

from tests.factories import address, application, auth, pending_case, review
from tests.service.test_referral_exchange import decided_case, offers_to, record_of

A_COUNTY, A_TOWNSHIP = "140302", "140302003"
A_OTHER_TOWNSHIP = "140302004"
B_COUNTY = "140303"


def rid() -> str:
    return uuid.uuid4().hex


async def entries_of(db, service: str, request_id: str) -> list[dict]:
    found = await db.fetch(
        f"SELECT * FROM {service}.audit_log WHERE request_id = $1 ORDER BY id",  # noqa: S608
        request_id,
    )
    return [{**dict(r), "target": json.loads(r["target"])} for r in found]


async def a_case(client, township: str = A_TOWNSHIP) -> str:
    case_id, _ = await pending_case(client, application(address=address(township[:6], township)))
    return case_id


async def test_a_refused_request_is_audited_even_though_its_change_rolls_back(standalone, db):
    case_id = await a_case(standalone)
    before = (await standalone.get(f"/approval/v1/cases/{case_id}")).json()
    outsider = auth("outside-reviewer", "township_reviewer", township=A_OTHER_TOWNSHIP)
    request_id = rid()
    refused = await review(standalone, case_id, headers={**outsider, "X-Request-ID": request_id})
    assert refused.status_code == 404  # outside the jurisdiction: as if it did not exist

    [entry] = await entries_of(db, "approval", request_id)
    assert (entry["kind"], entry["status"], entry["actor"]) == ("refused", 404, "outside-reviewer")
    assert (entry["county_code"], entry["township_code"]) == (A_COUNTY, A_TOWNSHIP)  # the object's place
    assert entry["action"] == "POST /approval/v1/cases/{case_id}/review" and entry["target"] == {
        "case_id": case_id
    }
    after = (await standalone.get(f"/approval/v1/cases/{case_id}")).json()
    assert (after["status"], after["decisions"]) == (before["status"], before["decisions"])  # rolled back


async def test_a_call_without_a_valid_token_is_audited_as_anonymous(standalone, db):
    for headers in ({}, {"Authorization": "Bearer not-a-token"}):
        request_id = rid()
        response = await standalone.get(
            "/approval/v1/cases", headers={"Authorization": "", **headers, "X-Request-ID": request_id}
        )
        assert response.status_code == 401
        [entry] = await entries_of(db, "approval", request_id)
        assert (entry["actor"], entry["roles"], entry["kind"], entry["status"]) == (
            "anonymous",
            "",
            "refused",
            401,
        )


async def test_a_caller_without_the_role_is_audited_by_name_in_its_own_jurisdiction(standalone, db):
    request_id = rid()
    clerk = auth("nosy-clerk", "intake_clerk", township=A_TOWNSHIP)
    response = await standalone.get(
        "/approval/v1/audit/entries", headers={**clerk, "X-Request-ID": request_id}
    )
    assert response.status_code == 403
    [entry] = await entries_of(db, "approval", request_id)
    assert (entry["actor"], entry["status"], entry["township_code"]) == ("nosy-clerk", 403, A_TOWNSHIP)


async def test_every_request_leaves_exactly_one_entry(standalone, db):
    case_id = await a_case(standalone)
    reviewer = auth("one-entry-reviewer", "township_reviewer", township=A_TOWNSHIP)
    calls = {
        "read": ("GET", f"/approval/v1/cases/{case_id}", None, 200),
        # a change that then reads the case back: one entry, committed with the change
        "change": ("POST", f"/approval/v1/cases/{case_id}/review", review, 200),
        "list": ("GET", "/approval/v1/cases", None, 200),
        "invalid": ("GET", "/approval/v1/cases?limit=0", None, 422),
    }
    for kind, (method, path, _, status) in calls.items():
        request_id = rid()
        headers = {**reviewer, "X-Request-ID": request_id}
        if kind == "change":
            response = await review(standalone, case_id, headers=headers)
        else:
            response = await standalone.request(method, path, headers=headers)
        assert response.status_code == status, response.text
        found = await entries_of(db, "approval", request_id)
        assert len(found) == 1, (kind, found)
        expected = {"read": "read", "change": "change", "list": "read", "invalid": "refused"}[kind]
        assert found[0]["kind"] == expected


async def test_a_township_auditor_reads_only_its_townships_entries(standalone, db):
    mine, theirs = await a_case(standalone, A_TOWNSHIP), await a_case(standalone, A_OTHER_TOWNSHIP)
    seen = {}
    for case_id in (mine, theirs):
        seen[case_id] = rid()
        response = await standalone.get(
            f"/approval/v1/cases/{case_id}", headers={"X-Request-ID": seen[case_id]}
        )
        assert response.status_code == 200

    township_auditor = auth("township-auditor", "auditor", township=A_TOWNSHIP)
    listed = await standalone.get("/approval/v1/audit/entries?limit=1000", headers=township_auditor)
    assert listed.status_code == 200
    entries = listed.json()
    assert entries and {e["township_code"] for e in entries} == {A_TOWNSHIP}
    ids = {e["request_id"] for e in entries}
    assert seen[mine] in ids and seen[theirs] not in ids
    for other in ({"township_code": A_OTHER_TOWNSHIP}, {"county_code": B_COUNTY}):
        asked = await standalone.get("/approval/v1/audit/entries", params=other, headers=township_auditor)
        assert asked.status_code == 403
    exported = await standalone.get("/approval/v1/audit/export", headers=township_auditor)
    lines = [json.loads(line) for line in exported.text.splitlines()]
    assert {e["township_code"] for e in lines} == {A_TOWNSHIP} and seen[theirs] not in str(lines)

    county_auditor = auth("county-auditor", "auditor", county=A_COUNTY)
    county = (await standalone.get("/approval/v1/audit/entries?limit=1000", headers=county_auditor)).json()
    assert {e["county_code"] for e in county} == {A_COUNTY}
    assert {seen[mine], seen[theirs]} <= {e["request_id"] for e in county}


@pytest.mark.usefixtures("standalone")
async def test_partner_calls_are_audited_with_the_partner_as_actor(standalone, partners, db):
    partner = await partners(service_areas=["140302005"])
    other = await partners(service_areas=["140302"], need_types=["education"])
    case_id = await decided_case(standalone, township="140302005")
    ref = (await record_of(standalone, case_id))["case_ref"]
    [offer] = await offers_to(standalone, partner, ref)
    key = {"Authorization": f"Bearer {partner['api_key']}"}
    base = f"/referral/v1/partners/{partner['id']}"
    task = f"{base}/referrals/{offer['task_id']}"
    actor = f"partner:{partner['id']}"

    calls = [
        ("GET", f"{base}/feed", key, 200, actor, "read"),
        ("GET", task, key, 200, actor, "read"),
        ("POST", f"{task}/fulfil", key, 409, actor, "refused"),  # not accepted yet (policy refusal)
        ("POST", f"{task}/accept", key, 200, actor, "change"),
        ("GET", f"{base}/feed", {"Authorization": "Bearer pk_unknown"}, 401, "anonymous", "refused"),
        (
            "GET",
            f"/referral/v1/partners/{other['id']}/feed",
            key,
            404,
            actor,
            "refused",
        ),  # another partner's id
    ]
    for method, path, headers, status, who, kind in calls:
        request_id = rid()
        body = {"amount": "1.00", "form": "cash"} if path.endswith("/fulfil") else None
        response = await standalone.request(
            method, path, headers={**headers, "X-Request-ID": request_id}, json=body
        )
        assert response.status_code == status, (path, response.text)
        [entry] = await entries_of(db, "referral", request_id)
        assert (entry["actor"], entry["kind"]) == (who, kind), (path, entry)
        assert entry["status"] in (status, None)  # a committed change carries no status
        if who != "anonymous":
            assert entry["roles"] == "partner"
    reads = await entries_of(db, "referral", request_id)
    assert reads[0]["target"] == {"partner_id": other["id"]}
    placed = await db.fetchval(
        "SELECT township_code FROM referral.audit_log WHERE action LIKE '%{task_id}' AND actor = $1 "
        "ORDER BY id DESC LIMIT 1",
        actor,
    )
    assert placed == "140302005"  # the task's township
