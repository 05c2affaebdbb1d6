"""Issue 18 part 4 on the real database (R-CHA-3 激励扶持): a county's purchased-service contracts with
partners (政府购买服务) and their performance from the referral data, the published ranking of its partners
for a period — computed EXACTLY over offers written here with known times, answers and amounts — and the
rewards and commendations it records. Bad input is problem+json naming the cause, nothing written."""

from __future__ import annotations

import csv
import io
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
OCT = datetime(2026, 10, 10, 9, 0, tzinfo=CST)
ADMIN = auth("yuxian-policy", "policy_admin", county=COUNTY)


def uscc(n: int) -> str:
    first = f"5214032200000000{n % 10}"
    return first + check_character(first)


async def register(client, name: str, n: int, areas: list[str] | None = None) -> dict:
    body = {
        "name": name,
        "kind": "social_work_org",
        "need_types": ["living", "care"],
        "service_areas": areas or [COUNTY],
        "uscc": uscc(n),
    }
    r = await client.post("/referral/v1/partners", json=body)
    assert r.status_code == 201, r.text
    return r.json()


async def offer(
    db,
    partner: dict,
    offered: datetime,
    *,
    answer: str,
    after: int = 0,
    amount: str | None = None,
    county: str = COUNTY,
    need: str = "living",
) -> None:
    """One offer (Task) of a fresh needs record: ``answer`` is accepted | declined | completed | expired,
    ``after`` the seconds from the offer to the answer."""
    record, case = str(uuid.uuid4()), str(uuid.uuid4())
    await db.execute(
        "INSERT INTO referral.needs_records (id, case_id, case_ref, county_code, township_code, need_type, "
        "remaining_amount, household_size, status, published_at, match_state) "
        "VALUES ($1, $2, $3, $4, $5, $6, 5000, 3, 'published', $7, 'offered')",
        record, case, "R" + record[:12], county, county + "101", need, offered,
    )  # fmt: skip
    status = {"accepted": "accepted", "declined": "rejected", "completed": "completed"}.get(
        answer, "cancelled"
    )
    responded = offered + timedelta(seconds=after) if answer != "expired" else None
    await db.execute(
        "INSERT INTO referral.tasks (id, record_id, case_id, partner_id, status, status_reason, offered_at, "
        "expires_at, responded_at, completed_at, fulfilled_amount, requested_amount) "
        "VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, 5000)",
        str(uuid.uuid4()), record, case, partner["id"], status,
        "offer_expired" if answer == "expired" else None, offered, offered + timedelta(days=3), responded,
        responded + timedelta(days=1) if answer == "completed" else None,
        Decimal(amount) if amount else None,
    )  # fmt: skip


