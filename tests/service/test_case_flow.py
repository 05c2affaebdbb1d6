"""A case through all five services in one process (in-process bus) on the real database."""

from decimal import Decimal

import pytest

from tests.factories import application, emergency_application, eventually, review

pytestmark = pytest.mark.asyncio(loop_scope="session")


async def _submitted_and_pending(client, body):
    response = await client.post("/intake/v1/applications", json=body)
    assert response.status_code == 201, response.text
    case_id = response.json()["id"]

    async def pending():
        r = await client.get(f"/approval/v1/cases/{case_id}")
        return r.json() if r.status_code == 200 else None

    return case_id, await eventually(pending, what="the case to reach approval")


async def test_consented_medical_case_is_assessed_approved_paid_and_referred(standalone):
    case_id, case = await _submitted_and_pending(standalone, application())
    assessment = (await standalone.get(f"/assessment/v1/cases/{case_id}")).json()
    assert assessment["eligible"] is True
    assert assessment["result"]["self_paid"] == "25000.00"
    assert (
        Decimal(assessment["amount"])
        == Decimal(assessment["result"]["monthly_standard"]) * 2 * assessment["result"]["months"]
    )
    assert case["status"] == "pending" and case["assessed_amount"] == assessment["amount"]

    assert (await review(standalone, case_id)).status_code == 200
    decided = await standalone.post(
        f"/approval/v1/cases/{case_id}/decision",
        json={
            "decision": "approved",
            "confirm_extended_duration": True,
            "actor": "county-approver-1",
            "reasons": "ok",
        },
    )
    assert decided.status_code == 200, decided.text
    assert decided.json()["status"] == "approved" and decided.json()["decisions"][-1]["level"] == "county"

    async def payments():
        return (await standalone.get(f"/disbursement/v1/cases/{case_id}/payments")).json()

    paid = await eventually(payments, what="a payment instruction")
    assert len(paid) == 1 and paid[0]["amount"] == assessment["amount"]
    assert paid[0]["payee_account"].endswith("3445") and "6222020200" not in paid[0]["payee_account"]

    async def records():
        return (await standalone.get(f"/referral/v1/cases/{case_id}/needs-records")).json()

    shared_records = await eventually(records, what="a needs record")
    remaining = Decimal("25000.00") - Decimal(assessment["amount"])
    assert [(r["need_type"], Decimal(r["remaining_amount"])) for r in shared_records] == [
        ("medical", remaining)
    ]

    again = await standalone.post(
        f"/approval/v1/cases/{case_id}/decision",
        json={"decision": "approved", "confirm_extended_duration": True, "actor": "x", "reasons": "again"},
    )
    assert again.status_code == 409


async def test_unconsented_case_is_paid_but_never_referred(standalone, db):
    body = application(
        consents={
            "verify_economic_situation": True,
            "share_with_charities": False,
            "share_health_data": False,
        }
    )
    case_id, _ = await _submitted_and_pending(standalone, body)
    await review(standalone, case_id)
    await standalone.post(
        f"/approval/v1/cases/{case_id}/decision",
        json={"decision": "approved", "confirm_extended_duration": True, "actor": "a", "reasons": "ok"},
    )

    async def paid():
        return (await standalone.get(f"/disbursement/v1/cases/{case_id}/payments")).json()

    await eventually(paid, what="a payment instruction")
    await eventually(
        lambda: db.fetchval("SELECT decision IS NOT NULL FROM referral.cases WHERE case_id = $1", case_id),
        what="referral to learn the decision",
    )
    assert (await standalone.get(f"/referral/v1/cases/{case_id}/needs-records")).json() == []
    assert (
        await db.fetchval(
            "SELECT count(*) FROM referral.outbox WHERE envelope->>'subject' LIKE 'CR-%' "
            "AND envelope->'data'->>'case_ref' = (SELECT case_ref FROM referral.cases "
            "WHERE case_id = $1)",
            case_id,
        )
        == 0
    )


async def test_withdrawing_consent_withdraws_the_shared_record(standalone):
    case_id, _ = await _submitted_and_pending(standalone, application())
    await review(standalone, case_id)
    await standalone.post(
        f"/approval/v1/cases/{case_id}/decision",
        json={"decision": "approved", "confirm_extended_duration": True, "actor": "a", "reasons": "ok"},
    )

    async def status():
        records = (await standalone.get(f"/referral/v1/cases/{case_id}/needs-records")).json()
        return records[0]["status"] if records else None

    assert await eventually(status, what="the record") == "published"
    withdrawn = await standalone.post(
        f"/intake/v1/applications/{case_id}/consents/share_with_charities/withdrawal"
    )
    assert withdrawn.status_code == 200 and withdrawn.json()["consents"]["share_with_charities"] is False

    async def is_withdrawn():
        return await status() == "withdrawn"

    await eventually(is_withdrawn, what="the record to be withdrawn")


async def test_emergency_case_needs_no_means_test(standalone):
    body = emergency_application(annual_household_income="500000.00")
    case_id, case = await _submitted_and_pending(standalone, body)
    assert case["eligible"] is True and case["category"] == "emergency"
