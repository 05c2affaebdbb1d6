"""Four eyes on money (issue 13 §1), on the real app, database and broker: every decision (审批) follows a
review (审核) by someone else (R-FLOW-1), also for the paperwork after help first (R-FLOW-2); an account
change waits for a second person (R-AID-2); the recorded actor is always the token's subject."""

from __future__ import annotations

import json

import pytest

from tests.factories import (
    address,
    application,
    auth,
    emergency_application,
    eventually,
    gov_system,
    pending_case,
    review,
)

pytestmark = pytest.mark.asyncio(loop_scope="session")

COUNTY, TOWNSHIP = "140311", "140311102"  # 郊区 (county of the city), one of its townships
CASE_DECIDED = "gov.assistance.approval.case-decided.v1"
NEW_ACCOUNT = "6216610000009876"


async def _decide(client, case_id, headers=None, **body):
    return await client.post(
        f"/approval/v1/cases/{case_id}/decision",
        headers=headers,
        json={"decision": "approved", "reasons": "meets R-CAT-2", "confirm_extended_duration": True, **body},
    )


def _finance(subject: str) -> dict[str, str]:
    return auth(subject, "finance_officer", township=TOWNSHIP)


def _change(reason: str = "old card lost", account: str = NEW_ACCOUNT) -> dict[str, str]:
    return {"name": "张小明", "bank": "中国银行", "account": account, "reason": reason}


async def _payments(client, case_id):
    return (await client.get(f"/disbursement/v1/cases/{case_id}/payments")).json()


async def test_an_unreviewed_expenditure_case_cannot_be_approved(standalone, db):
    case_id, _ = await pending_case(standalone, application(address=address(COUNTY, TOWNSHIP)))
    for decision in ("approved", "rejected"):
        refused = await _decide(
            standalone, case_id, headers=auth("county-head", "county_approver"), decision=decision
        )
        assert refused.status_code == 409, refused.text
        assert refused.headers["content-type"] == "application/problem+json"
        assert refused.json()["rule"] == "R-FLOW-1" and refused.json()["type"].endswith("/review-required")
    assert await db.fetchval("SELECT count(*) FROM approval.decisions WHERE case_id = $1", case_id) == 0
    assert (
        await db.fetchval(
            "SELECT count(*) FROM approval.outbox WHERE key = $1 AND event_type = $2", case_id, CASE_DECIDED
        )
        == 0
    )
    assert (await standalone.get(f"/approval/v1/cases/{case_id}")).json()["status"] == "pending"


async def test_the_person_who_reviewed_a_case_cannot_approve_it(standalone):
    case_id, _ = await pending_case(standalone, application(address=address(COUNTY, TOWNSHIP)))
    both = auth("one-person", "township_reviewer", "county_approver", county=COUNTY)
    assert (await review(standalone, case_id, headers=both)).status_code == 200
    same = await _decide(standalone, case_id, headers=both)
    assert same.status_code == 409 and same.json()["type"].endswith("/separation-of-duties")
    assert same.json()["rule"] == "R-FLOW-1"
    other = await _decide(
        standalone, case_id, headers=auth("another-person", "county_approver", county=COUNTY)
    )
    assert other.status_code == 200, other.text
    assert [(d["step"], d["actor"]) for d in other.json()["decisions"]] == [
        ("review", "one-person"),
        ("approval", "another-person"),
    ]


async def test_help_first_is_one_step_but_its_paperwork_needs_a_review_by_another_person(standalone, db):
    case_id, case = await pending_case(standalone, emergency_application(address=address(COUNTY, TOWNSHIP)))
    head = auth("county-head", "county_approver", county=COUNTY)
    granted = await standalone.post(
        f"/approval/v1/cases/{case_id}/help-first",
        headers=head,
        json={"amount": "100.00", "reasons": "house burnt down (R-FLOW-2)", "channel": "direct"},
    )
    assert granted.status_code == 201, granted.text  # one step, by design
    unreviewed = await _decide(standalone, case_id, headers=head, amount=case["assessed_amount"])
    assert unreviewed.status_code == 409 and unreviewed.json()["rule"] == "R-FLOW-1"
    assert (await review(standalone, case_id, headers=head)).status_code == 200
    self_approved = await _decide(standalone, case_id, headers=head)
    assert self_approved.status_code == 409 and self_approved.json()["type"].endswith("/separation-of-duties")
    done = await _decide(standalone, case_id, headers=auth("county-deputy", "county_approver", county=COUNTY))
    assert done.status_code == 200, done.text
    assert done.json()["help_first"]["status"] == "completed"
    event = json.loads(
        await db.fetchval(
            "SELECT envelope->'data' FROM approval.outbox WHERE key = $1 AND event_type = $2",
            case_id,
            CASE_DECIDED,
        )
    )
    assert (event["actor"], event["reviewed_by"]) == ("county-deputy", "county-head")


