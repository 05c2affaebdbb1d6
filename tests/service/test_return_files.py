"""The bank's return files (回盘) reconciled against the instructions on the real database: results applied
through the payment rules (events via the outbox, never paid twice), mismatches to the exceptions queue,
one file one transaction (a malformed one refused naming its line and field, nothing applied), and the
same file twice changing nothing (R-AID-2, R-OVS-3)."""

import base64
import hashlib
from decimal import Decimal

import pytest

from tests.service import bank_helpers
from tests.service.bank_helpers import (
    approved_transfers,
    ensure_settings,
    import_return,
    rebuild_return,
    released_batch,
)

pytestmark = pytest.mark.asyncio(loop_scope="session")
fake_bank = bank_helpers.fake_bank  # the bank, a real HTTPS server process


async def _state(db, ids):
    """Everything an import could change for these payments."""
    return (
        await db.fetch(
            "SELECT id, status, attempts FROM disbursement.payment_instructions "
            "WHERE id = ANY($1::uuid[]) ORDER BY id",
            ids,
        ),
        await db.fetchval(
            "SELECT count(*) FROM disbursement.ledger_entries WHERE instruction_id = ANY($1::uuid[])", ids
        ),
        await db.fetchval(
            "SELECT count(*) FROM disbursement.outbox WHERE key IN "
            "(SELECT case_id::text FROM disbursement.payment_instructions WHERE id = ANY($1::uuid[]))",
            ids,
        ),
        await db.fetchval("SELECT count(*) FROM disbursement.bank_return_files"),
        await db.fetchval("SELECT count(*) FROM disbursement.reconciliation_exceptions"),
        await db.fetch(
            "SELECT instruction_id, attempt, status FROM disbursement.payment_attempts "
            "WHERE instruction_id = ANY($1::uuid[]) ORDER BY 1, 2",
            ids,
        ),
    )


async def test_importing_the_same_return_file_twice_changes_nothing(standalone, fake_bank, db):
    county, township = "140311", "140311102"
    await ensure_settings(standalone, county, payer_name="郊区财政局")
    payments = await approved_transfers(standalone, township, 3)
    ids = [p["id"] for p in payments]
    await fake_bank.fail({payments[0]["reference"]: ["F", "E101", "账户已冻结"]})
    batch = await released_batch(standalone, county, township)
    data = await fake_bank.return_file(batch["batch_no"])
    first = await import_return(standalone, data)
    assert first.status_code == 201, first.text
    assert (first.json()["paid"], first.json()["failed"], first.json()["exceptions"]) == (2, 1, 0)
    status = {
        p["id"]: (await standalone.get(f"/disbursement/v1/payments/{p['id']}")).json() for p in payments
    }
    assert status[ids[0]]["status"] == "failed" and status[ids[0]]["status_reason"] == "E101 账户已冻结"
    assert [status[i]["status"] for i in ids[1:]] == ["paid", "paid"]
    events = await db.fetch(
        "SELECT envelope FROM disbursement.outbox WHERE event_type LIKE '%payment-result-recorded%' "
        "AND envelope->>'subject' = ANY($1::text[])",
        [p["case_id"] for p in payments],
    )
    assert len(events) == 3  # the existing PaymentResultRecorded, through the outbox
    before = await _state(db, ids)
    again = await import_return(standalone, data)
    assert again.status_code == 200 and again.json()["already_imported"] is True
    assert again.json()["id"] == first.json()["id"]
    assert await _state(db, ids) == before
    whole = (await standalone.get(f"/disbursement/v1/bank-returns/{first.json()['id']}")).json()
    assert sorted(line["outcome"] for line in whole["lines"]) == ["failed", "paid", "paid"]
    batch_after = (await standalone.get(f"/disbursement/v1/bank-batches/{batch['id']}")).json()
    assert batch_after["status"] == "reconciled"


