"""Amending and cancelling purchased-service contracts on the real database (R-CHA-3, issue 18 part 4): each
amendment is an effective-dated revision kept as history, performance is measured against the terms in
force on the day asked, and a cancellation stops the contract counting from its effective date. Figures are
computed EXACTLY over offers written here with known times, answers and amounts. Bad input is
problem+json naming the cause, and nothing is written."""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest

from services.referral.domain.uscc import check_character
from tests.factories import auth

pytestmark = pytest.mark.asyncio(loop_scope="session")
COUNTY, OTHER = "140322", "140321"
TOWNSHIP = f"{COUNTY}101"
CST = ZoneInfo("Asia/Shanghai")
ADMIN = auth("yuxian-policy", "policy_admin", county=COUNTY)
OTHER_ADMIN = auth("pingding-policy", "policy_admin", county=OTHER)
TOWNSHIP_CLERK = auth("township-clerk", "intake_clerk", county=COUNTY, township=TOWNSHIP)
PROBLEM = "application/problem+json"


def at(month: int, day: int, hour: int = 9) -> datetime:
    return datetime(2026, month, day, hour, 0, tzinfo=CST)


def uscc(n: int) -> str:
    first = f"5214032200000001{n % 10}"
    return first + check_character(first)


async def register(client, n: int) -> dict:
    body = {
        "name": f"社工机构{n}",
        "kind": "social_work_org",
        "need_types": ["living", "care"],
        "service_areas": [COUNTY],
        "uscc": uscc(n),
    }
    r = await client.post("/referral/v1/partners", json=body)
    assert r.status_code == 201, r.text
    return r.json()


async def offer(db, partner: dict, offered: datetime, *, answer: str, after: int, amount: str | None = None):
    """One offer (Task) of a fresh needs record asking 5000.00: ``answer`` accepted | declined | completed,
    ``after`` the seconds from the offer to the answer."""
    record, case = str(uuid.uuid4()), str(uuid.uuid4())
    await db.execute(
        "INSERT INTO referral.needs_records (id, case_id, case_ref, county_code, township_code, need_type, "
        "remaining_amount, household_size, status, published_at, match_state) "
        "VALUES ($1, $2, $3, $4, $5, 'living', 5000, 3, 'published', $6, 'offered')",
        record, case, "R" + record[:12], COUNTY, TOWNSHIP, offered,
    )  # fmt: skip
    status = {"accepted": "accepted", "declined": "rejected", "completed": "completed"}[answer]
    responded = offered + timedelta(seconds=after)
    await db.execute(
        "INSERT INTO referral.tasks (id, record_id, case_id, partner_id, status, offered_at, expires_at, "
        "responded_at, completed_at, fulfilled_amount, requested_amount) "
        "VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, 5000)",
        str(uuid.uuid4()), record, case, partner["id"], status, offered, offered + timedelta(days=3),
        responded, responded + timedelta(days=1) if answer == "completed" else None,
        Decimal(amount) if amount else None,
    )  # fmt: skip


async def seeded_partner(client, db, n: int) -> dict:
    """A partner with six offers in the county (Asia/Shanghai days):
    10-05 completed 1000.00 (600 s), 10-12 completed 500.00 (1200 s), 10-20 accepted not yet fulfilled
    (600 s; holds its 5000.00), 10-25 declined (60 s), 11-10 completed 300.00 (600 s), 11-20 completed
    200.00 (600 s)."""
    p = await register(client, n)
    await offer(db, p, at(10, 5), answer="completed", after=600, amount="1000.00")
    await offer(db, p, at(10, 12), answer="completed", after=1200, amount="500.00")
    await offer(db, p, at(10, 20), answer="accepted", after=600)
    await offer(db, p, at(10, 25), answer="declined", after=60)
    await offer(db, p, at(11, 10), answer="completed", after=600, amount="300.00")
    await offer(db, p, at(11, 20), answer="completed", after=600, amount="200.00")
    return p


async def contract_of(client, partner: dict, ref: str, **overrides) -> dict:
    body = {
        "partner_id": partner["id"],
        "county_code": COUNTY,
        "procurement_ref": ref,
        "title": "2026年临时救助对象生活照料服务",
        "starts_on": "2026-10-01",
        "ends_on": "2026-10-31",
        "budget": "20000.00",
        "targets": [{"need_type": "living", "volume": 4}],
    } | overrides
    r = await client.post("/referral/v1/contracts", json=body, headers=ADMIN)
    assert r.status_code == 201, r.text
    return r.json()


AMENDMENT = {
    "effective_on": "2026-10-20",
    "budget": "10000.00",
    "ends_on": "2026-11-30",
    "targets": [{"need_type": "living", "volume": 5}],
    "reason": "区财政调减预算, 服务期延长一个月 (补充协议第1号)",
}