async def test_a_payee_change_waits_for_a_second_person(standalone, db):
    case_id, _ = await pending_case(standalone, application(address=address(COUNTY, TOWNSHIP)))
    asked = await standalone.put(
        f"/disbursement/v1/cases/{case_id}/payee",
        headers=_finance("finance-1"),
        json={**_change(), "actor": "someone-else"},
    )
    assert asked.status_code == 201, asked.text
    change = asked.json()
    assert (change["status"], change["requested_by"]) == ("pending", "finance-1")
    assert change["old"]["account"].endswith("3445") and change["new"]["account"].endswith("9876")
    second = await standalone.put(
        f"/disbursement/v1/cases/{case_id}/payee", headers=_finance("finance-3"), json=_change("again")
    )
    assert second.status_code == 409 and second.json()["type"].endswith("/payee-change-pending")
    own = await standalone.post(
        f"/disbursement/v1/payee-changes/{change['id']}/decision",
        headers=_finance("finance-1"),
        json={"decision": "approved", "reason": "I checked it myself"},
    )
    assert own.status_code == 409 and own.json()["rule"] == "R-AID-2"
    assert own.json()["type"].endswith("/separation-of-duties")
    queue = await standalone.get("/disbursement/v1/payee-changes", headers=_finance("finance-2"))
    assert change["id"] in {c["id"] for c in queue.json()}

    # Before the change is approved, the case is approved and paid to the account on record.
    assert (await review(standalone, case_id)).status_code == 200
    assert (await _decide(standalone, case_id)).status_code == 200
    paid = await eventually(lambda: _payments(standalone, case_id), what="the payment instruction")
    assert paid[0]["payee_account"].endswith("3445")

    approved = await standalone.post(
        f"/disbursement/v1/payee-changes/{change['id']}/decision",
        headers=_finance("finance-2"),
        json={"decision": "approved", "reason": "bank letter seen", "actor": "finance-1"},
    )
    assert approved.status_code == 200, approved.text
    out = approved.json()
    assert (out["status"], out["requested_by"], out["decided_by"]) == ("approved", "finance-1", "finance-2")
    assert out["decision_reason"] == "bank letter seen" and out["decided_at"] is not None
    stored = await db.fetchrow("SELECT * FROM disbursement.payee_changes WHERE id = $1", change["id"])
    assert NEW_ACCOUNT not in str(dict(stored))  # sealed at rest
    after = await standalone.get("/disbursement/v1/payee-changes", headers=_finance("finance-2"))
    assert change["id"] not in {c["id"] for c in after.json()}


async def test_payments_without_an_account_wait_for_the_approved_change(standalone, db):
    case_id, _ = await pending_case(standalone, application(address=address(COUNTY, TOWNSHIP), payee=None))
    assert (await review(standalone, case_id)).status_code == 200
    assert (await _decide(standalone, case_id)).status_code == 200
    asked = await standalone.put(
        f"/disbursement/v1/cases/{case_id}/payee",
        headers=_finance("finance-1"),
        json=_change("first account"),
    )
    assert asked.status_code == 201 and asked.json()["old"] is None
    rejected = await standalone.post(
        f"/disbursement/v1/payee-changes/{asked.json()['id']}/decision",
        headers=auth("township-head", "township_approver", township=TOWNSHIP),
        json={"decision": "rejected", "reason": "name does not match the applicant"},
    )
    assert rejected.json()["status"] == "rejected"
    assert await _payments(standalone, case_id) == []  # nothing paid to an unapproved account
    again = await standalone.put(
        f"/disbursement/v1/cases/{case_id}/payee", headers=_finance("finance-1"), json=_change("corrected")
    )
    assert again.status_code == 201
    assert await _payments(standalone, case_id) == []
    approved = await standalone.post(
        f"/disbursement/v1/payee-changes/{again.json()['id']}/decision",
        headers=_finance("finance-2"),
        json={"decision": "approved", "reason": "account verified"},
    )
    assert approved.json()["status"] == "approved"
    rows = await _payments(standalone, case_id)
    assert len(rows) == 1 and rows[0]["payee_account"].endswith("9876") and rows[0]["status"] == "scheduled"
    event = json.loads(
        await db.fetchval(
            "SELECT envelope->'data' FROM disbursement.outbox WHERE key = $1 AND event_type = "
            "'gov.assistance.disbursement.payee-change-approved.v1'",
            case_id,
        )
    )
    assert event["scheduled_instruction_ids"] == [rows[0]["id"]] and event["approved_by"] == "finance-2"
    assert NEW_ACCOUNT not in json.dumps(event)