@pytest.fixture(scope="module")
async def fixtures(standalone, database_url):
    """Six partners and their offers in October 2026 (Asia/Shanghai), plus offers that must not count:
    before and after the period, in another county."""
    import asyncpg

    db = await asyncpg.connect(database_url.replace("postgresql+asyncpg", "postgresql"))
    p = {k: await register(standalone, f"机构{k}", i) for i, k in enumerate("ABCDEF", start=1)}
    h = 3600
    # A: 4 offers, 3 accepted (1h, 2h, 0.5h: mean 4200 s), 2 fulfilled (1000.00 + 500.50), 1 declined at the
    # period's last local minute
    await offer(db, p["A"], OCT, answer="completed", after=h, amount="1000.00")
    await offer(db, p["A"], OCT, answer="completed", after=2 * h, amount="500.50")
    await offer(db, p["A"], OCT, answer="accepted", after=h // 2)
    await offer(db, p["A"], datetime(2026, 10, 31, 23, 59, tzinfo=CST), answer="declined", after=60)
    # B: 2 offers, both accepted (600 s, 1200 s) and fulfilled (300 + 200): first
    await offer(db, p["B"], OCT, answer="completed", after=600, amount="300.00")
    await offer(db, p["B"], OCT, answer="completed", after=1200, amount="200.00")
    # not counted: before the period (local), after it, in another county
    await offer(db, p["B"], datetime(2026, 9, 30, 23, 59, tzinfo=CST), answer="declined", after=60)
    await offer(db, p["B"], datetime(2026, 11, 1, 0, 0, tzinfo=CST), answer="declined", after=60)
    await offer(db, p["B"], OCT, answer="declined", after=60, county=OTHER)
    # C: 3 offers, 2 accepted (600 s each) and fulfilled: fulfilment 1 like B, acceptance 2/3 below B's
    await offer(db, p["C"], OCT, answer="completed", after=600, amount="50.00")
    await offer(db, p["C"], OCT, answer="completed", after=600, amount="50.00", need="care")
    await offer(db, p["C"], OCT, answer="declined", after=600)
    # D and E: A's rates (2/3 fulfilled, 3/4 accepted) but answering in 60 s: ahead of A, tied with each
    # other on every figure, so they share a rank, ordered by USCC (D's is lower)
    for k in "DE":
        await offer(db, p[k], OCT, answer="completed", after=60, amount="100.00")
        await offer(db, p[k], OCT, answer="completed", after=60, amount="100.00")
        await offer(db, p[k], OCT, answer="accepted", after=60)
        await offer(db, p[k], OCT, answer="declined", after=60)
    # F: one offer that expired: nothing accepted, no fulfilment rate: last
    await offer(db, p["F"], OCT, answer="expired")
    await db.close()
    return p


RANKING = "/referral/v1/rankings?county_code=140322&from=2026-10-01&to=2026-10-31"


async def test_the_partner_ranking_is_computed_exactly_over_the_fixtures(standalone, fixtures):
    r = await standalone.get(RANKING, headers={"Authorization": ""})  # public: no token needed
    assert r.status_code == 200, r.text
    body = r.json()
    assert (body["county_code"], body["from"], body["to"]) == (COUNTY, "2026-10-01", "2026-10-31")
    got = [
        (
            row["name"],
            row["rank"],
            row["offers"],
            row["accepted"],
            row["fulfilled"],
            row["acceptance_rate"],
            row["fulfilment_rate"],
            row["avg_response_seconds"],
            row["amount_delivered"],
        )
        for row in body["partners"]
    ]
    assert got == [
        ("机构B", 1, 2, 2, 2, "1.0000", "1.0000", "900.0", "500.00"),
        ("机构C", 2, 3, 2, 2, "0.6667", "1.0000", "600.0", "100.00"),
        ("机构D", 3, 4, 3, 2, "0.7500", "0.6667", "60.0", "200.00"),
        ("机构E", 3, 4, 3, 2, "0.7500", "0.6667", "60.0", "200.00"),
        ("机构A", 5, 4, 3, 2, "0.7500", "0.6667", "4200.0", "1500.50"),
        ("机构F", 6, 1, 0, 0, "0.0000", None, None, "0.00"),
    ]
    assert [row["uscc"] for row in body["partners"]] == [fixtures[k]["uscc"] for k in "BCDEAF"]
    # public-safe: partner names, USCC and figures only
    assert set(body["partners"][0]) == {
        "rank", "partner_id", "name", "uscc", "offers", "accepted", "fulfilled", "acceptance_rate",
        "fulfilment_rate", "avg_response_seconds", "amount_delivered",
    }  # fmt: skip


async def test_the_ranking_is_published_as_csv_in_the_same_order(standalone, fixtures):
    r = await standalone.get(RANKING + "&format=csv", headers={"Authorization": ""})
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(r.text)))
    assert [(x["rank"], x["name"], x["amount_delivered"]) for x in rows] == [
        ("1", "机构B", "500.00"),
        ("2", "机构C", "100.00"),
        ("3", "机构D", "200.00"),
        ("3", "机构E", "200.00"),
        ("5", "机构A", "1500.50"),
        ("6", "机构F", "0.00"),
    ]


