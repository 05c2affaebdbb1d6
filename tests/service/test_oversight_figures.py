"""Oversight figures (R-OVS-1, R-OVS-2, R-FLOW-2, R-FLOW-3, R-RES-2, R-CHA-3): a known set of cases across two
counties and four townships is driven through all five services (standalone, real PostgreSQL, a database of
its own so nothing else is counted), and every figure of every service is checked exactly.

The services stamp times with their own clocks. To check speeds, months and periods exactly, the test then
sets the recorded instants of its cases (receipt, decision, payment, grant) to known values with SQL — only
timestamp columns — as if each step had happened at that moment; help-first deadlines are the real ones the
approval service computed on the seeded 2026 national calendar (the National Day holiday, 1-7 October, and
the make-up working day Saturday 10 October)."""

from __future__ import annotations

import csv
import io
from collections.abc import AsyncIterator
from datetime import datetime, timedelta, timezone
from decimal import Decimal
from typing import Any

import asyncpg
import httpx
import pytest

from tests.conftest import fresh_world
from tests.factories import (
    address,
    application,
    emergency_application,
    eventually,
    gov_system,
    pending_case,
    review,
)

pytestmark = pytest.mark.asyncio(loop_scope="session")

CN = timezone(timedelta(hours=8))
A, T1, T2 = "140303", "140303003", "140303004"  # 矿区: 赛鱼街道, 蔡洼街道
B, T3, T4 = "140321", "140321103", "140321104"  # 平定县: 张庄镇, 东回镇
GOV = gov_system("低收入人口动态监测平台")  # the referring system is the token's subject (R-OVS-2)
NO_SHARING = {"verify_economic_situation": True, "share_with_charities": False, "share_health_data": False}


def at(text: str) -> datetime:
    """A local (UTC+8) instant, '2026-09-01 10:00'."""
    return datetime.fromisoformat(text).replace(tzinfo=CN)


@pytest.fixture(scope="module")
async def world(
    pg_server_url: str, tmp_path_factory: pytest.TempPathFactory
) -> AsyncIterator[dict[str, Any]]:
    """All five services on a fresh database, and the known cases driven through them."""
    async with fresh_world(pg_server_url, tmp_path_factory, "oversight") as (client, db):
        yield {"client": client, "db": db, **await _drive(client, db)}


async def _ok(response: httpx.Response, status: int = 200) -> Any:
    assert response.status_code == status, response.text
    return response.json()


async def _decide(
    client: httpx.AsyncClient,
    case_id: str,
    amount: str | None,
    *,
    role: str = "township",
    decision: str = "approved",
) -> dict[str, Any]:
    await _ok(await review(client, case_id, amount=amount, opinion=decision))
    body: dict[str, Any] = {
        "decision": decision,
        "actor": f"{role}-approver",
        "reasons": "R-FLOW-1",
        "role": role,
        "confirm_extended_duration": True,  # R-AMT-2: some of these households reach the 6-month tier
    }
    if amount is not None:
        body["amount"] = amount
    return await _ok(await client.post(f"/approval/v1/cases/{case_id}/decision", json=body))


async def _payments(client: httpx.AsyncClient, case_id: str, count: int) -> list[dict[str, Any]]:
    async def probe() -> list[dict[str, Any]] | None:
        rows = (await client.get(f"/disbursement/v1/cases/{case_id}/payments")).json()
        return rows if len(rows) == count else None

    return await eventually(probe, what=f"{count} payments of {case_id}")


async def _hand_over(client: httpx.AsyncClient, payment: dict[str, Any], when: str) -> None:
    await _ok(
        await client.post(
            f"/disbursement/v1/payments/{payment['id']}/handover",
            json={
                "witness_name": "village-head",
                "recipient_name": "王大力",
                "items": f"cash {payment['amount']}",
                "handed_over_at": at(when).isoformat(),
            },
        )
    )


async def _bank_paid(
    client: httpx.AsyncClient, db: asyncpg.Connection, payment: dict[str, Any], when: str
) -> None:
    await _ok(
        await client.post(
            f"/disbursement/v1/payments/{payment['id']}/result",
            json={"result": "paid", "actor": "bank-callback"},
        )
    )
    await db.execute(
        "UPDATE disbursement.payment_instructions SET paid_at = $2 WHERE id = $1", payment["id"], at(when)
    )


