"""The proof, end to end on the real database and a real bank process: 100 approved cases → one batch
file with correct totals → a return file with 3 failures → reconciled, the 3 retried (the existing retry,
same reference, a new attempt in a new batch) and each of the 100 paid exactly once (R-AID-2, R-OVS-3)."""

from decimal import Decimal

import pytest

from tests.service import bank_helpers
from tests.service.bank_helpers import (
    approved_transfers,
    ensure_settings,
    import_return,
    released_batch,
)

pytestmark = pytest.mark.asyncio(loop_scope="session")
fake_bank = bank_helpers.fake_bank  # the bank, a real HTTPS server process
COUNTY, TOWNSHIP = "140322", "140322200"


async def test_a_hundred_cases_go_in_one_batch_and_the_three_failed_are_retried_and_paid_once(
    standalone, fake_bank, db
):
    await ensure_settings(standalone, COUNTY)
    payments = await approved_transfers(standalone, TOWNSHIP, 100)
    ids = [p["id"] for p in payments]
    total = sum(Decimal(p["amount"]) for p in payments)
    failing = payments[10:13]
    await fake_bank.fail({p["reference"]: ["F", "E102", "户名不符"] for p in failing})

    batch = await released_batch(standalone, COUNTY, TOWNSHIP)
    assert (batch["item_count"], Decimal(batch["total_amount"])) == (100, total)
    at_bank = (await fake_bank.received())[batch["batch_no"]]
    assert (at_bank["count"], Decimal(at_bank["total"])) == (100, total)  # the bank's own count and sum

    first = await import_return(standalone, await fake_bank.return_file(batch["batch_no"]))
    assert first.status_code == 201, first.text
    assert (first.json()["paid"], first.json()["failed"], first.json()["exceptions"]) == (97, 3, 0)
    for p in failing:
        retried = await standalone.post(
            f"/disbursement/v1/payments/{p['id']}/retry", json={"reason": "name corrected by the bank"}
        )
        assert retried.status_code == 200 and retried.json()["attempts"] == 2, retried.text

    second = await released_batch(standalone, COUNTY, TOWNSHIP)
    assert second["item_count"] == 3
    assert sorted(i["reference"] for i in second["items"]) == sorted(p["reference"] for p in failing)
    assert {i["attempt"] for i in second["items"]} == {2}
    again = await import_return(standalone, await fake_bank.return_file(second["batch_no"]))
    assert (again.json()["paid"], again.json()["failed"]) == (3, 0)

    rows = await db.fetch(
        "SELECT i.id, i.status, "
        "(SELECT count(*) FROM disbursement.ledger_entries l WHERE l.instruction_id = i.id "
        " AND l.kind = 'payment') AS payments, "
        "(SELECT count(*) FROM disbursement.payment_attempts a WHERE a.instruction_id = i.id "
        " AND a.status = 'paid') AS paid_attempts "
        "FROM disbursement.payment_instructions i WHERE i.id = ANY($1::uuid[])",
        ids,
    )
    assert len(rows) == 100
    assert {(r["status"], r["payments"], r["paid_attempts"]) for r in rows} == {("paid", 1, 1)}
    paid = await db.fetchval(
        "SELECT sum(amount) FROM disbursement.ledger_entries WHERE kind = 'payment' "
        "AND instruction_id = ANY($1::uuid[])",
        ids,
    )
    assert paid == total
    history = (await standalone.get(f"/disbursement/v1/payments/{failing[0]['id']}")).json()
    assert [a["status"] for a in history["attempt_history"]] == ["failed", "paid"]
    assert history["reference"] == failing[0]["reference"]