async def test_a_ranking_period_ending_before_it_starts_is_a_422_naming_to(standalone):
    r = await standalone.get("/referral/v1/rankings?county_code=140322&from=2026-10-31&to=2026-10-01")
    assert r.status_code == 422 and r.headers["content-type"].startswith("application/problem+json")
    assert "to" in r.text


def contract_body(partner: dict, **overrides) -> dict:
    return {
        "partner_id": partner["id"],
        "county_code": COUNTY,
        "procurement_ref": "YXCG-2026-017",
        "title": "2026年临时救助对象照料服务",
        "starts_on": "2026-10-01",
        "ends_on": "2026-12-31",
        "budget": "20000.00",
        "targets": [{"need_type": "living", "volume": 4}, {"need_type": "care", "volume": 2}],
    } | overrides


async def test_a_county_policy_admin_records_a_contract_and_its_performance_comes_from_the_referrals(
    standalone, fixtures, db
):
    r = await standalone.post("/referral/v1/contracts", json=contract_body(fixtures["C"]), headers=ADMIN)
    assert r.status_code == 201, r.text
    contract = r.json()
    assert contract["created_by"] == "yuxian-policy"  # from the token, never the body
    perf = await standalone.get(f"/referral/v1/contracts/{contract['id']}/performance")
    assert perf.status_code == 200, perf.text
    p = perf.json()
    assert (p["offers"], p["accepted"], p["fulfilled"], p["amount_delivered"]) == (3, 2, 2, "100.00")
    assert (p["acceptance_rate"], p["avg_response_seconds"]) == ("0.6667", "600.0")
    assert p["targets"] == [
        {"need_type": "living", "volume": 4, "fulfilled": 1, "progress": "0.2500"},
        {"need_type": "care", "volume": 2, "fulfilled": 1, "progress": "0.5000"},
    ]
    assert (p["budget"], p["budget_used"]) == ("20000.00", "0.0050")
    assert (await standalone.get(f"/referral/v1/contracts/{contract['id']}")).json() == contract
    listed = await standalone.get(f"/referral/v1/partners/{fixtures['C']['id']}/contracts")
    assert [c["id"] for c in listed.json()] == [contract["id"]]
    audit = await db.fetchval(
        "SELECT count(*) FROM referral.audit_log WHERE actor = 'yuxian-policy' "
        "AND action = 'POST /referral/v1/contracts' AND kind = 'change'"
    )
    assert audit == 1


async def test_an_overlapping_contract_for_the_same_partner_county_and_period_is_a_409(
    standalone, fixtures, db
):
    first = await standalone.post(
        "/referral/v1/contracts",
        json=contract_body(fixtures["D"], procurement_ref="YXCG-2026-020"),
        headers=ADMIN,
    )
    assert first.status_code == 201, first.text
    clash = await standalone.post(
        "/referral/v1/contracts",
        json=contract_body(fixtures["D"], procurement_ref="YXCG-2026-021", starts_on="2026-12-31",
                           ends_on="2027-03-31"),
        headers=ADMIN,
    )  # fmt: skip
    assert clash.status_code == 409 and clash.headers["content-type"].startswith("application/problem+json")
    assert (
        clash.json()["type"].endswith("contract-overlaps") and clash.json()["overlaps"] == first.json()["id"]
    )
    after = await standalone.post(
        "/referral/v1/contracts",
        json=contract_body(fixtures["D"], procurement_ref="YXCG-2026-021", starts_on="2027-01-01",
                           ends_on="2027-03-31"),
        headers=ADMIN,
    )  # fmt: skip
    assert after.status_code == 201, after.text  # the next day is free
    taken = await standalone.post(
        "/referral/v1/contracts",
        json=contract_body(fixtures["E"], procurement_ref="YXCG-2026-020"),
        headers=ADMIN,
    )
    assert taken.status_code == 409 and "procurement_ref" in taken.json()["detail"]
    count = await db.fetchval(
        "SELECT count(*) FROM referral.partner_contracts WHERE procurement_ref LIKE 'YXCG-2026-02%'"
    )
    assert count == 2  # nothing half-written