async def performance(client, contract: dict, on: str | None = None) -> dict:
    url = f"/referral/v1/contracts/{contract['id']}/performance" + (f"?on={on}" if on else "")
    r = await client.get(url)
    assert r.status_code == 200, r.text
    return r.json()


def figures(p: dict) -> tuple:
    return (
        p["terms"]["revision"],
        p["counted_to"],
        p["offers"],
        p["accepted"],
        p["fulfilled"],
        p["amount_delivered"],
        p["budget"],
        p["budget_used"],
        [(t["volume"], t["fulfilled"], t["progress"]) for t in p["targets"]],
    )


async def test_performance_is_measured_against_the_terms_in_force_on_the_day_asked(standalone, db):
    partner = await seeded_partner(standalone, db, 1)
    contract = await contract_of(standalone, partner, "YXCG-A-1")
    # as signed: October only, budget 20000.00, 4 living
    before = await performance(standalone, contract)
    assert figures(before) == (
        0, "2026-10-31", 4, 3, 2, "1500.00", "20000.00", "0.0750", [(4, 2, "0.5000")]
    )  # fmt: skip
    assert before["acceptance_rate"] == "0.7500" and before["avg_response_seconds"] == "800.0"
    r = await standalone.post(
        f"/referral/v1/contracts/{contract['id']}/amendments", json=AMENDMENT, headers=ADMIN
    )
    assert r.status_code == 201, r.text
    amended = r.json()
    # GET: the terms in force today, the terms as signed, the history with old -> new, who and why
    got = (await standalone.get(f"/referral/v1/contracts/{contract['id']}")).json()
    assert got == amended
    assert (got["revision"], got["budget"], got["ends_on"], got["targets"]) == (
        1, "10000.00", "2026-11-30", [{"need_type": "living", "volume": 5}]
    )  # fmt: skip
    assert (got["signed"]["budget"], got["signed"]["ends_on"], got["status"]) == (
        "20000.00",
        "2026-10-31",
        "active",
    )
    [history] = got["amendments"]
    assert history["changes"] == {
        "budget": {"from": "20000.00", "to": "10000.00"},
        "ends_on": {"from": "2026-10-31", "to": "2026-11-30"},
        "targets": {
            "from": [{"need_type": "living", "volume": 4}],
            "to": [{"need_type": "living", "volume": 5}],
        },
    }
    assert (history["revision"], history["effective_on"], history["amended_by"], history["reason"]) == (
        1, "2026-10-20", "yuxian-policy", AMENDMENT["reason"]
    )  # fmt: skip
    # the day before the amendment takes effect: the terms as signed, offers up to that day
    assert figures(await performance(standalone, contract, "2026-10-19")) == (
        0, "2026-10-19", 2, 2, 2, "1500.00", "20000.00", "0.0750", [(4, 2, "0.5000")]
    )  # fmt: skip
    # from its effective date: the amended budget and target, offers up to the day asked
    assert figures(await performance(standalone, contract, "2026-10-25")) == (
        1, "2026-10-25", 4, 3, 2, "1500.00", "10000.00", "0.1500", [(5, 2, "0.4000")]
    )  # fmt: skip
    # today: the extension counts November's offers too
    after = await performance(standalone, contract)
    assert figures(after) == (1, "2026-11-30", 6, 5, 4, "2000.00", "10000.00", "0.2000", [(5, 4, "0.8000")])
    # the contract as signed is never overwritten
    row = await db.fetchrow(
        "SELECT budget, ends_on, targets FROM referral.partner_contracts WHERE id = $1", contract["id"]
    )
    assert (str(row["budget"]), row["ends_on"].isoformat()) == ("20000.00", "2026-10-31")