async def _help_first(client: httpx.AsyncClient, case_id: str, amount: str, role: str, over_on: str) -> dict:
    await _ok(
        await client.post(
            f"/approval/v1/cases/{case_id}/help-first",
            json={
                "actor": f"{role}-head",
                "role": role,
                "amount": amount,
                "form": "cash",
                "channel": "direct",
                "reasons": "R-FLOW-2 house burnt down",
            },
        ),
        201,
    )
    return await _ok(
        await client.post(
            f"/approval/v1/cases/{case_id}/help-first/emergency-over",
            json={"actor": f"{role}-head", "over_on": over_on},
        )
    )


async def _drive(client: httpx.AsyncClient, db: asyncpg.Connection) -> dict[str, Any]:
    for township in (T3, T4):
        await _ok(
            await client.post(
                f"/disbursement/v1/reserve-funds/{township}",
                json={
                    "county_code": B,
                    "year": 2026,
                    "proportion": "0.2",
                    "previous_year_spending": "50000.00",
                    "actor": "county-finance",
                },
            ),
            201,
        )
    partner = await _ok(
        await client.post(
            "/referral/v1/partners",
            json={
                "name": "平定县慈善总会",
                "kind": "charity",
                "need_types": ["medical"],
                "service_areas": [T4],
                "email": "help@charity.example",
                "uscc": "91350100M000100Y43",
            },
        ),
        201,
    )

    big_bills = {
        "total_bills": "300000.00",
        "basic_insurance": "40000.00",
        "critical_illness_insurance": "10000.00",
        "commercial_insurance": "0.00",
        "medical_assistance": "5000.00",
    }
    bodies = {
        "c1": application(address=address(A, T1), consents=NO_SHARING),
        "c2": application(address=address(A, T1), consents=NO_SHARING),
        "c3": application(address=address(A, T2), consents=NO_SHARING, medical=big_bills),
        "c4": application(address=address(A, T2), consents=NO_SHARING, annual_household_income="900000.00"),
        "c5": emergency_application(address=address(B, T3), consents=NO_SHARING),
        "c6": emergency_application(address=address(B, T3), consents=NO_SHARING),
        "c7": application(address=address(B, T4)),
        "c8": emergency_application(address=address(B, T4), consents=NO_SHARING, subtype="sudden_illness"),
    }
    ids: dict[str, str] = {}
    cases: dict[str, dict[str, Any]] = {}
    for name, body in bodies.items():
        by = GOV if name in ("c2", "c5", "c8") else None
        ids[name], cases[name] = await pending_case(client, body, headers=by)

    deadlines = {
        "c5": (await _help_first(client, ids["c5"], "1000.00", "township", "2026-09-29"))["deadline"],
        "c6": (await _help_first(client, ids["c6"], "500.00", "township", "2026-09-22"))["deadline"],
        "c8": (await _help_first(client, ids["c8"], "800.00", "county", "2026-09-08"))["deadline"],
    }
    await _decide(client, ids["c1"], "1200.00")
    await _decide(client, ids["c2"], "3000.00")
    await _decide(client, ids["c3"], "6000.00", role="county")
    await _decide(client, ids["c4"], None, decision="rejected")
    await _decide(client, ids["c5"], "2000.00")
    await _decide(client, ids["c7"], "2500.00")
    await _decide(client, ids["c8"], "1500.00", role="county")

    # The recorded instants (local time): received, decided; help first granted and completed.
    received = {
        "c1": "2026-09-01 08:00",
        "c2": "2026-09-02 09:00",
        "c3": "2026-09-03 09:00",
        "c4": "2026-09-04 09:00",
        "c5": "2026-09-28 08:00",
        "c6": "2026-09-21 08:00",
        "c7": "2026-09-10 09:00",
        "c8": "2026-09-07 09:00",
    }
    decided = {
        "c1": "2026-09-01 10:00",
        "c2": "2026-09-02 14:00",
        "c3": "2026-09-05 09:00",
        "c4": "2026-09-04 12:00",
        "c5": "2026-10-16 16:00",
        "c7": "2026-09-11 09:00",
        "c8": "2026-10-09 12:00",
    }
    granted = {"c5": "2026-09-28 10:00", "c6": "2026-09-21 10:00", "c8": "2026-09-07 10:00"}
    for name, when in received.items():
        await db.execute("UPDATE intake.applications SET created_at = $2 WHERE id = $1", ids[name], at(when))
        await db.execute(
            "UPDATE approval.cases SET submitted_at = $2 WHERE case_id = $1", ids[name], at(when)
        )
    for name, when in decided.items():
        await db.execute(
            "UPDATE approval.decisions SET at = $2 WHERE case_id = $1 AND step = 'approval'",
            ids[name],
            at(when),
        )
        await db.execute(
            "UPDATE approval.help_first_grants SET completed_at = $2 WHERE case_id = $1", ids[name], at(when)
        )
    for name, when in granted.items():
        await db.execute(
            "UPDATE approval.help_first_grants SET granted_at = $2 WHERE case_id = $1", ids[name], at(when)
        )

    # Payments: bank transfers confirmed by the bank, help first handed over directly from the reserve fund.
    paid = {
        "c1": "2026-09-02 10:00",
        "c2": "2026-09-03 14:00",
        "c3": "2026-09-05 21:00",
        "c7": "2026-09-14 09:00",
    }
    for name, when in paid.items():
        [payment] = await _payments(client, ids[name], 1)
        await _bank_paid(client, db, payment, when)
    handed = {"c5": "2026-09-28 12:00", "c6": "2026-09-21 11:00", "c8": "2026-09-07 16:00"}
    for name, when in handed.items():
        rows = await _payments(client, ids[name], 1 if name == "c6" else 2)
        await _hand_over(client, rows[0], when)
        if len(rows) == 2:
            await _bank_paid(client, db, rows[1], decided[name][:10] + " 18:00")
    for name, when in decided.items():
        await db.execute(
            "UPDATE disbursement.approved_cases SET decided_at = $2 WHERE case_id = $1", ids[name], at(when)
        )
    for name, when in granted.items():
        await db.execute(
            "UPDATE disbursement.help_first_grants SET granted_at = $2 WHERE case_id = $1",
            ids[name],
            at(when),
        )

    # The charity takes the medical need of c7 and helps with 800.00 (R-CHA-3).
    headers = {"Authorization": f"Bearer {partner['api_key']}"}

    async def offer() -> list[dict[str, Any]] | None:
        return (
            await client.get(f"/referral/v1/partners/{partner['id']}/referrals", headers=headers)
        ).json() or None

    [task] = await eventually(offer, what="the offer to the partner")
    path = f"/referral/v1/partners/{partner['id']}/referrals/{task['task_id']}"
    await _ok(await client.post(path + "/accept", headers=headers))
    await _ok(await client.post(path + "/fulfil", headers=headers, json={"amount": "800.00", "form": "cash"}))
    return {"ids": ids, "cases": cases, "deadlines": deadlines, "partner": partner}


