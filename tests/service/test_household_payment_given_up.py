"""Issue 17 part 2 / issue 20 on the real database, all services in one process (R-OVS-3): a payment the
finance office gave up is told to the household once — the amount, that the township office will contact
them to fix the payment details, and the office's contact; never the account or the officer's reason."""

from __future__ import annotations

import asyncio
import json
from typing import Any

import pytest

from shared.bus import Record
from tests.factories import address, application, eventually, pending_case, review

pytestmark = pytest.mark.asyncio(loop_scope="session")
COUNTY, TOWNSHIP = "140302", "140302001"
GIVEN_UP = "gov.assistance.disbursement.payment-given-up.v1"
ACCOUNT = "6222020200112233445"


async def _given_up_notices(db: Any, case_id: str) -> list[Any]:
    return await db.fetch(
        "SELECT facts FROM household.notices WHERE case_id = $1 AND kind = 'payment_given_up'", case_id
    )


async def test_a_given_up_payment_tells_the_household_once_with_the_amount_and_the_office(standalone, db):
    body = application(address=address(COUNTY, TOWNSHIP))
    assert body["payee"]["account"] == ACCOUNT
    case_id, _ = await pending_case(standalone, body)
    assert (await review(standalone, case_id)).status_code == 200
    decided = await standalone.post(
        f"/approval/v1/cases/{case_id}/decision",
        json={
            "decision": "approved",
            "amount": "700.00",
            "reasons": "R-FLOW-1",
            "role": "township",
            "confirm_extended_duration": True,
        },
    )
    assert decided.status_code == 200, decided.text

    async def payments() -> list[dict[str, Any]] | None:
        rows = (await standalone.get(f"/disbursement/v1/cases/{case_id}/payments")).json()
        return rows or None

    [payment] = await eventually(payments, what="the case's payment")
    pay = f"/disbursement/v1/payments/{payment['id']}"
    failed = await standalone.post(f"{pay}/result", json={"result": "failed", "reason": "account closed"})
    assert failed.status_code == 200, failed.text
    reason = f"户主张小明账户{ACCOUNT}已销户"
    given_up = await standalone.post(f"{pay}/give-up", json={"reason": reason})
    assert given_up.status_code == 200, given_up.text

    async def notice() -> dict[str, Any] | None:
        r = await standalone.get(f"/household/v1/cases/{case_id}/notices")
        found = [n for n in r.json() if n["kind"] == "payment_given_up"] if r.status_code == 200 else []
        return found[0] if found and found[0]["sms_text"] else None

    told = await eventually(notice, what="the payment_given_up notice rendered")
    text = told["sms_text"]
    assert told["template_version"] == "payment-given-up-1"
    assert "700.00元" in text and "上站街道办事处社会救助服务窗口" in text and "0353-2020101" in text
    assert "第1期" not in text  # a single payment names no stage
    assert ACCOUNT not in text and ACCOUNT[-4:] not in text and "张小明" not in text
    assert len(await _given_up_notices(db, case_id)) == 1

    envelope = await db.fetchval(
        "SELECT envelope FROM disbursement.outbox WHERE event_type = $1 AND key = $2", GIVEN_UP, case_id
    )
    value = envelope.encode() if isinstance(envelope, str) else json.dumps(envelope).encode()
    runtime = standalone.app.state.runtimes["disbursement"]
    record = Record(topic=runtime.topic("disbursement"), key=case_id, value=value)
    await runtime.bus.publish([record, record])  # delivered twice more: the inbox keeps one notice
    await asyncio.sleep(1.0)
    rows = await _given_up_notices(db, case_id)
    assert len(rows) == 1
    facts = json.loads(rows[0]["facts"]) if isinstance(rows[0]["facts"], str) else rows[0]["facts"]
    assert ACCOUNT not in json.dumps(facts) and "reason" not in facts
