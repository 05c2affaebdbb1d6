"""Disbursement on the real database: bank results, retries paid once (R-AID-2), account changes after
approval, corrections by reversal, the append-only ledger and its reconciliation (R-OVS-3), disclosure."""

import asyncio
import base64
import csv
import hashlib
import io
import subprocess
from decimal import Decimal
from pathlib import Path

import asyncpg
import pytest
from pypdf import PdfReader

from tests.factories import address, application, auth, eventually, pending_case, review
from tests.service.test_household_notices import _pdftoppm

ARTIFACTS = Path(__file__).resolve().parents[2] / "artifacts"

pytestmark = pytest.mark.asyncio(loop_scope="session")


async def _approved_payment(client, body=None, **decision):
    case_id, _ = await pending_case(client, body or application())
    await review(client, case_id)
    decided = await client.post(
        f"/approval/v1/cases/{case_id}/decision",
        json={
            "decision": "approved",
            "confirm_extended_duration": True,
            "actor": "approver",
            "reasons": "ok",
            **decision,
        },
    )
    assert decided.status_code == 200, decided.text

    async def payments():
        return (await client.get(f"/disbursement/v1/cases/{case_id}/payments")).json()

    return case_id, (await eventually(payments, what="the payment instruction"))[0]


async def _result(client, payment_id, result, **extra):
    return await client.post(
        f"/disbursement/v1/payments/{payment_id}/result",
        json={"result": result, "actor": "finance-officer", **extra},
    )


async def test_a_failed_transfer_is_retried_and_paid_exactly_once(standalone, db):
    case_id, payment = await _approved_payment(standalone)
    pid = payment["id"]
    assert payment["status"] == "scheduled" and payment["attempts"] == 1
    failed = await _result(standalone, pid, "failed", reason="account frozen")
    assert failed.json()["status"] == "failed" and failed.json()["status_reason"] == "account frozen"
    assert (await _result(standalone, pid, "paid")).status_code == 409  # nothing outstanding at the bank
    retried = await standalone.post(
        f"/disbursement/v1/payments/{pid}/retry",
        json={"actor": "finance-officer", "reason": "account unfrozen"},
    )
    assert retried.status_code == 200, retried.text
    assert retried.json()["reference"] == payment["reference"] and retried.json()["attempts"] == 2
    assert (await _result(standalone, pid, "paid", attempt=1)).status_code == 409  # superseded attempt
    paid = await _result(standalone, pid, "paid", attempt=2)
    assert paid.status_code == 200 and paid.json()["status"] == "paid"
    assert (await _result(standalone, pid, "paid")).json()["status"] == "paid"  # a repeated callback
    assert (await _result(standalone, pid, "failed")).status_code == 409
    assert (
        await standalone.post(
            f"/disbursement/v1/payments/{pid}/retry", json={"actor": "x", "reason": "again"}
        )
    ).status_code == 409
    assert [a["status"] for a in paid.json()["attempt_history"]] == ["failed", "paid"]
    assert (
        await db.fetchval(
            "SELECT count(*) FROM disbursement.ledger_entries WHERE instruction_id = $1 AND kind = 'payment'",
            pid,
        )
        == 1
    )
    with pytest.raises(asyncpg.UniqueViolationError):  # the database refuses a second paid attempt too
        await db.execute(
            "UPDATE disbursement.payment_attempts SET status = 'paid' WHERE instruction_id = $1 "
            "AND attempt = 1",
            pid,
        )