async def test_a_malformed_return_line_is_refused_with_its_line_number_and_nothing_applied(
    standalone, fake_bank, db
):
    county, township = "140322", "140322101"
    await ensure_settings(standalone, county)
    payments = await approved_transfers(standalone, township, 3)
    ids = [p["id"] for p in payments]
    batch = await released_batch(standalone, county, township)
    good = await fake_bank.return_file(batch["batch_no"])
    before = await _state(db, ids)
    lines = good.split(b"\r\n")
    fields = lines[3].split(b"|")
    fields[4] = b"12.3"  # line 4 (the third detail): an amount without its two decimals
    bad = b"\r\n".join([*lines[:3], b"|".join(fields), *lines[4:]])
    refused = await import_return(standalone, bad)
    assert refused.status_code == 422 and refused.headers["content-type"].startswith(
        "application/problem+json"
    )
    problem = refused.json()
    assert (problem["line"], problem["field"]) == (4, "amount"), problem
    assert problem["errors"][0]["field"] == "line[4].amount" and "nothing" in problem["detail"]
    assert await _state(db, ids) == before  # not even the two good lines before it
    forged = rebuild_return(good, lambda d: d)[:-60] + b"0" * 58 + b"\r\n"  # a trailer checksum that lies
    wrong = await import_return(standalone, forged)
    assert wrong.status_code == 422 and wrong.json()["field"] == "checksum" and wrong.json()["line"] == 5
    not_gbk = b"\r\n".join([lines[0], lines[1] + b"\x80", *lines[2:]])  # 0x80 is no GBK character
    broken = (await import_return(standalone, not_gbk)).json()
    assert (broken["status"], broken["line"], broken["field"]) == (422, 2, "encoding")
    assert (await import_return(standalone, b"")).status_code == 422
    garbled = await standalone.post("/disbursement/v1/bank-returns", json={"content_base64": "not base64!"})
    assert garbled.status_code == 422 and garbled.json()["errors"][0]["field"] == "content_base64"
    assert await _state(db, ids) == before
    applied = await import_return(standalone, good)
    assert applied.status_code == 201 and applied.json()["paid"] == 3


async def test_a_line_that_does_not_match_its_instruction_goes_to_the_exceptions_queue(
    standalone, fake_bank, db
):
    county, township = "140322", "140322104"
    await ensure_settings(standalone, county)
    payments = await approved_transfers(standalone, township, 4)
    batch = await released_batch(standalone, county, township)
    good = await fake_bank.return_file(batch["batch_no"])
    mine = {p["reference"] for p in payments}

    def tamper(details):
        ours = [d for d in details if d[2] in mine]
        ours[0][4] = f"{float(ours[0][4]) + 1:.2f}"  # the bank paid a different amount
        ours[1][3] = "6217000000000000001"  # to a different account
        ours[2][2] = "TA-NOT-OURS-01"  # a reference we never sent
        return details

    answer = await import_return(standalone, rebuild_return(good, tamper))
    assert answer.status_code == 201, answer.text
    report = answer.json()
    assert report["exceptions"] == 3 and report["paid"] == report["line_count"] - 3
    queue = (
        await standalone.get(
            "/disbursement/v1/reconciliation-exceptions",
            params={"return_file_id": report["id"], "status": "open"},
        )
    ).json()
    assert sorted(e["kind"] for e in queue) == ["account_mismatch", "amount_mismatch", "unknown_reference"]
    assert all("6217000000000000001" not in e["detail"] for e in queue)  # accounts masked
    untouched = [e["instruction_id"] for e in queue if e["instruction_id"]]
    for pid in untouched:
        assert (await standalone.get(f"/disbursement/v1/payments/{pid}")).json()["status"] == "scheduled"
    done = await standalone.post(
        f"/disbursement/v1/reconciliation-exceptions/{queue[0]['id']}/resolution",
        json={"resolution": "bank confirmed a keying error on its side"},
    )
    assert done.json()["status"] == "resolved" and done.json()["resolved_by"] == "test-officer"
    twice = await standalone.post(
        f"/disbursement/v1/reconciliation-exceptions/{queue[0]['id']}/resolution",
        json={"resolution": "again"},
    )
    assert twice.status_code == 409


