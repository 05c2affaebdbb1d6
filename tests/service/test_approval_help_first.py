"""Help first (R-FLOW-2): the grant, the reserve-funded payment (R-RES), the 10-working-day paperwork clock,
overdue listing and its one-time event, and the calendar admin API."""

from decimal import Decimal

import pytest

from tests.factories import address, emergency_application, eventually, pending_case, review

pytestmark = pytest.mark.asyncio(loop_scope="session")

COUNTY, TOWNSHIP = "140322", "140322101"


async def test_help_first_is_paid_from_the_reserve_fund_and_its_paperwork_is_watched(standalone, db):
    fund = await standalone.post(
        f"/disbursement/v1/reserve-funds/{TOWNSHIP}",
        json={
            "county_code": COUNTY,
            "year": 2026,
            "proportion": "0.2",
            "previous_year_spending": "100000.00",
            "actor": "county-finance",
        },
    )
    assert fund.status_code == 201 and fund.json()["allocated"] == "20000.00"
    case_id, case = await pending_case(standalone, emergency_application(address=address(COUNTY, TOWNSHIP)))
    grant = {
        "actor": "township-head",
        "role": "township",
        "amount": "1000.00",
        "form": "cash",
        "channel": "direct",
        "reasons": "house burnt down last night",
    }
    over_limit = await standalone.post(
        f"/approval/v1/cases/{case_id}/help-first", json={**grant, "amount": "5000.01"}
    )
    assert over_limit.status_code in (409, 422)
    granted = await standalone.post(f"/approval/v1/cases/{case_id}/help-first", json=grant)
    assert granted.status_code == 201, granted.text
    assert granted.json()["status"] == "open" and granted.json()["deadline"] is None
    assert (await standalone.post(f"/approval/v1/cases/{case_id}/help-first", json=grant)).status_code == 409

    async def help_payment():
        rows = (await standalone.get(f"/disbursement/v1/cases/{case_id}/payments")).json()
        return rows[0] if rows else None

    payment = await eventually(help_payment, what="the help-first payment")
    assert (payment["stage"], payment["funding"], payment["status"]) == (0, "reserve", "awaiting_handover")
    assert (await standalone.get(f"/disbursement/v1/reserve-funds/{TOWNSHIP}/2026")).json()[
        "balance"
    ] == "19000.00"
    no_witness = await standalone.post(
        f"/disbursement/v1/payments/{payment['id']}/handover",
        json={
            "witness_name": "test-officer",  # the caller cannot witness their own handover
            "recipient_name": "王大力",
            "items": "cash 1000.00",
        },
    )
    # R-AID-2: a witness who is the person handing over is a four-eyes refusal (409), naming the field
    assert no_witness.status_code == 409 and no_witness.json()["errors"][0]["field"] == "witness_name"
    handed = await standalone.post(
        f"/disbursement/v1/payments/{payment['id']}/handover",
        json={
            "witness_name": "village-head",
            "recipient_name": "王大力",
            "items": "cash 1000.00",
        },
    )
    assert handed.status_code == 200 and handed.json()["status"] == "paid"

    # The emergency was over on Fri 2026-03-06: paperwork due Fri 2026-03-20 (national 2026), now overdue.
    over = await standalone.post(
        f"/approval/v1/cases/{case_id}/help-first/emergency-over",
        json={"actor": "township-head", "over_on": "2026-03-06"},
    )
    assert over.status_code == 200, over.text
    assert over.json()["deadline"] == "2026-03-20" and over.json()["calendar"] == "national 2026"
    overdue = (await standalone.get("/approval/v1/help-first/overdue", params={"county_code": COUNTY})).json()
    assert case_id in [g["case_id"] for g in overdue]
    assert (await standalone.post("/approval/v1/help-first/overdue:check")).json()["announced"] == 1
    assert (await standalone.post("/approval/v1/help-first/overdue:check")).json()["announced"] == 0
    assert (
        await db.fetchval(
            "SELECT count(*) FROM approval.outbox WHERE key = $1 AND event_type = "
            "'gov.assistance.approval.paperwork-overdue.v1'",
            case_id,
        )
        == 1
    )

    # Completing the paperwork (review, approval) closes the obligation; stages pay the rest.
    await review(standalone, case_id)
    below = await standalone.post(
        f"/approval/v1/cases/{case_id}/decision",
        json={"decision": "approved", "amount": "999.99", "reasons": "R-FLOW-2", "role": "county"},
    )  # less than the 1000.00 already helped first: a refusal of policy (R-FLOW-2), 409
    assert below.status_code == 409 and below.json()["type"].endswith("/below-help-first")
    assert below.json()["rule"] == "R-FLOW-2" and below.json()["errors"][0]["field"] == "amount"
    decided = await standalone.post(
        f"/approval/v1/cases/{case_id}/decision",
        json={
            "decision": "approved",
            "confirm_extended_duration": True,  # R-AMT-2: the 6-month tier
            "actor": "township-approver",
            "reasons": "R-FLOW-2 paperwork",
            "role": "county",
        },
    )
    assert decided.status_code == 200, decided.text
    assert decided.json()["help_first"]["status"] == "completed"
    overdue = (await standalone.get("/approval/v1/help-first/overdue", params={"county_code": COUNTY})).json()
    assert case_id not in [g["case_id"] for g in overdue]

    async def both():
        rows = (await standalone.get(f"/disbursement/v1/cases/{case_id}/payments")).json()
        return rows if len(rows) == 2 else None

    rows = await eventually(both, what="the remaining stage")
    assert rows[1]["stage"] == 1 and rows[1]["funding"] == "budget"
    assert Decimal(rows[0]["amount"]) + Decimal(rows[1]["amount"]) == Decimal(case["assessed_amount"])
    trail = (await standalone.get(f"/disbursement/v1/cases/{case_id}/ledger")).json()
    assert [e["kind"] for e in trail] == ["allocation", "reserve_draw", "handover"]
    assert trail[2]["source_entry_id"] == trail[1]["id"] and trail[1]["source_entry_id"] == trail[0]["id"]