async def test_a_cancelled_contract_counts_nothing_from_its_effective_date_and_stays_readable(standalone, db):
    partner = await seeded_partner(standalone, db, 2)
    contract = await contract_of(standalone, partner, "YXCG-B-1")
    url = f"/referral/v1/contracts/{contract['id']}"
    assert (await standalone.post(f"{url}/amendments", json=AMENDMENT, headers=ADMIN)).status_code == 201
    ranking = "/referral/v1/rankings?county_code=140322&from=2026-11-01&to=2026-11-30"
    ranked_before = (await standalone.get(ranking)).json()["partners"]
    r = await standalone.post(
        f"{url}/cancellation",
        json={"effective_on": "2026-11-15", "reason": "服务机构违约, 提前解除"},
        headers=ADMIN,
    )
    assert r.status_code == 201, r.text
    cancelled = r.json()
    assert cancelled["status"] == "cancelled"
    assert {k: cancelled["cancellation"][k] for k in ("effective_on", "cancelled_by")} == {
        "effective_on": "2026-11-15",
        "cancelled_by": "yuxian-policy",
    }
    assert len(cancelled["amendments"]) == 1  # the history stays
    # from 11-15 nothing counts: the 11-20 offer is out, the 11-10 one in
    assert figures(await performance(standalone, contract)) == (
        1, "2026-11-14", 5, 4, 3, "1800.00", "10000.00", "0.1800", [(5, 3, "0.6000")]
    )  # fmt: skip
    # before the cancellation's date the figures are what they were
    assert figures(await performance(standalone, contract, "2026-11-10")) == (
        1, "2026-11-10", 5, 4, 3, "1800.00", "10000.00", "0.1800", [(5, 3, "0.6000")]
    )  # fmt: skip
    # readable, also in the partner's list
    assert (await standalone.get(url)).json() == cancelled
    listed = (await standalone.get(f"/referral/v1/partners/{partner['id']}/contracts")).json()
    assert [(c["id"], c["status"]) for c in listed] == [(contract["id"], "cancelled")]
    # the ranking counts the partner's offers, not its contracts: the work done stays in it (R-CHA-3)
    assert (await standalone.get(ranking)).json()["partners"] == ranked_before
    mine = [p for p in ranked_before if p["partner_id"] == partner["id"]]
    assert [(p["offers"], p["fulfilled"], p["amount_delivered"]) for p in mine] == [(2, 2, "500.00")]


async def test_a_cancelled_contract_cannot_be_amended_or_cancelled_again(standalone, db):
    partner = await register(standalone, 3)
    contract = await contract_of(standalone, partner, "YXCG-C-1")
    url = f"/referral/v1/contracts/{contract['id']}"
    cancel = {"effective_on": "2026-10-01", "reason": "项目撤销"}
    assert (await standalone.post(f"{url}/cancellation", json=cancel, headers=ADMIN)).status_code == 201
    amend = await standalone.post(f"{url}/amendments", json=AMENDMENT, headers=ADMIN)
    assert amend.status_code == 409 and amend.headers["content-type"].startswith(PROBLEM)
    assert amend.json()["type"].endswith("contract-cancelled") and "cancelled" in amend.json()["detail"]
    assert amend.json()["cancelled_on"] == "2026-10-01"
    again = await standalone.post(f"{url}/cancellation", json=cancel, headers=ADMIN)
    assert again.status_code == 409 and again.json()["type"].endswith("contract-cancelled")
    assert (
        await db.fetchval(
            "SELECT count(*) FROM referral.contract_amendments WHERE contract_id = $1", contract["id"]
        )
        == 0
    )
    # cancelled on its first day it holds no day: the partner may be contracted for the period again
    await contract_of(standalone, partner, "YXCG-C-2")


async def test_a_cancellation_outside_the_period_is_a_422_naming_effective_on_elsewhere_a_404(standalone, db):
    partner = await register(standalone, 4)
    contract = await contract_of(standalone, partner, "YXCG-D-1")
    url = f"/referral/v1/contracts/{contract['id']}/cancellation"
    for day in ("2026-09-30", "2026-11-01"):
        r = await standalone.post(url, json={"effective_on": day, "reason": "x"}, headers=ADMIN)
        assert r.status_code == 422 and r.headers["content-type"].startswith(PROBLEM), r.text
        assert r.json()["errors"][0]["field"] == "effective_on"
    for headers, target in (
        (OTHER_ADMIN, url),
        (ADMIN, f"/referral/v1/contracts/{uuid.uuid4()}/cancellation"),
    ):
        r = await standalone.post(target, json={"effective_on": "2026-10-15", "reason": "x"}, headers=headers)
        assert r.status_code == 404 and r.headers["content-type"].startswith(PROBLEM), r.text
    # the last day of the period in force is still inside it
    ok = await standalone.post(url, json={"effective_on": "2026-10-31", "reason": "x"}, headers=ADMIN)
    assert ok.status_code == 201, ok.text
    assert (
        await db.fetchval(
            "SELECT count(*) FROM referral.contract_cancellations WHERE contract_id = $1", contract["id"]
        )
        == 1
    )


