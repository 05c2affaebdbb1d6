"""End to end over Kafka, five processes: from submission to paid, for an emergency case helped first from
the township reserve fund (R-FLOW-2, R-RES, R-AID-2) and for an expenditure case through review and
approval (R-FLOW-1) with a failed transfer retried and paid once."""

from __future__ import annotations

import httpx
import pytest

from tests.e2e.conftest import arrived_in_approval
from tests.factories import address, application, emergency_application, eventually, review, staff_client

pytestmark = [pytest.mark.asyncio(loop_scope="session"), pytest.mark.e2e, pytest.mark.kafka]


async def _payments(client: httpx.AsyncClient, base: str, case_id: str, count: int):
    async def probe():
        rows = (await client.get(f"{base}/disbursement/v1/cases/{case_id}/payments")).json()
        return rows if len(rows) >= count else None

    return await eventually(probe, timeout=60, what=f"{count} payment(s) of {case_id}")


async def test_emergency_case_helped_first_then_approved_is_paid_in_full(cluster):
    urls = cluster.urls
    county, township = "140321", "140321102"
    async with staff_client(timeout=15) as client:
        fund = await client.post(
            f"{urls['disbursement']}/disbursement/v1/reserve-funds/{township}",
            json={
                "county_code": county,
                "year": 2026,
                "proportion": "0.1",
                "previous_year_spending": "50000.00",
                "actor": "county-finance",
            },
        )
        assert fund.status_code == 201, fund.text
        case_id, case = await arrived_in_approval(
            client, urls, emergency_application(address=address(county, township))
        )
        granted = await client.post(
            f"{urls['approval']}/approval/v1/cases/{case_id}/help-first",
            json={
                "actor": "township-head",
                "role": "township",
                "amount": "800.00",
                "channel": "direct",
                "reasons": "fire: immediate help",
            },
        )
        assert granted.status_code == 201, granted.text
        first = (await _payments(client, urls["disbursement"], case_id, 1))[0]
        assert (first["stage"], first["funding"], first["status"]) == (0, "reserve", "awaiting_handover")
        handed = await client.post(
            f"{urls['disbursement']}/disbursement/v1/payments/{first['id']}/handover",
            json={
                "witness_name": "village-head",
                "recipient_name": "张小明",
                "items": "cash 800.00",
            },
        )
        assert handed.status_code == 200 and handed.json()["status"] == "paid"
        over = await client.post(
            f"{urls['approval']}/approval/v1/cases/{case_id}/help-first/emergency-over",
            json={"actor": "township-head", "over_on": "2026-11-20"},
        )
        assert over.json()["deadline"] == "2026-12-04" and over.json()["calendar"] == "national 2026"
        assert (
            await review(client, case_id, urls["approval"], intake_base=urls["intake"])
        ).status_code == 200
        decided = await client.post(
            f"{urls['approval']}/approval/v1/cases/{case_id}/decision",
            json={
                "decision": "approved",
                "confirm_extended_duration": True,  # R-AMT-2: the 6-month tier
                "actor": "county-approver",
                "role": "county",
                "reasons": "paperwork done",
            },
        )
        assert decided.status_code == 200, decided.text
        assert decided.json()["help_first"]["status"] == "completed"
        rest = (await _payments(client, urls["disbursement"], case_id, 2))[1]
        assert rest["stage"] == 1 and rest["channel"] == "bank_transfer"
        paid = await client.post(
            f"{urls['disbursement']}/disbursement/v1/payments/{rest['id']}/result",
            json={"result": "paid", "actor": "bank-callback"},
        )
        assert paid.json()["status"] == "paid"
        rows = await _payments(client, urls["disbursement"], case_id, 2)
        assert all(r["status"] == "paid" for r in rows)
        assert sum(float(r["amount"]) for r in rows) == float(case["assessed_amount"])
        fund = (
            await client.get(f"{urls['disbursement']}/disbursement/v1/reserve-funds/{township}/2026")
        ).json()
        assert fund["balance"] == "4200.00"


async def test_expenditure_case_reviewed_approved_failed_retried_and_paid_once(cluster, db_e2e):
    urls = cluster.urls
    async with staff_client(timeout=15) as client:
        case_id, _ = await arrived_in_approval(client, urls, application())
        assert (
            await review(client, case_id, urls["approval"], intake_base=urls["intake"])
        ).status_code == 200
        decided = await client.post(
            f"{urls['approval']}/approval/v1/cases/{case_id}/decision",
            json={
                "decision": "approved",
                "confirm_extended_duration": True,  # R-AMT-2: the 6-month tier
                "actor": "county-approver",
                "role": "county",
                "reasons": "meets R-CAT-3",
            },
        )
        assert decided.status_code == 200, decided.text
        payment = (await _payments(client, urls["disbursement"], case_id, 1))[0]
        base = f"{urls['disbursement']}/disbursement/v1/payments/{payment['id']}"
        assert (
            await client.post(f"{base}/result", json={"result": "failed", "actor": "bank"})
        ).status_code == 200
        retried = await client.post(f"{base}/retry", json={"actor": "finance", "reason": "bank outage"})
        assert retried.json()["attempts"] == 2
        for _ in range(2):  # the bank calls back twice
            paid = await client.post(f"{base}/result", json={"result": "paid", "actor": "bank", "attempt": 2})
            assert paid.status_code == 200 and paid.json()["status"] == "paid"
    assert (
        await db_e2e.fetchval(
            "SELECT count(*) FROM disbursement.ledger_entries WHERE case_id = $1 AND kind = 'payment'",
            case_id,
        )
        == 1
    )
    results = await db_e2e.fetch(
        "SELECT envelope->'data'->>'result' AS r FROM disbursement.outbox WHERE key = $1 "
        "AND event_type = 'gov.assistance.disbursement.payment-result-recorded.v1' "
        "ORDER BY id",
        case_id,
    )
    assert [r["r"] for r in results] == ["failed", "paid"]
