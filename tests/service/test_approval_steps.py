"""Approval's steps on the real database: review then approval (R-FLOW-1), tiers and escalation
(R-FLOW-3), staged help (R-FLOW-4), sending back, batches."""

import uuid
from decimal import Decimal

import pytest

from shared import clock
from tests.factories import address, application, auth, eventually, pending_case, review, reviewer

pytestmark = pytest.mark.asyncio(loop_scope="session")

COUNTY, TOWNSHIP = "140321", "140321101"


async def _set_limit(client, township, county, limit, disbursement="5000.00"):
    r = await client.post(
        f"/approval/v1/townships/{township}/limits",
        json={
            "county_code": county,
            "effective_from": clock.local_today().isoformat(),
            "approval_limit": str(limit),
            "disbursement_limit": disbursement,
        },
    )
    assert r.status_code == 201, r.text


async def _decide(client, case_id, headers=None, **body):
    return await client.post(
        f"/approval/v1/cases/{case_id}/decision",
        headers=headers,
        json={"decision": "approved", "confirm_extended_duration": True, "reasons": "meets R-CAT", **body},
    )


async def test_exactly_at_the_township_limit_the_township_approves(standalone, db):
    case_id, case = await pending_case(standalone, application(address=address(COUNTY, TOWNSHIP)))
    await _set_limit(standalone, TOWNSHIP, COUNTY, case["assessed_amount"])
    assert (await review(standalone, case_id)).json()["decisions"][0]["level"] == "township"
    decided = await _decide(standalone, case_id, role="township")
    assert decided.status_code == 200, decided.text
    step = decided.json()["decisions"][-1]
    assert step["step"] == "approval" and step["level"] == "township" and step["role"] == "township"
    event = await db.fetchval(
        "SELECT envelope->'data' FROM approval.outbox WHERE key = $1 AND "
        "event_type = 'gov.assistance.approval.case-decided.v1'",
        case_id,
    )
    assert '"level": "township"' in event and '"reviewed_by": "test-reviewer"' in event


async def test_one_fen_above_the_limit_the_township_reviews_and_the_county_approves(standalone):
    case_id, case = await pending_case(standalone, application(address=address(COUNTY, TOWNSHIP)))
    before = (await standalone.get(f"/approval/v1/townships/{TOWNSHIP}/limits")).json()["history"]
    await _set_limit(standalone, TOWNSHIP, COUNTY, Decimal(case["assessed_amount"]) - Decimal("0.01"))
    reviewed = await review(standalone, case_id, role="township")
    assert reviewed.json()["status"] == "reviewed" and reviewed.json()["decisions"][0]["level"] == "county"
    refused = await _decide(standalone, case_id, headers=auth("township-approver", "township_approver"))
    assert refused.status_code == 409 and refused.json()["rule"] == "R-FLOW-3"
    assert refused.json()["type"].endswith("county-approval-required")
    escalated = await _decide(standalone, case_id, headers=auth("county-approver", "county_approver"))
    assert escalated.status_code == 200 and escalated.json()["decisions"][-1]["level"] == "county"
    # A lower approved amount is within the township's limit again (the level follows the amount).
    limits = (await standalone.get(f"/approval/v1/townships/{TOWNSHIP}/limits")).json()
    assert limits["in_force"]["approval_limit"] == str(Decimal(case["assessed_amount"]) - Decimal("0.01"))
    assert len(limits["history"]) == len(before) + 1  # the earlier limit stays in the history


async def test_review_comes_first_and_the_reviewer_cannot_approve(standalone):
    case_id, _ = await pending_case(standalone, application())
    early = await _decide(standalone, case_id)
    assert early.status_code == 409 and early.json()["rule"] == "R-FLOW-1"
    same_person = auth("same-person", "township_reviewer", "township_approver", "county_approver")
    await review(standalone, case_id, headers=same_person)
    same = await _decide(standalone, case_id, headers=same_person)
    assert same.status_code == 409 and same.json()["type"].endswith("separation-of-duties")
    again = await review(standalone, case_id)
    assert again.status_code == 409
    ok = await _decide(standalone, case_id, headers=auth("other-person", "county_approver"))
    steps = [(d["step"], d["actor"]) for d in ok.json()["decisions"]]
    assert steps == [("review", "same-person"), ("approval", "other-person")]


async def test_a_case_sent_back_for_revision_waits_with_reasons(standalone, db):
    case_id, _ = await pending_case(standalone, application())
    await review(standalone, case_id)
    back = await _decide(standalone, case_id, decision="returned", reasons="bills missing: provide them")
    assert back.status_code == 200 and back.json()["status"] == "returned"
    assert back.json()["decisions"][-1]["reasons"] == "bills missing: provide them"
    assert (
        await db.fetchval(
            "SELECT count(*) FROM approval.outbox WHERE key = $1 AND event_type = "
            "'gov.assistance.approval.case-returned.v1'",
            case_id,
        )
        == 1
    )
    assert (
        await db.fetchval(
            "SELECT count(*) FROM approval.outbox WHERE key = $1 AND event_type = "
            "'gov.assistance.approval.case-decided.v1'",
            case_id,
        )
        == 0
    )
    assert (await _decide(standalone, case_id)).status_code == 409


