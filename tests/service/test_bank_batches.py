"""Bank batch payments (代发, R-AID-2) on the real database, handed to a real bank process over HTTPS:
a batch per township and date of the approved transfers, four eyes before release, every transfer in
one batch only, control totals and checksum as the bank checks them, personal data never logged."""

import logging
from decimal import Decimal

import pytest

from tests.factories import auth
from tests.service import bank_helpers
from tests.service.bank_helpers import (
    SECOND,
    approved_transfers,
    ensure_settings,
)

pytestmark = pytest.mark.asyncio(loop_scope="session")
fake_bank = bank_helpers.fake_bank  # the bank, a real HTTPS server process
COUNTY = "140322"


async def test_a_batch_needs_a_second_finance_officer_before_release(standalone, fake_bank, caplog):
    township = "140322101"
    await ensure_settings(standalone, COUNTY)
    payments = await approved_transfers(standalone, township, 3)
    created = await standalone.post(
        "/disbursement/v1/bank-batches", json={"county_code": COUNTY, "township_code": township}
    )
    assert created.status_code == 201, created.text
    batch = created.json()
    assert (batch["status"], batch["item_count"], batch["created_by"]) == ("created", 3, "test-officer")
    assert batch["total_amount"] == str(sum(Decimal(p["amount"]) for p in payments))
    assert sorted(i["reference"] for i in batch["items"]) == sorted(p["reference"] for p in payments)
    assert "payee" not in batch["items"][0] and "account" not in str(batch["items"])
    bid = batch["id"]
    early = await standalone.post(f"/disbursement/v1/bank-batches/{bid}/release")
    assert early.status_code == 409 and early.json()["type"].endswith("/batch-state")
    own = await standalone.post(f"/disbursement/v1/bank-batches/{bid}/approval")
    assert own.status_code == 409 and own.json()["type"].endswith("/separation-of-duties"), own.text
    assert await fake_bank.received() == {}  # nothing left before the second pair of eyes
    approved = await standalone.post(f"/disbursement/v1/bank-batches/{bid}/approval", headers=SECOND)
    assert approved.status_code == 200 and approved.json()["approved_by"] == "finance-two"
    with caplog.at_level(logging.DEBUG):
        released = await standalone.post(f"/disbursement/v1/bank-batches/{bid}/release", headers=SECOND)
    assert released.status_code == 200, released.text
    assert (released.json()["status"], released.json()["delivery"]) == ("released", "delivered"), (
        released.text
    )
    at_bank = (await fake_bank.received())[batch["batch_no"]]
    assert (at_bank["count"], at_bank["total"]) == (3, batch["total_amount"])
    logged = "\n".join(r.getMessage() + str(r.__dict__) for r in caplog.records)
    assert "6222020200" not in logged and "李建国" not in logged and "王芳" not in logged
    again = await standalone.post(f"/disbursement/v1/bank-batches/{bid}/release", headers=SECOND)
    assert again.status_code == 409


async def test_a_transfer_in_a_batch_goes_into_no_other_batch(standalone, fake_bank):
    township = "140322104"
    await ensure_settings(standalone, COUNTY)
    payments = await approved_transfers(standalone, township, 2)
    body = {"county_code": COUNTY, "township_code": township}
    first = await standalone.post("/disbursement/v1/bank-batches", json=body)
    assert first.status_code == 201 and first.json()["item_count"] == 2
    second = await standalone.post("/disbursement/v1/bank-batches", json=body)
    assert second.status_code == 409 and second.json()["type"].endswith("/nothing-to-pay")
    county_wide = await standalone.get("/disbursement/v1/bank-batches", params={"county_code": COUNTY})
    listed = [
        i
        for b in county_wide.json()
        for i in (await standalone.get(f"/disbursement/v1/bank-batches/{b['id']}")).json()["items"]
    ]
    mine = [i["instruction_id"] for i in listed if i["instruction_id"] in {p["id"] for p in payments}]
    assert sorted(mine) == sorted(p["id"] for p in payments)  # each exactly once
    bid = first.json()["id"]
    failed = await standalone.post(
        f"/disbursement/v1/payments/{payments[0]['id']}/result",
        json={"result": "failed", "reason": "by hand"},
    )
    assert failed.status_code == 200
    await standalone.post(f"/disbursement/v1/bank-batches/{bid}/approval", headers=SECOND)
    changed = await standalone.post(f"/disbursement/v1/bank-batches/{bid}/release", headers=SECOND)
    assert changed.status_code == 409 and changed.json()["type"].endswith("/batch-changed")
    assert await fake_bank.received() == {}  # what was approved is what leaves, or nothing does
    cancelled = await standalone.post(f"/disbursement/v1/bank-batches/{bid}/cancellation")
    assert cancelled.json()["status"] == "cancelled" and cancelled.json()["items"] == []
    anew = await standalone.post("/disbursement/v1/bank-batches", json=body)
    assert [i["instruction_id"] for i in anew.json()["items"]] == [payments[1]["id"]]


async def test_a_failed_hand_off_is_recorded_and_the_same_file_sent_again(standalone, fake_bank):
    township = "140322102"
    await ensure_settings(standalone, COUNTY)
    await approved_transfers(standalone, township, 1)
    batch = (
        await standalone.post(
            "/disbursement/v1/bank-batches", json={"county_code": COUNTY, "township_code": township}
        )
    ).json()
    await standalone.post(f"/disbursement/v1/bank-batches/{batch['id']}/approval", headers=SECOND)
    settings = standalone.app.state.runtimes["disbursement"].settings
    good = settings.bank_upload_token
    settings.bank_upload_token = None  # the bank refuses an upload without its token
    try:
        released = (await standalone.post(f"/disbursement/v1/bank-batches/{batch['id']}/release")).json()
    finally:
        settings.bank_upload_token = good
    assert (released["status"], released["delivery"]) == ("released", "failed")
    assert "401" in released["delivery_error"] and batch["batch_no"] not in await fake_bank.received()
    resent = await standalone.post(f"/disbursement/v1/bank-batches/{batch['id']}/delivery")
    assert resent.json()["delivery"] == "delivered", resent.text
    assert (await fake_bank.received())[batch["batch_no"]]["total"] == batch["total_amount"]
    twice = await standalone.post(f"/disbursement/v1/bank-batches/{batch['id']}/delivery")
    assert twice.status_code == 409


async def test_a_township_finance_officer_batches_only_their_own_township(standalone):
    await ensure_settings(standalone, COUNTY)
    other = auth("finance-t", "finance_officer", county=COUNTY, township="140322102")
    refused = await standalone.post(
        "/disbursement/v1/bank-batches",
        json={"county_code": COUNTY, "township_code": "140322101"},
        headers=other,
    )
    assert refused.status_code == 404
    outside = await standalone.post(
        "/disbursement/v1/bank-batches", json={"county_code": COUNTY, "township_code": "140321100"}
    )
    assert outside.status_code == 422 and outside.json()["errors"][0]["field"] == "township_code"
    clerk = auth("clerk", "intake_clerk", county=COUNTY)
    assert (
        await standalone.post("/disbursement/v1/bank-batches", json={"county_code": COUNTY}, headers=clerk)
    ).status_code == 403
    unknown = await standalone.put(
        f"/disbursement/v1/counties/{COUNTY}/bank-settings",
        json={
            "effective_from": "2027-01-01",
            "bank_format": "swift-mt101",
            "payer_account": "12345678",
            "payer_name": "x",
        },
    )
    assert unknown.status_code == 422 and unknown.json()["errors"][0]["field"] == "bank_format"