async def test_an_account_change_after_approval_needs_its_own_approval(standalone):
    case_id, payment = await _approved_payment(standalone)
    change = await standalone.put(
        f"/disbursement/v1/cases/{case_id}/payee",
        json={
            "name": "张小明",
            "bank": "中国银行",
            "account": "6216610000009876",
            "actor": "clerk",
            "reason": "old card lost",
        },
    )
    assert change.status_code == 201 and change.json()["status"] == "pending"
    assert (
        change.json()["new"]["account"].endswith("9876") and "621661" not in change.json()["new"]["account"]
    )
    await _result(standalone, payment["id"], "returned")  # nothing paid yet: refused
    await _result(standalone, payment["id"], "failed", reason="card lost")
    retried = (
        await standalone.post(
            f"/disbursement/v1/payments/{payment['id']}/retry", json={"actor": "finance", "reason": "again"}
        )
    ).json()
    assert retried["payee_account"].endswith("3445")  # the pending change does not redirect money
    same = await standalone.post(
        f"/disbursement/v1/payee-changes/{change.json()['id']}/decision",
        json={"decision": "approved", "actor": "clerk", "reason": "self"},
    )
    assert same.status_code == 409
    approved = await standalone.post(
        f"/disbursement/v1/payee-changes/{change.json()['id']}/decision",
        json={"decision": "approved", "reason": "checked"},
        headers=auth("township-head", "township_approver"),
    )
    assert approved.json()["status"] == "approved"
    await _result(standalone, payment["id"], "failed", reason="card lost")
    rerouted = (
        await standalone.post(
            f"/disbursement/v1/payments/{payment['id']}/retry",
            json={"actor": "finance", "reason": "re-route"},
        )
    ).json()
    assert rerouted["payee_account"].endswith("9876") and rerouted["attempts"] == 3
    trail = (await standalone.get(f"/disbursement/v1/cases/{case_id}/payee-changes")).json()
    assert [(c["status"], c["requested_by"], c["decided_by"]) for c in trail] == [
        ("approved", "test-officer", "township-head")
    ]


async def test_a_wrong_payment_is_reversed_and_paid_anew_never_edited(standalone, db):
    case_id, payment = await _approved_payment(
        standalone, application(address=address("140303", "140303001"))
    )
    await _result(standalone, payment["id"], "paid")
    corrected = await standalone.post(
        f"/disbursement/v1/payments/{payment['id']}/correction",
        json={"actor": "finance-head", "reason": "wrong amount", "amount": "100.00"},
    )
    assert corrected.status_code == 201, corrected.text
    new = corrected.json()
    assert new["reference"] == payment["reference"] + "-C1" and new["correction_of"] == payment["id"]
    await _result(standalone, new["id"], "paid")
    rows = (await standalone.get(f"/disbursement/v1/cases/{case_id}/payments")).json()
    assert [(r["status"], r["amount"]) for r in rows] == [("reversed", payment["amount"]), ("paid", "100.00")]
    trail = (await standalone.get(f"/disbursement/v1/cases/{case_id}/ledger")).json()
    assert [e["kind"] for e in trail] == ["payment", "reversal", "payment"]
    assert trail[1]["reverses_id"] == trail[0]["id"]
    with pytest.raises(asyncpg.RaiseError, match="append-only"):
        await db.execute("UPDATE disbursement.ledger_entries SET amount = 1 WHERE case_id = $1", case_id)
    with pytest.raises(asyncpg.RaiseError, match="append-only"):
        await db.execute("DELETE FROM disbursement.ledger_entries WHERE case_id = $1", case_id)
    report = (
        await standalone.get(
            "/disbursement/v1/ledger/reconciliation", params={"county_code": "140303", "year": 2026}
        )
    ).json()
    assert report["balanced"] is True, report


async def test_concurrent_reserve_fund_draws_never_overdraw(standalone):
    township = "140303002"
    fund = await standalone.post(
        f"/disbursement/v1/reserve-funds/{township}",
        json={
            "county_code": "140303",
            "year": 2026,
            "proportion": "0.05",
            "previous_year_spending": "20000.00",
            "actor": "county-finance",
        },
    )
    assert fund.json()["allocated"] == "1000.00"
    again = await standalone.post(
        f"/disbursement/v1/reserve-funds/{township}",
        json={"county_code": "140303", "year": 2026, "proportion": "0.05", "actor": "county-finance"},
    )
    assert again.status_code == 409

    def draw(amount):
        return standalone.post(
            f"/disbursement/v1/reserve-funds/{township}/2026/draws",
            json={"amount": amount, "actor": "township", "purpose": "emergency help"},
        )

    two = await asyncio.gather(draw("600.00"), draw("600.00"))
    assert sorted(r.status_code for r in two) == [201, 409]
    refused = next(r for r in two if r.status_code == 409).json()
    assert refused["rule"] == "R-RES"
    many = await asyncio.gather(*(draw("50.00") for _ in range(20)))
    assert sorted(r.status_code for r in many) == [201] * 8 + [409] * 12
    assert (await standalone.get(f"/disbursement/v1/reserve-funds/{township}/2026")).json()[
        "balance"
    ] == "0.00"
    report = (
        await standalone.get(
            "/disbursement/v1/reserve-funds/report", params={"county_code": "140303", "year": 2026}
        )
    ).json()
    row = next(r for r in report if r["township_code"] == township)
    assert (row["allocated"], row["drawn_in_period"], row["draws"], row["balance"]) == (
        "1000.00",
        "1000.00",
        9,
        "0.00",
    )
    reconciled = (
        await standalone.get(
            "/disbursement/v1/ledger/reconciliation", params={"county_code": "140303", "year": 2026}
        )
    ).json()
    assert all(f["balanced"] for f in reconciled["reserve_funds"])