async def test_bad_contracts_are_problems_naming_the_cause_and_write_nothing(standalone, fixtures, db):
    backwards = await standalone.post(
        "/referral/v1/contracts",
        json=contract_body(
            fixtures["E"], procurement_ref="BAD-1", starts_on="2026-12-01", ends_on="2026-11-30"
        ),
        headers=ADMIN,
    )
    assert backwards.status_code == 422 and "ends_on" in backwards.text
    unknown = await standalone.post(
        "/referral/v1/contracts",
        json=contract_body({"id": str(uuid.uuid4())}, procurement_ref="BAD-2"),
        headers=ADMIN,
    )
    assert unknown.status_code == 404 and "partner" in unknown.json()["detail"]
    elsewhere = await register(standalone, "外县机构", 7, areas=[f"{OTHER}101"])
    outside = await standalone.post(
        "/referral/v1/contracts", json=contract_body(elsewhere, procurement_ref="BAD-3"), headers=ADMIN
    )
    assert outside.status_code == 409 and "partner_id" in outside.json()["detail"]
    assert (
        await db.fetchval(
            "SELECT count(*) FROM referral.partner_contracts WHERE procurement_ref LIKE 'BAD-%'"
        )
        == 0
    )


async def test_only_the_countys_own_policy_admin_may_record_its_contracts(standalone, fixtures):
    body = contract_body(fixtures["E"], procurement_ref="YXCG-2026-030")
    other_county = auth("pingding-policy", "policy_admin", county=OTHER)
    township = auth("township-clerk", "intake_clerk", county=COUNTY, township=TOWNSHIP)
    assert (
        await standalone.post("/referral/v1/contracts", json=body, headers=other_county)
    ).status_code == 404
    assert (await standalone.post("/referral/v1/contracts", json=body, headers=township)).status_code == 403
    created = await standalone.post("/referral/v1/contracts", json=body, headers=ADMIN)
    assert created.status_code == 201
    seen = await standalone.get(f"/referral/v1/contracts/{created.json()['id']}", headers=other_county)
    assert seen.status_code == 404  # another county's contract does not exist for it


async def test_rewards_are_recorded_by_whom_and_listed_with_the_partner(standalone, fixtures):
    url = f"/referral/v1/partners/{fixtures['B']['id']}/rewards"
    body = {
        "county_code": COUNTY,
        "kind": "commendation",
        "awarded_on": "2026-11-15",
        "reason": "2026年10月转介服务排名第一",
        "ranking_from": "2026-10-01",
        "ranking_to": "2026-10-31",
    }
    r = await standalone.post(url, json=body, headers=ADMIN)
    assert r.status_code == 201, r.text
    money = await standalone.post(
        url, json={**body, "kind": "reward", "amount": "5000.00", "awarded_on": "2026-11-20"}, headers=ADMIN
    )
    assert money.status_code == 201, money.text
    listed = (await standalone.get(url)).json()
    assert [(x["kind"], x["amount"], x["awarded_by"]) for x in listed] == [
        ("reward", "5000.00", "yuxian-policy"),
        ("commendation", None, "yuxian-policy"),
    ]
    assert listed[1]["ranking_from"] == "2026-10-01"
    partner = (await standalone.get(f"/referral/v1/partners/{fixtures['B']['id']}")).json()
    assert [x["id"] for x in partner["rewards"]] == [x["id"] for x in listed]  # listed with the partner
    half = await standalone.post(url, json={**body, "ranking_to": None}, headers=ADMIN)
    assert half.status_code == 422 and "ranking" in half.text
    unknown = await standalone.post(f"/referral/v1/partners/{uuid.uuid4()}/rewards", json=body, headers=ADMIN)
    assert unknown.status_code == 404