async def test_a_payee_change_is_decided_only_within_its_jurisdiction(standalone):
    case_id, _ = await pending_case(standalone, application(address=address(COUNTY, TOWNSHIP)))
    asked = await standalone.put(
        f"/disbursement/v1/cases/{case_id}/payee", headers=_finance("finance-1"), json=_change()
    )
    neighbour = auth("neighbour-finance", "finance_officer", township="140311101")
    foreign = await standalone.post(
        f"/disbursement/v1/payee-changes/{asked.json()['id']}/decision",
        headers=neighbour,
        json={"decision": "approved", "reason": "x"},
    )
    assert foreign.status_code == 404
    listed = await standalone.get("/disbursement/v1/payee-changes", headers=neighbour)
    assert asked.json()["id"] not in {c["id"] for c in listed.json()}
    clerk = await standalone.post(
        f"/disbursement/v1/payee-changes/{asked.json()['id']}/decision",
        headers=auth("clerk-2", "intake_clerk", township=TOWNSHIP),
        json={"decision": "approved", "reason": "x"},
    )
    assert clerk.status_code == 403


async def test_an_account_changed_by_amending_the_application_waits_for_a_second_person(standalone):
    body = application(address=address(COUNTY, TOWNSHIP))
    case_id, _ = await pending_case(standalone, body)
    clerk = auth("clerk-1", "intake_clerk", township=TOWNSHIP)
    amended = {k: v for k, v in body.items() if k != "consents"}
    amended["payee"] = {"name": "张小明", "bank": "中国银行", "account": NEW_ACCOUNT}
    r = await standalone.put(
        f"/intake/v1/applications/{case_id}", headers=clerk, json={**amended, "reason": "new bank card"}
    )
    assert r.status_code == 200, r.text

    async def pending():
        rows = (await standalone.get(f"/disbursement/v1/cases/{case_id}/payee-changes")).json()
        return rows or None

    changes = await eventually(pending, what="the amended account as a pending change")
    assert [(c["status"], c["requested_by"]) for c in changes] == [("pending", "clerk-1")]
    assert changes[0]["old"]["account"].endswith("3445") and changes[0]["new"]["account"].endswith("9876")


async def test_a_handover_records_the_caller_and_names_its_witness(standalone, db):
    case_id, _ = await pending_case(standalone, application(address=address(COUNTY, TOWNSHIP)))
    assert (await review(standalone, case_id)).status_code == 200
    assert (await _decide(standalone, case_id, form="in_kind")).status_code == 200
    goods = (await eventually(lambda: _payments(standalone, case_id), what="the in-kind payment"))[0]
    body = {
        "witness_name": "村委会 王主任",
        "recipient_name": "张小明",
        "items": "rice 50kg",
        "procurement_reference": "YQ-ZFCG-2026-0901",
    }
    path = f"/disbursement/v1/payments/{goods['id']}/handover"
    cashier = _finance("cashier-7")
    claimed = await standalone.post(path, headers=cashier, json={**body, "handed_over_by": "someone-else"})
    assert claimed.status_code == 422 and claimed.json()["errors"][0]["field"] == "handed_over_by"
    own_witness = await standalone.post(path, headers=cashier, json={**body, "witness_name": "cashier-7"})
    assert own_witness.status_code == 409 and own_witness.json()["errors"][0]["field"] == "witness_name"
    assert own_witness.json()["type"].endswith("/separation-of-duties")  # R-AID-2, four eyes
    done = await standalone.post(path, headers=cashier, json=body)
    assert done.status_code == 200, done.text
    row = await db.fetchrow(
        "SELECT handed_over_by, witness FROM disbursement.handovers WHERE instruction_id = $1", goods["id"]
    )
    assert (row["handed_over_by"], row["witness"]) == ("cashier-7", "村委会 王主任")


async def test_a_clerk_cannot_claim_to_be_a_government_system(standalone, db):
    clerk = auth("clerk-1", "intake_clerk", township=TOWNSHIP)
    before = await db.fetchval("SELECT count(*) FROM intake.applications")
    for claim, field in (
        ({"channel": "gov_system", "referring_system": "公安110"}, "channel"),
        ({"referring_system": "公安110"}, "referring_system"),
    ):
        refused = await standalone.post(
            "/intake/v1/applications",
            headers=clerk,
            json=application(address=address(COUNTY, TOWNSHIP), **claim),
        )
        assert refused.status_code == 403, refused.text
        assert refused.json()["field"] == field and refused.json()["type"].endswith(
            "/not-a-government-system"
        )
    assert await db.fetchval("SELECT count(*) FROM intake.applications") == before
    system = await standalone.post(
        "/intake/v1/applications",
        headers=gov_system("urn:gov:emergency-management"),
        json=application(address=address(COUNTY, TOWNSHIP), referring_system="公安110"),
    )
    assert system.status_code == 201, system.text
    assert (system.json()["channel"], system.json()["referring_system"]) == (
        "gov_system",
        "urn:gov:emergency-management",
    )