async def test_in_kind_aid_needs_its_procurement_reference_and_everything_paid_is_disclosed_masked(
    standalone,
):
    township = "140311101"
    body = application(address=address("140311", township))
    case_id, goods = await _approved_payment(standalone, body, form="in_kind")
    assert (goods["channel"], goods["form"], goods["status"]) == ("direct", "in_kind", "awaiting_handover")
    handover = {
        "witness_name": "neighbour",
        "recipient_name": "张小明",
        "items": "rice 50kg, quilts x2",
    }
    missing = await standalone.post(f"/disbursement/v1/payments/{goods['id']}/handover", json=handover)
    assert missing.status_code == 422 and missing.json()["errors"][0]["field"] == "procurement_reference"
    done = await standalone.post(
        f"/disbursement/v1/payments/{goods['id']}/handover",
        json={**handover, "procurement_reference": "YQ-ZFCG-2026-0815"},
    )
    assert done.json()["status"] == "paid"
    cash_case, cash = await _approved_payment(standalone, application(address=address("140311", township)))
    await _result(standalone, cash["id"], "paid")
    period = {"township_code": township, "from": "2026-01-01", "to": "2026-12-31"}
    listed = (await standalone.get("/disbursement/v1/disclosures", params=period)).json()["items"]
    mine = [i for i in listed if i["amount"] in (goods["amount"], cash["amount"])]
    assert {i["form"] for i in mine} >= {"in_kind", "cash"}
    assert all(i["name"] == "张*明" for i in mine)
    goods_row = next(i for i in mine if i["form"] == "in_kind")
    assert goods_row["procurement_reference"] == "YQ-ZFCG-2026-0815" and goods_row["account"] == ""
    cash_row = next(i for i in mine if i["form"] == "cash")
    assert cash_row["account"].endswith("3445") and "6222020200" not in cash_row["account"]
    text = (await standalone.get("/disbursement/v1/disclosures", params={**period, "format": "csv"})).text
    parsed = list(csv.DictReader(io.StringIO(text)))
    assert len(parsed) == len(listed) and "张小明" not in text and "6222020200112233445" not in text
    # the 救助资金发放清单 as PDF (R-ARC-1): the same masked lines and their total, its hash in Repr-Digest
    pdf = await standalone.get("/disbursement/v1/disclosures", params={**period, "format": "pdf"})
    assert pdf.status_code == 200 and pdf.headers["content-type"] == "application/pdf"
    digest = base64.b64encode(hashlib.sha256(pdf.content).digest()).decode()
    assert pdf.headers["repr-digest"] == f"sha-256=:{digest}:"
    printed = "".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf.content)).pages)
    assert "临时救助资金发放清单" in printed and township in printed
    total = sum(Decimal(i["amount"]) for i in listed)
    assert f"{total:.2f}" in printed and cash_row["case_no"] in printed and cash_row["amount"] in printed
    assert "张小明" not in printed and "6222020200112233445" not in printed
    ARTIFACTS.mkdir(exist_ok=True)
    (ARTIFACTS / "payment-list.pdf").write_bytes(pdf.content)
    pdftoppm = await asyncio.to_thread(_pdftoppm)
    await asyncio.to_thread(
        subprocess.run,
        [pdftoppm, "-png", "-r", "80", "-f", "1", "-l", "1", "-singlefile"]
        + [str(ARTIFACTS / "payment-list.pdf"), str(ARTIFACTS / "payment-list")],
        check=True,
    )