async def test_one_approval_with_staged_help_pays_each_stage_under_its_own_reference(standalone):
    case_id, case = await pending_case(standalone, application())
    await review(standalone, case_id)
    amount = Decimal(case["assessed_amount"])
    first = (amount / 2).quantize(Decimal("0.01"))
    stages = [
        {"seq": 1, "amount": str(first), "due_on": "2026-12-01"},
        {"seq": 2, "amount": str(amount - first), "due_on": "2027-01-01"},
    ]
    wrong = await _decide(standalone, case_id, stages=[{**stages[0], "amount": "1.00"}, stages[1]])
    assert wrong.status_code == 422 and wrong.json()["errors"][0]["field"] == "stages"
    ok = await _decide(standalone, case_id, stages=stages)
    assert ok.status_code == 200, ok.text

    async def payments():
        rows = (await standalone.get(f"/disbursement/v1/cases/{case_id}/payments")).json()
        return rows if len(rows) == 2 else None

    rows = await eventually(payments, what="two staged payments")
    assert [(p["stage"], p["amount"], p["due_on"]) for p in rows] == [
        (1, str(first), "2026-12-01"),
        (2, str(amount - first), "2027-01-01"),
    ]
    assert rows[0]["reference"].endswith("-01") and rows[1]["reference"].endswith("-02")


async def test_hundreds_of_cases_approved_in_one_batch_in_seconds(standalone, db):
    ids = [str(uuid.uuid4()) for _ in range(300)]
    await db.executemany(
        "INSERT INTO approval.cases (case_id, revision, county_code, township_code, category, subtype, "
        "status, eligible, assessed_amount, months, household_size, needs, assessment) VALUES ($1, 1, "
        "'140302', '140302002', 'expenditure', 'medical', 'pending', true, 1000.00, 1, 2, '[]', '{}')",
        [(i,) for i in ids],
    )
    await db.executemany(  # R-ARC-1: intake reported each archive complete
        "INSERT INTO approval.archive_states (case_id, county_code, township_code, policy_version, required, "
        "missing, blocking, as_of) VALUES ($1, '140302', '140302002', '2019.1', '[]', '[]', '[]', now())",
        [(i,) for i in ids],
    )
    reviewed = await standalone.post(
        "/approval/v1/reviews:batch",
        headers=reviewer(),
        json={"items": [{"case_id": i, "opinion": "approved", "reasons": "ok"} for i in ids]},
    )
    assert reviewed.json()["succeeded"] == 300
    missing = str(uuid.uuid4())
    batch = await standalone.post(
        "/approval/v1/decisions:batch",
        json={
            "items": [
                *(
                    {"case_id": i, "decision": "approved", "confirm_extended_duration": True, "reasons": "ok"}
                    for i in ids
                ),
                {
                    "case_id": missing,
                    "decision": "approved",
                    "confirm_extended_duration": True,
                    "reasons": "ok",
                },
                {
                    "case_id": ids[0],
                    "decision": "approved",
                    "confirm_extended_duration": True,
                    "reasons": "twice",
                },
            ]
        },
    )
    # How fast is measured by the benchmark (make bench), not asserted here.
    assert batch.status_code == 200
    body = batch.json()
    assert body["succeeded"] == 300 and body["failed"] == 2
    assert [r["status"] for r in body["results"][-2:]] in ([404, 409], [404, 200])
    statuses = {r["case_id"]: r["status"] for r in body["results"][:300]}
    assert (
        await db.fetchval(
            "SELECT count(*) FROM approval.cases WHERE case_id = ANY($1::uuid[]) AND status = 'approved'", ids
        )
        == 300
    )
    assert (
        await db.fetchval(
            "SELECT count(*) FROM approval.outbox WHERE key = ANY($1::text[]) AND event_type = "
            "'gov.assistance.approval.case-decided.v1'",
            ids,
        )
        == 300
    )
    assert set(statuses.values()) <= {200, 409}


async def test_more_than_assessed_is_a_policy_refusal_409_and_records_no_step(standalone, db):
    """R-AMT-4: more than the assessed amount needs a county-government raise (a new assessment revision):
    a refusal of policy (409 ``above-assessed-amount``), not an invalid payload, and nothing is recorded."""
    case_id, case = await pending_case(standalone, application())
    above = str(Decimal(case["assessed_amount"]) + Decimal("0.01"))
    steps = "SELECT count(*) FROM approval.decisions WHERE case_id::text = $1 AND step = $2"
    refused = await review(standalone, case_id, amount=above)
    assert refused.status_code == 409, refused.text
    problem = refused.json()
    assert problem["type"].endswith("/above-assessed-amount") and problem["rule"] == "R-AMT-4"
    assert problem["errors"][0]["field"] == "amount"
    assert await db.fetchval(steps, case_id, "review") == 0
    assert (await review(standalone, case_id)).status_code == 200
    decided = await _decide(
        standalone, case_id, headers=auth("other-person", "county_approver"), amount=above
    )
    assert decided.status_code == 409 and decided.json()["type"].endswith("/above-assessed-amount")
    assert decided.json()["rule"] == "R-AMT-4"
    assert await db.fetchval(steps, case_id, "approval") == 0
