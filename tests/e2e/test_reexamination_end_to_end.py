"""End to end over Kafka, five processes (issue 17 §3, Proof): a decision is contested through the 12345
hotline, re-examined by an officer who took no part (R-REX-2), and exactly the difference is paid — a new
instruction under its own reference, never a second full payment (R-REX-3)."""

from __future__ import annotations

from decimal import Decimal

import httpx
import pytest

from tests.e2e.conftest import arrived_in_approval
from tests.factories import address, application, auth, eventually, gov_system, review, staff_client

pytestmark = [pytest.mark.asyncio(loop_scope="session"), pytest.mark.e2e, pytest.mark.kafka]

COUNTY, TOWNSHIP = "140322", "140322103"


async def _payments(client: httpx.AsyncClient, base: str, case_id: str, count: int) -> list[dict]:
    async def probe():
        rows = (await client.get(f"{base}/disbursement/v1/cases/{case_id}/payments")).json()
        return rows if len(rows) >= count else None

    return sorted(await eventually(probe, timeout=60, what=f"{count} payment(s)"), key=lambda p: p["stage"])


async def test_a_reexamination_raises_the_amount_and_exactly_the_difference_is_paid(cluster, db_e2e):
    urls = cluster.urls
    approval, disbursement = urls["approval"], urls["disbursement"]
    async with staff_client(timeout=15) as client:
        case_id, case = await arrived_in_approval(
            client, urls, application(address=address(COUNTY, TOWNSHIP))
        )
        assert (await review(client, case_id, approval, intake_base=urls["intake"])).status_code == 200
        decided = await client.post(
            f"{approval}/approval/v1/cases/{case_id}/decision",
            json={
                "decision": "approved",
                "amount": "300.00",
                "reasons": "R-AMT-3",
                "confirm_extended_duration": True,
            },
        )
        assert decided.status_code == 200, decided.text
        first = (await _payments(client, disbursement, case_id, 1))[0]
        paid = await client.post(
            f"{disbursement}/disbursement/v1/payments/{first['id']}/result", json={"result": "paid"}
        )
        assert paid.status_code == 200 and paid.json()["status"] == "paid"

        asked = await client.post(
            f"{approval}/approval/v1/cases/{case_id}/reexaminations",
            json={"ground": "amount", "grounds": "医疗费用未全部计入"},
            headers=gov_system("12345-hotline"),
        )
        assert asked.status_code == 201, asked.text
        own = await client.post(
            f"{approval}/approval/v1/cases/{case_id}/reexaminations/decision",
            json={"outcome": "changed", "amount": "500.00", "reasons": "self"},
        )
        assert own.status_code == 409 and own.json()["type"].endswith("/separation-of-duties")
        target = (
            Decimal(case["assessed_amount"]) if Decimal(case["assessed_amount"]) < 500 else Decimal("500.00")
        )
        changed = await client.post(
            f"{approval}/approval/v1/cases/{case_id}/reexaminations/decision",
            json={"outcome": "changed", "amount": str(target), "reasons": "复核：医疗费用应全部计入"},
            headers=auth("e2e-reexaminer", "county_approver", county=COUNTY),
        )
        assert changed.status_code == 200, changed.text
        rows = await _payments(client, disbursement, case_id, 2)
        assert [(r["stage"], r["kind"], Decimal(r["amount"])) for r in rows] == [
            (1, "stage", Decimal("300.00")),
            (101, "reexamination", target - Decimal("300.00")),
        ]
        assert rows[1]["reference"] == f"TA-{case_id.replace('-', '')[:24]}-R01"
        second = await client.post(
            f"{disbursement}/disbursement/v1/payments/{rows[1]['id']}/result", json={"result": "paid"}
        )
        assert second.status_code == 200 and second.json()["status"] == "paid"
    total = await db_e2e.fetchval(
        "SELECT sum(amount) FROM disbursement.ledger_entries WHERE case_id = $1 AND kind = 'payment'", case_id
    )
    assert total == target  # exactly the new total: the first payment plus the difference, nothing twice
    assert (
        await db_e2e.fetchval(
            "SELECT count(*) FROM disbursement.payment_instructions WHERE case_id = $1", case_id
        )
        == 2
    )