async def figures(world: dict[str, Any], service: str, **params: str) -> dict[str, Any]:
    return await _ok(await world["client"].get(f"/{service}/v1/figures", params=params))


async def test_intake_counts_applications_by_channel_place_and_month(world):
    both = await figures(world, "intake", **{"from": "2026-09-01", "to": "2026-10-31"})
    assert both["totals"] == {"received": 8, "walk_in": 5, "other_system": 3, "persons": 16}
    assert [
        (r["county_code"], r["received"], r["walk_in"], r["other_system"]) for r in both["by_county"]
    ] == [(A, 4, 3, 1), (B, 4, 2, 2)]
    assert [(r["township_code"], r["received"]) for r in both["by_township"]] == [
        (T1, 2),
        (T2, 2),
        (T3, 2),
        (T4, 2),
    ]
    assert [(r["month"], r["received"]) for r in both["by_month"]] == [("2026-09", 8)]
    assert both["by_referring_system"] == [{"referring_system": "低收入人口动态监测平台", "received": 3}]
    emergencies = await figures(world, "intake", county_code=B, category="emergency")
    assert emergencies["totals"]["received"] == 3 and emergencies["totals"]["other_system"] == 2
    assert [(r["subtype"], r["received"]) for r in emergencies["by_category"]] == [
        ("fire_or_accident", 2),
        ("sudden_illness", 1),
    ]
    assert (await figures(world, "intake", **{"from": "2026-10-01"}))["totals"]["received"] == 0