async def test_help_first_only_for_emergencies_and_not_after_the_decision(standalone):
    from tests.factories import application

    case_id, _ = await pending_case(standalone, application())
    refused = await standalone.post(
        f"/approval/v1/cases/{case_id}/help-first",
        json={"actor": "a", "role": "county", "amount": "100.00", "reasons": "x"},
    )
    assert refused.status_code == 409 and refused.json()["rule"] == "R-FLOW-2"


async def test_calendars_are_loadable_for_new_years_and_a_missing_year_never_fails(standalone):
    preview = await standalone.get(
        "/approval/v1/calendars/deadline", params={"county_code": "140303", "over_on": "2031-01-29"}
    )
    assert preview.status_code == 200
    assert preview.json() == {
        "over_on": "2031-01-29",
        "deadline": "2031-02-12",
        "calendar": "weekends-only (no national schedule loaded for 2031)",
    }
    loaded = await standalone.put(
        "/approval/v1/calendars/national/2031",
        json={
            "holidays": [f"2031-01-{d}" for d in range(22, 29)] + ["2031-02-03"],
            "workdays": ["2031-02-01"],
            "source": "test notice",
            "actor": "admin",
        },
    )
    assert loaded.status_code == 200, loaded.text
    preview = (
        await standalone.get(
            "/approval/v1/calendars/deadline", params={"county_code": "140303", "over_on": "2031-01-29"}
        )
    ).json()
    assert preview["calendar"] == "national 2031" and preview["deadline"] == "2031-02-12"
    amended = await standalone.put(
        "/approval/v1/calendars/counties/140303/2031",
        json={"holidays": ["2031-02-05"], "source": "county decision", "actor": "county-admin"},
    )
    assert amended.status_code == 200
    preview = (
        await standalone.get(
            "/approval/v1/calendars/deadline", params={"county_code": "140303", "over_on": "2031-01-29"}
        )
    ).json()
    assert preview == {
        "over_on": "2031-01-29",
        "deadline": "2031-02-13",
        "calendar": "national 2031 + county 140303 amendments",
    }
    bad = await standalone.put(
        "/approval/v1/calendars/national/2032",
        json={"holidays": ["2031-12-31"], "source": "x", "actor": "admin"},
    )
    assert bad.status_code == 422 and bad.json()["errors"][0]["field"] == "holidays"
    assert (await standalone.get("/approval/v1/calendars/national/2026")).json()["source"].startswith("seed")