async def test_a_budget_below_what_was_delivered_and_committed_is_a_409(standalone, db):
    partner = await seeded_partner(standalone, db, 5)
    contract = await contract_of(standalone, partner, "YXCG-E-1")
    url = f"/referral/v1/contracts/{contract['id']}/amendments"
    # October: 1500.00 delivered, 5000.00 held by the accepted offer of 10-20
    low = await standalone.post(
        url, json={"effective_on": "2026-10-15", "budget": "6499.99", "reason": "调减"}, headers=ADMIN
    )
    assert low.status_code == 409 and low.headers["content-type"].startswith(PROBLEM)
    body = low.json()
    assert body["type"].endswith("budget-below-spent") and (body["spent"], body["committed"]) == (
        "1500.00",
        "5000.00",
    )
    assert body["errors"][0]["field"] == "budget"
    assert (
        await db.fetchval(
            "SELECT count(*) FROM referral.contract_amendments WHERE contract_id = $1", contract["id"]
        )
        == 0
    )
    exact = await standalone.post(
        url, json={"effective_on": "2026-10-15", "budget": "6500.00", "reason": "调减"}, headers=ADMIN
    )
    assert exact.status_code == 201, exact.text
    assert exact.json()["amendments"][0]["changes"] == {"budget": {"from": "20000.00", "to": "6500.00"}}


async def test_bad_amendments_are_problems_naming_the_cause_and_write_nothing(standalone, db):
    partner = await register(standalone, 6)
    contract = await contract_of(standalone, partner, "YXCG-F-1")
    url = f"/referral/v1/contracts/{contract['id']}/amendments"
    good = {"effective_on": "2026-10-10", "budget": "18000.00", "reason": "调整"}

    async def refused(status: int, body: dict, headers: dict = ADMIN, target: str = url) -> dict:
        r = await standalone.post(target, json=body, headers=headers)
        assert r.status_code == status and r.headers["content-type"].startswith(PROBLEM), r.text
        return r.json()

    unknown = await refused(404, good, target=f"/referral/v1/contracts/{uuid.uuid4()}/amendments")
    assert "contract" in unknown["detail"]
    await refused(404, good, headers=OTHER_ADMIN)  # another county's contract does not exist for it
    await refused(403, good, headers=TOWNSHIP_CLERK)
    for budget in ("0", "0.00", "-1.00"):
        assert "budget" in str(await refused(422, {**good, "budget": budget}))
    assert "ends_on" in str(await refused(422, {**good, "budget": None, "ends_on": "2026-10-30"}))
    assert "effective_on" in str(await refused(422, {**good, "effective_on": "2026-09-30"}))
    assert "effective_on" in str(await refused(422, {**good, "effective_on": "2026-11-01"}))
    await refused(422, {"effective_on": "2026-10-10", "reason": "空"})  # changes nothing
    await refused(422, {**good, "effective_on": "0001-01-01"})  # outside the days a contract may have
    await refused(422, {**good, "reason": ""})
    # an extension into the partner's next contract
    await contract_of(standalone, partner, "YXCG-F-2", starts_on="2026-11-16", ends_on="2026-12-31")
    clash = await refused(409, {**good, "budget": None, "ends_on": "2026-11-20"})
    assert clash["type"].endswith("contract-overlaps")
    assert (
        await db.fetchval(
            "SELECT count(*) FROM referral.contract_amendments WHERE contract_id = $1", contract["id"]
        )
        == 0
    )
    # a later amendment may not take effect before an earlier one
    assert (await standalone.post(url, json=good, headers=ADMIN)).status_code == 201
    earlier = await refused(422, {**good, "effective_on": "2026-10-09", "budget": "17000.00"})
    assert earlier["errors"][0]["field"] == "effective_on"
    assert (
        await db.fetchval(
            "SELECT count(*) FROM referral.contract_amendments WHERE contract_id = $1", contract["id"]
        )
        == 1
    )


async def test_an_extended_period_is_held_against_new_contracts_and_the_amender_is_audited(standalone, db):
    partner = await register(standalone, 7)
    contract = await contract_of(standalone, partner, "YXCG-G-1")
    r = await standalone.post(
        f"/referral/v1/contracts/{contract['id']}/amendments",
        json={"effective_on": "2026-10-31", "ends_on": "2026-11-30", "reason": "延期"},
        headers=ADMIN,
    )
    assert r.status_code == 201, r.text
    clash = await standalone.post(
        "/referral/v1/contracts",
        json={
            "partner_id": partner["id"],
            "county_code": COUNTY,
            "procurement_ref": "YXCG-G-2",
            "title": "t",
            "starts_on": "2026-11-30",
            "ends_on": "2026-12-31",
            "budget": "100.00",
            "targets": [{"need_type": "living", "volume": 1}],
        },
        headers=ADMIN,
    )
    assert clash.status_code == 409 and clash.json()["overlaps"] == contract["id"]
    assert "2026-11-30" in clash.json()["detail"]
    audited = await db.fetch(
        "SELECT actor, action, target FROM referral.audit_log WHERE kind = 'change' "
        "AND action = 'POST /referral/v1/contracts/{contract_id}/amendments' AND target::text LIKE $1",
        f"%{contract['id']}%",
    )
    assert [a["actor"] for a in audited] == ["yuxian-policy"]