async def test_assessment_counts_eligible_and_the_failed_rules(world):
    a = await figures(world, "assessment", county_code=A)
    assert (a["totals"]["assessed"], a["totals"]["eligible"], a["totals"]["ineligible"]) == (4, 3, 1)
    assert a["ineligible_reasons"] == [{"rule": "R-CAT-3", "cases": 1}]  # income above the line
    eligible_amount = sum(Decimal(world["cases"][c]["assessed_amount"]) for c in ("c1", "c2", "c3"))
    assert a["totals"]["eligible_amount"] == str(eligible_amount)
    b = await figures(world, "assessment", county_code=B)
    assert (b["totals"]["assessed"], b["totals"]["ineligible"], b["ineligible_reasons"]) == (4, 0, [])
    assert [(r["township_code"], r["eligible"], r["ineligible"]) for r in a["by_township"]] == [
        (T1, 2, 0),
        (T2, 1, 1),
    ]


async def test_approval_decisions_amounts_and_speed_are_exact(world):
    f = await figures(world, "approval", **{"from": "2026-09-01", "to": "2026-10-31"})
    months = sum(world["cases"][c]["months"] for c in ("c1", "c2", "c3", "c5", "c7", "c8"))
    assert f["totals"] == {
        "decided": 7,
        "approved": 6,
        "rejected": 1,
        "within_township_limit": 6,
        "escalated_to_county": 1,
        "amount_approved": "16200.00",
        "persons_helped": 12,
        "months_of_help": months,
        "average_per_case": "2700.00",
        "average_per_person": "1350.00",
        "average_months": str((Decimal(months) / 6).quantize(Decimal("0.01"))),
    }
    assert [b["count"] for b in f["distribution_per_case"]] == [0, 0, 2, 3, 1, 0, 0]
    assert [b["count"] for b in f["distribution_per_person"]] == [0, 2, 3, 1, 0, 0, 0]
    assert (
        f["distribution_per_case"][2]["bucket"] == "1000-2000"
        and f["distribution_per_case"][-1]["to"] is None
    )
    # submission -> decision: 2h, 3h, 5h, 24h, 48h, 440h, 771h; percentile_cont: median 24h,
    # p90 at rank 0.9 x 6 = 5.4 -> 440h + 0.4 x (771h - 440h) = 572.4h
    assert f["time_to_decision"] == {
        "measured": 7,
        "median_seconds": 86400.0,
        "p90_seconds": 572.4 * 3600,
        "method": "percentile_cont",
    }
    assert [
        (r["county_code"], r["decided"], r["approved"], r["escalated_to_county"], r["amount_approved"])
        for r in f["by_county"]
    ] == [(A, 4, 3, 1, "10200.00"), (B, 3, 3, 0, "6000.00")]
    assert [(r["month"], r["decided"]) for r in f["by_month"]] == [("2026-09", 5), ("2026-10", 2)]
    october = await figures(world, "approval", **{"from": "2026-10-01", "to": "2026-10-31"})
    assert (october["totals"]["decided"], october["totals"]["amount_approved"]) == (2, "3500.00")
    t3 = await figures(world, "approval", township_code=T3, category="emergency")
    assert (t3["totals"]["decided"], t3["totals"]["amount_approved"]) == (1, "2000.00")


async def test_help_first_paperwork_on_time_across_the_national_day_holiday_and_overdue(world):
    # Over on Tue 29 Sep: ten working days skip 1-7 October and count Saturday 10 October -> Mon 19 October
    # (weekdays alone would end on 13 October). Completed on 16 October: on time thanks to the holiday.
    assert world["deadlines"] == {"c5": "2026-10-19", "c6": "2026-10-13", "c8": "2026-09-21"}
    f = await figures(world, "approval", **{"from": "2026-09-01", "to": "2026-10-31"})
    assert f["help_first"] == {
        "grants": 3,
        "amount": "2300.00",
        "granted_by_township": 2,
        "granted_by_county": 1,
        "completed_on_time": 1,
        "completed_late": 1,
        "open_overdue": 1,
        "open_in_time": 0,
        "overdue": 2,
        "as_of": "2026-10-31",
    }
    # As of 12 October c6 (due 13 October) was still in time and c5 not yet completed but in time.
    early = await figures(world, "approval", **{"from": "2026-09-01", "to": "2026-10-12"})
    hf = early["help_first"]
    assert (hf["completed_late"], hf["open_overdue"], hf["open_in_time"], hf["completed_on_time"]) == (
        1,
        0,
        2,
        0,
    )