def _restate(data: bytes, edit) -> bytes:
    """A statement with its detail records changed by ``edit``, renumbered, its trailer recomputed."""
    lines = data.decode("gbk").split("\r\n")[:-1]
    details = edit([line.split("|") for line in lines[1:-1]])
    for n, d in enumerate(details, start=1):
        d[1] = str(n)
    raw = ["|".join(d).encode("gbk") for d in details]
    head = lines[0].split("|")
    head[4] = str(len(raw))
    debits = sum((Decimal(d[5]) for d in details if d[4] == "DR"), Decimal("0.00"))
    credits = sum((Decimal(d[5]) for d in details if d[4] == "CR"), Decimal("0.00"))
    digest = hashlib.sha256(b"".join(r + b"\r\n" for r in raw)).hexdigest()
    tail = f"T|{len(raw)}|{debits:.2f}|{credits:.2f}|{digest}".encode()
    return b"\r\n".join(["|".join(head).encode(), *raw, tail]) + b"\r\n"


async def _import_statement(client, county, data):
    body = {"county_code": county, "content_base64": base64.b64encode(data).decode()}
    return await client.post("/disbursement/v1/bank-statements", json=body)


async def test_the_payer_accounts_statement_is_checked_against_what_the_bank_reported_paid(
    standalone, fake_bank
):
    county, township = "140311", "140311102"
    await ensure_settings(standalone, county, payer_name="郊区财政局")
    payments = await approved_transfers(standalone, township, 3)
    await fake_bank.fail({payments[0]["reference"]: ["R", "E201", "账户已销户"]})
    batch = await released_batch(standalone, county, township)
    imported = await import_return(standalone, await fake_bank.return_file(batch["batch_no"]))
    assert (imported.json()["paid"], imported.json()["returned"]) == (2, 1), imported.text
    returned = (await standalone.get(f"/disbursement/v1/payments/{payments[0]['id']}")).json()
    assert returned["status"] == "returned"
    day = batch["batch_date"].replace("-", "")
    statement = await fake_bank.statement("0502020009022100001", day)
    clean = await _import_statement(standalone, county, statement)
    assert clean.status_code == 201, clean.text
    assert (clean.json()["line_count"], clean.json()["matched"]) == (4, 4)
    ids = {p["id"] for p in payments}
    queue = (
        await standalone.get("/disbursement/v1/reconciliation-exceptions", params={"county_code": county})
    ).json()
    raised = [e for e in queue if e["statement_id"] == clean.json()["id"]]
    # only the county's earlier batches of today (other tests, another fake bank) may lack their debits
    assert not [e for e in raised if e["instruction_id"] in ids or e["kind"] != "statement_missing_debit"]
    again = await _import_statement(standalone, county, statement)
    assert again.status_code == 200 and again.json()["already_imported"] is True

    dropped = payments[1]["reference"]

    def tamper(details):
        kept = [d for d in details if d[3] != dropped]
        return [*kept, ["D", "0", day, "TA-NOT-OURS-02", "DR", "10.00", "6217000000000000001"]]

    odd = await _import_statement(standalone, county, _restate(statement, tamper))
    assert odd.status_code == 201 and odd.json()["exceptions"] == clean.json()["exceptions"] + 2, odd.text
    queue = (
        await standalone.get("/disbursement/v1/reconciliation-exceptions", params={"county_code": county})
    ).json()
    mine = sorted(
        e["kind"]
        for e in queue
        if e["statement_id"] == odd.json()["id"]
        and (e["instruction_id"] in ids or e["instruction_id"] is None)
    )
    assert mine == ["statement_missing_debit", "statement_unknown_reference"]
    missing = [
        e["instruction_id"]
        for e in queue
        if e["kind"] == "statement_missing_debit" and e["statement_id"] == odd.json()["id"]
    ]
    assert payments[1]["id"] in missing and not ids & set(missing) - {payments[1]["id"]}

    def bad_direction(details):
        details[0][4] = "XX"
        return details

    broken = await _import_statement(standalone, county, _restate(statement, bad_direction))
    assert broken.status_code == 422 and (broken.json()["line"], broken.json()["field"]) == (2, "direction")
