"""The scorecard's three further indicators (R-OVS-1, issue 20 §6), each computed exactly over known records
of the service that keeps them, with the county's targets set in approval: the re-examination reversal rate
(approval: changed ÷ decided, R-REX-2), the reserve-fund turnover (disbursement's ledger: paid from the fund
÷ its opening balance, R-RES-2) and the referral fulfilment (referral: fulfilled offers and granted scheme
referrals ÷ accepted offers and scheme referrals with a final outcome, R-CHA-3). All five services on a
database of their own; the referral rows are written as fixtures (their timestamps chosen) with SQL."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from datetime import date, datetime, timedelta
from typing import Any

import asyncpg
import httpx
import pytest

from shared import clock
from tests.conftest import fresh_world
from tests.factories import address, application, auth, emergency_application, pending_case
from tests.factories import review as review_step

pytestmark = pytest.mark.asyncio(loop_scope="session")

YEAR = clock.local_today().year
COUNTY, T1, T2 = "140311", "140311101", "140311102"  # 郊区
CLERK = auth("ind-clerk", "intake_clerk", township=T1)
COUNTY_HEAD = auth("ind-county-head", "county_approver", county=COUNTY)


def _ok(response: httpx.Response, status: int = 200) -> Any:
    assert response.status_code == status, response.text
    return response.json()


@pytest.fixture(scope="module")
async def world(
    pg_server_url: str, tmp_path_factory: pytest.TempPathFactory
) -> AsyncIterator[dict[str, Any]]:
    async with fresh_world(pg_server_url, tmp_path_factory, "indicators") as (client, db):
        yield {"client": client, "db": db}


async def _decided(client: httpx.AsyncClient, township: str, amount: str) -> str:
    case_id, _ = await pending_case(client, application(address=address(COUNTY, township)))
    _ok(await review_step(client, case_id, amount=amount))
    body = {
        "decision": "approved",
        "amount": amount,
        "reasons": "R-FLOW-1",
        "role": "county",
        "confirm_extended_duration": True,
    }
    _ok(await client.post(f"/approval/v1/cases/{case_id}/decision", json=body))
    return case_id


async def _reexamined(client: httpx.AsyncClient, case_id: str, outcome: str, amount: str | None) -> None:
    asked = {"ground": "amount", "grounds": "家中收入已下降，请求复核"}
    _ok(await client.post(f"/approval/v1/cases/{case_id}/reexaminations", json=asked, headers=CLERK), 201)
    body: dict[str, Any] = {"outcome": outcome, "reasons": "复核 (R-REX-2)"}
    if amount is not None:
        body["amount"] = amount
    decided = await client.post(
        f"/approval/v1/cases/{case_id}/reexaminations/decision", json=body, headers=COUNTY_HEAD
    )
    _ok(decided)


async def test_the_reversal_rate_is_changed_over_decided_reexaminations_exactly(world):
    client = world["client"]
    cases = [await _decided(client, T1, "300.00") for _ in range(3)]
    await _reexamined(client, cases[0], "changed", "400.00")
    await _reexamined(client, cases[1], "upheld", None)
    await _reexamined(client, cases[2], "upheld", None)
    open_one = await _decided(client, T1, "300.00")  # asked, not decided: not in the rate
    asked = {"ground": "amount", "grounds": "请求复核"}
    _ok(await client.post(f"/approval/v1/cases/{open_one}/reexaminations", json=asked, headers=CLERK), 201)
    for indicator, target in (("reexamination_reversal_share", "0.3"), ("reserve_fund_turnover", "1.5")):
        _ok(
            await client.put(
                f"/approval/v1/scorecard-targets/{COUNTY}/{YEAR}",
                json={"indicator": indicator, "target": target},
            )
        )
    body = _ok(await client.get("/approval/v1/scorecards", params={"county_code": COUNTY, "year": YEAR}))
    card = next(c for c in body["townships"] if c["township_code"] == T1)
    [rate] = [s for s in card["scores"] if s["indicator"] == "reexamination_reversal_share"]
    assert (rate["value"], rate["target"], rate["met"], rate["basis"]) == ("0.3333", "0.3", False, 3)
    other = next(c for c in body["townships"] if c["township_code"] == T2)
    assert [s["value"] for s in other["scores"] if s["indicator"] == "reexamination_reversal_share"] == [None]
    indicators = {i["indicator"]: (i["at_most"], i["share"], i["source"]) for i in body["indicators"]}
    assert indicators == {
        "time_to_decision_days": (True, False, "approval"),
        "help_first_on_time_share": (False, True, "approval"),
        "within_delegation_share": (False, True, "approval"),
        "reexamination_reversal_share": (True, True, "approval"),
        "reserve_fund_turnover": (False, False, "disbursement"),
        "referral_fulfilment_share": (False, True, "referral"),
    }
    # the turnover is a ratio, not a share: a target above 1 is allowed; a share's is not
    targets = {t["indicator"]: t["target"] for t in body["targets"]}
    assert targets["reserve_fund_turnover"] == "1.5"
    too_much = {"indicator": "referral_fulfilment_share", "target": "1.2"}
    assert (
        await client.put(f"/approval/v1/scorecard-targets/{COUNTY}/{YEAR}", json=too_much)
    ).status_code == 422


async def _helped_first(client: httpx.AsyncClient, amount: str) -> str:
    case_id, _ = await pending_case(client, emergency_application(address=address(COUNTY, T2)))
    grant = {"role": "township", "amount": amount, "form": "cash", "channel": "direct", "reasons": "fire"}
    _ok(await client.post(f"/approval/v1/cases/{case_id}/help-first", json=grant), 201)
    return case_id


async def _payment(client: httpx.AsyncClient, case_id: str) -> dict[str, Any]:
    from tests.factories import eventually

    async def probe() -> dict[str, Any] | None:
        rows = (await client.get(f"/disbursement/v1/cases/{case_id}/payments")).json()
        return rows[0] if rows else None

    return await eventually(probe, what=f"the help-first payment of {case_id}")


async def test_the_reserve_fund_turnover_is_paid_from_the_fund_over_its_opening_balance(world):
    client = world["client"]
    allocation = {
        "county_code": COUNTY,
        "year": YEAR,
        "proportion": "0.12",
        "previous_year_spending": "25000.00",
    }
    _ok(await client.post(f"/disbursement/v1/reserve-funds/{T2}", json=allocation), 201)  # opens with 3000.00
    handover = {"witness_name": "village-head", "recipient_name": "王大力", "items": "cash"}
    for amount in ("450.00", "330.50"):  # handed over: paid from the fund
        payment = await _payment(client, await _helped_first(client, amount))
        _ok(await client.post(f"/disbursement/v1/payments/{payment['id']}/handover", json=handover))
    waiting = await _payment(client, await _helped_first(client, "200.00"))  # drawn, not yet paid
    assert waiting["status"] == "awaiting_handover"
    period = {"county_code": COUNTY, "from": f"{YEAR}-01-01", "to": f"{YEAR}-12-31"}
    figures = _ok(await client.get("/disbursement/v1/figures", params=period))
    [fund] = [f for f in figures["reserve_funds"] if f["township_code"] == T2]
    assert (fund["opening"], fund["paid"], fund["drawn"], fund["balance"]) == (
        "3000.00",
        "780.50",
        "980.50",
        "2019.50",
    )
    assert fund["turnover"] == "0.2602"  # 780.50 / 3000.00 = 0.260166…, half up to 4 places


async def _offer(db: asyncpg.Connection, township: str, status: str, offered: datetime) -> None:
    record, case_id = str(uuid.uuid4()), str(uuid.uuid4())
    await db.execute(
        "INSERT INTO referral.needs_records (id, case_id, case_ref, county_code, township_code, need_type, "
        "remaining_amount, household_size, status, published_at, match_state) "
        "VALUES ($1, $2, $3, $4, $5, 'education', 1000.00, 3, 'published', $6, 'closed')",
        record,
        case_id,
        f"ref-{record[:8]}",
        COUNTY,
        township,
        offered,
    )
    await db.execute(
        "INSERT INTO referral.tasks (id, record_id, case_id, partner_id, status, offered_at, expires_at) "
        "VALUES ($1, $2, $3, $4, $5, $6, $7)",
        str(uuid.uuid4()),
        record,
        case_id,
        str(uuid.uuid4()),
        status,
        offered,
        offered + timedelta(days=3),
    )


async def _scheme(db: asyncpg.Connection, township: str, status: str, created: datetime) -> None:
    await db.execute(
        "INSERT INTO referral.scheme_referrals (id, case_id, county_code, township_code, partner_id, scheme, "
        "need_type, status, due_on, created_by, created_at) "
        "VALUES ($1, $2, $3, $4, $5, 'medical_assistance', 'medical', $6, $7, 'fixture', $8)",
        str(uuid.uuid4()),
        str(uuid.uuid4()),
        COUNTY,
        township,
        str(uuid.uuid4()),
        status,
        created.date() + timedelta(days=20),
        created,
    )


async def test_the_referral_fulfilment_is_fulfilled_over_accepted_offers_and_answered_schemes(world):
    client, db = world["client"], world["db"]
    this_year = clock.now() - timedelta(minutes=5)
    for status in ("completed", "completed", "completed", "accepted", "in-progress"):
        await _offer(db, T1, status, this_year)  # five accepted, three fulfilled
    for status in ("rejected", "requested", "cancelled"):
        await _offer(db, T1, status, this_year)  # never accepted: not in the rate
    await _offer(db, T1, "completed", clock.start_of(date(YEAR - 1, 6, 1)))  # last year
    for status in ("granted", "refused", "applied"):  # applied: no final outcome yet
        await _scheme(db, T1, status, this_year)
    await _offer(db, T2, "accepted", this_year)
    period = {"county_code": COUNTY, "from": f"{YEAR}-01-01", "to": f"{YEAR}-12-31"}
    figures = _ok(await client.get("/referral/v1/figures", params=period))
    rows = {r["township_code"]: r for r in figures["by_township"]}
    assert rows[T1] == {
        "county_code": COUNTY,
        "township_code": T1,
        "accepted_offers": 5,
        "fulfilled_offers": 3,
        "scheme_outcomes": 2,
        "schemes_granted": 1,
        "fulfilment": "0.5714",  # (3 + 1) / (5 + 2)
    }
    assert (rows[T2]["accepted_offers"], rows[T2]["fulfilment"]) == (1, "0.0000")
    elsewhere = _ok(await client.get("/referral/v1/figures", params={**period, "county_code": "140302"}))
    assert elsewhere["by_township"] == []