async def test_disbursement_paid_by_form_first_payment_speed_and_reserve_funds(world):
    f = await figures(world, "disbursement", **{"from": "2026-09-01", "to": "2026-10-31"})
    assert f["totals"] == {"payments": 9, "cases": 7, "amount_paid": "16700.00"}
    assert f["by_form"] == [
        {"form": "cash_direct", "payments": 3, "amount": "2300.00"},
        {"form": "cash_transfer", "payments": 6, "amount": "14400.00"},
    ]
    assert f["by_funding"] == [
        {"funding": "budget", "payments": 6, "amount": "14400.00"},
        {"funding": "reserve", "payments": 3, "amount": "2300.00"},
    ]
    # first authorisation -> first payment: 1h, 2h, 6h, 12h, 24h, 24h, 72h -> median 12h, p90 24h + 0.4 x 48h
    assert f["time_to_first_payment"]["measured"] == 7
    assert f["time_to_first_payment"]["median_seconds"] == 12 * 3600.0
    assert f["time_to_first_payment"]["p90_seconds"] == 43.2 * 3600
    assert f["reserve_funds"] == [
        {
            "county_code": B,
            "township_code": T3,
            "year": 2026,
            "allocated": "10000.00",
            "drawn": "1500.00",
            "released": "0.00",
            "balance": "8500.00",
            "opening": "10000.00",
            "top_ups": "0.00",
            "paid": "1500.00",
            "turnover": "0.1500",  # R-OVS-1: paid from the fund in the period / its opening balance
            "draws": 2,
            "cases": 2,
        },
        {
            "county_code": B,
            "township_code": T4,
            "year": 2026,
            "allocated": "10000.00",
            "drawn": "800.00",
            "released": "0.00",
            "balance": "9200.00",
            "opening": "10000.00",
            "top_ups": "0.00",
            "paid": "800.00",
            "turnover": "0.0800",
            "draws": 1,
            "cases": 1,
        },
    ]
    a = await figures(world, "disbursement", county_code=A)
    assert (a["totals"]["amount_paid"], a["reserve_funds"]) == ("10200.00", [])


async def test_referral_offers_acceptances_and_amounts_by_partner(world):
    f = await figures(world, "referral", county_code=B)
    [p] = f["by_partner"]
    assert (p["partner_id"], p["offered"], p["accepted"], p["fulfilled"], p["amount_fulfilled"]) == (
        world["partner"]["id"],
        1,
        1,
        1,
        "800.00",
    )
    assert f["totals"]["records_shared"] == 1 and f["totals"]["amount_fulfilled"] == "800.00"
    assert (await figures(world, "referral", county_code=A))["by_partner"] == []


async def test_figures_as_csv_and_bad_filters_are_problems(world):
    client = world["client"]
    r = await client.get("/approval/v1/figures", params={"county_code": A}, headers={"Accept": "text/csv"})
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/csv")
    lines = r.text.splitlines()
    assert lines[0].startswith("table,") and any(line.startswith("totals,4,3,1,") for line in lines)
    r = await client.get("/intake/v1/figures", params={"format": "csv", "county_code": B})
    rows = [row for row in csv.DictReader(io.StringIO(r.text)) if row["table"] == "by_township"]
    assert [(row["township_code"], row["received"], row["walk_in"], row["other_system"]) for row in rows] == [
        (T3, "2", "1", "1"),
        (T4, "2", "1", "1"),
    ]
    for params, field in (
        ({"county_code": "14"}, "county_code"),
        ({"from": "2026-10-02", "to": "2026-10-01"}, "to"),
        ({"county_code": A, "township_code": T3}, "township_code"),
        ({"category": "x"}, "category"),
    ):
        bad = await client.get("/referral/v1/figures", params=params)
        assert bad.status_code == 422 and bad.headers["content-type"].startswith("application/problem+json")
        assert field in bad.text


async def test_the_oversight_page_and_its_assets_are_served(world):
    client = world["client"]
    assert (await client.get("/oversight")).headers["location"] == "/oversight/"
    page = await client.get("/oversight/")
    assert page.status_code == 200 and page.headers["content-type"].startswith("text/html")
    assert 'src="oversight.js"' in page.text and "https://" not in page.text  # no CDN
    script = await client.get("/oversight/oversight.js")
    assert script.headers["content-type"].startswith("text/javascript") and "/v1/figures" in script.text
    assert (await client.get("/oversight/oversight.css")).status_code == 200
    places = (await client.get("/oversight/yangquan.json")).json()
    assert {c["code"] for c in places["counties"]} >= {A, B}
