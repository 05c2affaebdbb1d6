"""Receipt checks (到账核查), as HOPE's payment verification: a seeded, deterministic sample of the
households paid through a bank file becomes a township task; the outcome is recorded by whom and when;
money that did not arrive raises a reconciliation exception (R-AID-2, R-OVS-3)."""

from decimal import Decimal

import pytest

from services.disbursement.domain.bankfile import in_receipt_sample
from services.disbursement.service.batches import today
from tests.factories import auth
from tests.service import bank_helpers
from tests.service.bank_helpers import (
    approved_transfers,
    ensure_settings,
    import_return,
    released_batch,
)

pytestmark = pytest.mark.asyncio(loop_scope="session")
fake_bank = bank_helpers.fake_bank  # the bank, a real HTTPS server process
COUNTY, TOWNSHIP = "140321", "140321106"
SEED = "yangquan-receipts-2026"


async def _paid_through_the_bank(client, bank, n):
    payments = await approved_transfers(client, TOWNSHIP, n)
    batch = await released_batch(client, COUNTY, TOWNSHIP)
    imported = await import_return(client, await bank.return_file(batch["batch_no"]))
    assert imported.status_code == 201, imported.text
    return payments


async def _in_force(client):
    versions = (await client.get(f"/disbursement/v1/counties/{COUNTY}/bank-settings")).json()
    now = today().isoformat()
    return [v for v in versions if v["effective_from"] <= now][-1]


async def test_a_seeded_sample_of_paid_households_becomes_a_township_task(standalone, fake_bank):
    await ensure_settings(
        standalone, COUNTY, payer_name="平定县财政局", receipt_sample_rate="0.5", receipt_seed=SEED
    )
    payments = await _paid_through_the_bank(standalone, fake_bank, 6)
    rules = await _in_force(standalone)
    expected = {
        p["reference"]
        for p in payments
        if in_receipt_sample(rules["receipt_seed"], p["reference"], Decimal(rules["receipt_sample_rate"]))
    }
    tasks = (
        await standalone.get(
            "/disbursement/v1/receipt-checks", params={"township_code": TOWNSHIP, "status": "open"}
        )
    ).json()
    sampled = {t["reference"] for t in tasks} & {p["reference"] for p in payments}
    assert sampled == expected  # re-derivable by anyone holding the county's seed
    clerk = auth("township-clerk", "intake_clerk", county=COUNTY, township=TOWNSHIP)
    theirs = (await standalone.get("/disbursement/v1/receipt-checks", headers=clerk)).json()
    assert {t["township_code"] for t in theirs} <= {TOWNSHIP}
    elsewhere = auth("other-clerk", "intake_clerk", county=COUNTY, township="140321100")
    mine = (await standalone.get("/disbursement/v1/receipt-checks", headers=elsewhere)).json()
    assert not {t["reference"] for t in mine} & sampled


async def test_a_household_that_says_the_money_did_not_arrive_raises_an_exception(standalone, fake_bank):
    await ensure_settings(standalone, COUNTY, payer_name="平定县财政局", receipt_sample_rate="0.5")
    every = await standalone.put(  # from today the county checks every household
        f"/disbursement/v1/counties/{COUNTY}/bank-settings",
        json={
            "effective_from": today().isoformat(),
            "payer_account": "0502020009022100002",
            "payer_name": "平定县财政局",
            "receipt_sample_rate": "1",
            "receipt_seed": SEED,
        },
    )
    assert every.status_code == 201, every.text  # the module's own database: the first version from today
    payments = await _paid_through_the_bank(standalone, fake_bank, 3)
    refs = {p["reference"] for p in payments}
    tasks = [
        t
        for t in (
            await standalone.get("/disbursement/v1/receipt-checks", params={"township_code": TOWNSHIP})
        ).json()
        if t["reference"] in refs
    ]
    assert len(tasks) == 3 and all(t["status"] == "open" for t in tasks)
    clerk = auth("township-clerk", "intake_clerk", county=COUNTY, township=TOWNSHIP)
    outcomes = ["arrived", "not_arrived", "unreachable"]
    for task, outcome in zip(tasks, outcomes, strict=True):
        done = await standalone.post(
            f"/disbursement/v1/receipt-checks/{task['id']}/outcome",
            json={"outcome": outcome, "note": "home visit"},
            headers=clerk,
        )
        assert done.status_code == 200, done.text
        assert (done.json()["outcome"], done.json()["checked_by"]) == (outcome, "township-clerk")
        assert done.json()["checked_at"] is not None
    again = await standalone.post(
        f"/disbursement/v1/receipt-checks/{tasks[0]['id']}/outcome",
        json={"outcome": "arrived"},
        headers=clerk,
    )
    assert again.status_code == 409
    outsider = auth("other-clerk", "intake_clerk", county=COUNTY, township="140321100")
    hidden = await standalone.post(
        f"/disbursement/v1/receipt-checks/{tasks[1]['id']}/outcome",
        json={"outcome": "arrived"},
        headers=outsider,
    )
    assert hidden.status_code == 404
    finance = auth("finance", "finance_officer", county=COUNTY)
    assert (
        await standalone.post(
            f"/disbursement/v1/receipt-checks/{tasks[1]['id']}/outcome",
            json={"outcome": "arrived"},
            headers=finance,
        )
    ).status_code == 403
    queue = (
        await standalone.get(
            "/disbursement/v1/reconciliation-exceptions",
            params={"county_code": COUNTY, "kind": "not_arrived"},
        )
    ).json()
    raised = [e for e in queue if e["receipt_check_id"] == tasks[1]["id"]]
    assert len(raised) == 1 and raised[0]["instruction_id"] == tasks[1]["instruction_id"]
    assert raised[0]["status"] == "open" and tasks[1]["reference"] in raised[0]["detail"]
