"""Proactive discovery and fast response (主动发现, 快速响应; R-OVS-2): leads from other systems by REST
become visit tasks of their township with the county's response-time target; a township sees only its own;
overdue leads are listed and flagged; a lead converts into an application pre-filled from it (written together
or not at all) or is closed with a reason; help first (R-FLOW-2) follows on the converted emergency case; and
the figures count leads by source, time to first contact and conversion exactly.

Each test uses townships no other test reports leads for. To check speeds exactly, the figures test sets the
recorded instants of its leads (receipt, due, first contact) to known values with SQL, as if each step had
happened at that moment."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from services.intake.domain import discovery
from tests.factories import address, auth, eventually, gov_system, officer, resident_id, review

pytestmark = pytest.mark.asyncio(loop_scope="session")

COUNTY, TOWNSHIP, OTHER = "140311", "140311100", "140311102"
"""郊区: 荫营镇 (the tests' own), and another township of the same county."""
FIGURES_TOWNSHIP = "140311201"
MONITORING = gov_system("低收入人口动态监测平台")
HOTLINE = gov_system("12345政务服务便民热线")
CLERK = auth("clerk-yinying", "intake_clerk", county=COUNTY, township=TOWNSHIP)
OTHER_CLERK = auth("clerk-other", "intake_clerk", county=COUNTY, township=OTHER)


def lead_body(**overrides: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "source": "monitoring_platform",
        "township_code": TOWNSHIP,
        "urgency": "emergency",
        "category": "emergency",
        "subtype": "fire_or_accident",
        "name": "王大力",
        "id_number": resident_id(area="140311"),
        "phone": "13912345678",
        "address": "荫营镇某村12号",
        "description": "夜间房屋失火, 一家三口无处居住",
    }
    body.update(overrides)
    return body


def completion(**overrides: Any) -> dict[str, Any]:
    """What the visit adds to a lead to make the application (the rest comes from the lead)."""
    body: dict[str, Any] = {
        "incident": {"occurred_on": "2026-11-01"},
        "persons_helped": 1,
        "annual_household_income": "12000.00",
        "property": {"deposits": "500.00", "vehicles": 0, "vehicle_value": "0.00", "houses": 1},
        "consents": {
            "verify_economic_situation": True,
            "share_with_charities": False,
            "share_health_data": False,
        },
    }
    body.update(overrides)
    return body


async def report(client: Any, headers: dict[str, str] = MONITORING, **overrides: Any) -> dict[str, Any]:
    created = await client.post("/intake/v1/leads", json=lead_body(**overrides), headers=headers)
    assert created.status_code == 201, created.text
    return dict(created.json())


class TestReporting:
    async def test_a_government_systems_lead_becomes_a_visit_task_with_its_countys_response_target(
        self, standalone, db
    ):
        body = lead_body(source_ref="JC-2026-000123")
        created = await standalone.post("/intake/v1/leads", json=body, headers=MONITORING)
        assert created.status_code == 201, created.text
        lead = created.json()
        target = discovery.target_in_force(COUNTY, datetime.now(UTC).date())
        assert (lead["status"], lead["reported_by"], lead["county_code"]) == (
            "open",
            "低收入人口动态监测平台",
            COUNTY,
        )
        assert lead["response_hours"] == target.emergency_hours == 24  # the seeded city-wide default
        received, due = datetime.fromisoformat(lead["received_at"]), datetime.fromisoformat(lead["due_at"])
        assert due - received == timedelta(hours=24) and lead["overdue"] is False
        assert lead["assigned_at"] is not None and lead["first_contact_at"] is None
        assert (lead["name"], lead["id_number"], lead["phone"]) == (
            "王*力",
            body["id_number"][:6] + "********" + body["id_number"][-4:],
            "139****5678",
        )
        again = await standalone.post("/intake/v1/leads", json=body, headers=MONITORING)
        assert again.status_code == 200 and again.json()["id"] == lead["id"]
        assert again.headers["Idempotent-Replayed"] == "true"
        sealed = await db.fetchval("SELECT personal FROM intake.leads WHERE id = $1", lead["id"])
        assert body["id_number"] not in sealed and "王大力" not in sealed and "13912345678" not in sealed

    async def test_a_normal_lead_gets_the_longer_target(self, standalone):
        lead = await report(standalone, urgency="normal", category=None, subtype="medical")
        assert lead["response_hours"] == 72 and lead["category"] == "expenditure"

    async def test_a_lead_for_an_unknown_township_names_township_code_and_nothing_is_written(
        self, standalone, db
    ):
        before = await db.fetchval("SELECT count(*) FROM intake.leads")
        refused = await standalone.post(
            "/intake/v1/leads", json=lead_body(township_code="140311999"), headers=MONITORING
        )
        assert refused.status_code == 422, refused.text
        assert refused.headers["content-type"].startswith("application/problem+json")
        assert [e["field"] for e in refused.json()["errors"]] == ["township_code"]
        assert await db.fetchval("SELECT count(*) FROM intake.leads") == before

    async def test_a_township_officer_records_a_lead_as_township_officer_and_cannot_pose_as_a_system(
        self, standalone
    ):
        mine = await report(standalone, headers=CLERK, source="township_officer")
        assert (mine["source"], mine["reported_by"]) == ("township_officer", "clerk-yinying")
        posing = await standalone.post("/intake/v1/leads", json=lead_body(source="hospital"), headers=CLERK)
        assert posing.status_code == 403 and posing.json()["field"] == "source"
        system = await standalone.post(
            "/intake/v1/leads", json=lead_body(source="township_officer"), headers=MONITORING
        )
        assert system.status_code == 403

    async def test_a_partner_or_a_reviewer_cannot_report_a_lead(self, standalone):
        reviewer = auth("reviewer", "township_reviewer", county=COUNTY, township=TOWNSHIP)
        assert (
            await standalone.post("/intake/v1/leads", json=lead_body(), headers=reviewer)
        ).status_code == 403


class TestJurisdiction:
    async def test_a_township_sees_only_its_own_leads_and_another_townships_is_not_found(self, standalone):
        mine = await report(standalone)
        theirs = await report(standalone, township_code=OTHER)
        listed = await standalone.get("/intake/v1/leads", headers=CLERK, params={"limit": 200})
        assert listed.status_code == 200
        townships = {item["township_code"] for item in listed.json()["items"]}
        ids = {item["id"] for item in listed.json()["items"]}
        assert townships == {TOWNSHIP} and mine["id"] in ids and theirs["id"] not in ids
        assert (await standalone.get(f"/intake/v1/leads/{theirs['id']}", headers=CLERK)).status_code == 404
        closing = await standalone.post(
            f"/intake/v1/leads/{theirs['id']}/closing", json={"reason": "x"}, headers=CLERK
        )
        assert closing.status_code == 404
        asked = await standalone.get("/intake/v1/leads", headers=CLERK, params={"township_code": OTHER})
        assert asked.status_code == 403
        outside = await standalone.post(
            "/intake/v1/leads", json=lead_body(source="township_officer", township_code=OTHER), headers=CLERK
        )
        assert outside.status_code == 403


class TestOverdue:
    async def test_an_overdue_lead_is_listed_and_flagged_for_its_township_until_first_contact(
        self, standalone, db
    ):
        late = await report(standalone, township_code=OTHER)
        fresh = await report(standalone, township_code=OTHER)
        await db.execute(
            "UPDATE intake.leads SET received_at = now() - interval '30 hours', "
            "due_at = now() - interval '6 hours' WHERE id = $1",
            late["id"],
        )
        overdue = await standalone.get("/intake/v1/leads", headers=OTHER_CLERK, params={"overdue": "true"})
        items = {item["id"]: item for item in overdue.json()["items"]}
        assert late["id"] in items and fresh["id"] not in items and items[late["id"]]["overdue"] is True
        assert (await standalone.get(f"/intake/v1/leads/{late['id']}", headers=OTHER_CLERK)).json()["overdue"]
        contacted = await standalone.post(
            f"/intake/v1/leads/{late['id']}/first-contact", json={"note": "电话联系"}, headers=OTHER_CLERK
        )
        assert contacted.status_code == 200, contacted.text
        assert contacted.json()["status"] == "contacted" and contacted.json()["overdue"] is False
        assert contacted.json()["contacted_by"] == "clerk-other"
        again = await standalone.get("/intake/v1/leads", headers=OTHER_CLERK, params={"overdue": "true"})
        assert late["id"] not in {item["id"] for item in again.json()["items"]}

    async def test_an_overdue_lead_is_announced_once_with_no_personal_data(self, standalone, db):
        late = await report(standalone, township_code=OTHER)
        await db.execute(
            "UPDATE intake.leads SET received_at = now() - interval '25 hours', "
            "due_at = now() - interval '1 hour' WHERE id = $1",
            late["id"],
        )
        checked = await standalone.post("/intake/v1/leads/overdue:check", headers=OTHER_CLERK)
        assert checked.status_code == 200 and checked.json()["announced"] >= 1
        await standalone.post("/intake/v1/leads/overdue:check", headers=OTHER_CLERK)
        rows = await db.fetch(
            "SELECT envelope FROM intake.outbox WHERE key = $1 AND event_type = $2",
            late["id"],
            "gov.assistance.intake.lead-overdue.v1",
        )
        assert len(rows) == 1
        data = json.loads(rows[0]["envelope"])["data"]
        assert (data["lead_id"], data["township_code"], data["urgency"]) == (late["id"], OTHER, "emergency")
        assert "王大力" not in rows[0]["envelope"] and "13912345678" not in rows[0]["envelope"]


class TestConversion:
    async def test_a_lead_becomes_a_prefilled_application_linked_to_the_case_and_help_first_follows(
        self, standalone, db
    ):
        lead = await report(standalone, source_ref="JC-2026-000777")
        assigned = await standalone.post(
            f"/intake/v1/leads/{lead['id']}/assignment", json={"assigned_to": "网格员 李四"}, headers=CLERK
        )
        assert assigned.json()["assigned_to"] == "网格员 李四"
        converted = await standalone.post(
            f"/intake/v1/leads/{lead['id']}/application", json=completion(), headers=CLERK
        )
        assert converted.status_code == 201, converted.text
        application, linked = converted.json()["application"], converted.json()["lead"]
        assert (linked["status"], linked["application_id"]) == ("converted", application["id"])
        assert linked["first_contact_at"] is not None  # the visit that made the application
        assert (application["channel"], application["referring_system"]) == (
            "gov_system",
            "低收入人口动态监测平台",
        )
        assert (application["category"], application["subtype"]) == ("emergency", "fire_or_accident")
        assert (application["county_code"], application["township_code"]) == (COUNTY, TOWNSHIP)
        assert [(m["name"], m["relation"]) for m in application["household"]] == [("王*力", "self")]
        assert application["household"][0]["id_number"] == lead["id_number"]
        assert converted.headers["Location"] == f"/intake/v1/applications/{application['id']}"

        # The emergency case reaches approval like any other: help first at once (R-FLOW-2), then the review
        # and the decision complete the paperwork within its deadline.
        case_id = application["id"]

        async def in_approval():
            r = await standalone.get(f"/approval/v1/cases/{case_id}")
            return r.json() if r.status_code == 200 else None

        await eventually(in_approval, what="the converted case to reach approval")
        granted = await standalone.post(
            f"/approval/v1/cases/{case_id}/help-first",
            json={"amount": "800.00", "form": "cash", "channel": "direct", "reasons": "房屋失火, 先行救助"},
        )
        assert granted.status_code == 201, granted.text

        assert (await review(standalone, case_id)).status_code == 200
        decided = await standalone.post(
            f"/approval/v1/cases/{case_id}/decision",
            json={"decision": "approved", "confirm_extended_duration": True, "reasons": "R-CAT-1 fire"},
        )
        assert decided.status_code == 200, decided.text

        closing = await standalone.post(
            f"/intake/v1/leads/{lead['id']}/closing", json={"reason": "no need"}, headers=CLERK
        )
        assert closing.status_code == 409 and closing.json()["type"].endswith("/lead-already-ended")
        twice = await standalone.post(
            f"/intake/v1/leads/{lead['id']}/application", json=completion(), headers=CLERK
        )
        assert twice.status_code == 409
        assert await db.fetchval("SELECT count(*) FROM intake.leads WHERE application_id = $1", case_id) == 1

    async def test_a_refused_conversion_leaves_the_lead_open_and_writes_no_application(self, standalone, db):
        person = lead_body()
        first = await report(standalone, id_number=person["id_number"])
        second = await report(standalone, id_number=person["id_number"])  # the same fire, reported twice
        made = await standalone.post(
            f"/intake/v1/leads/{first['id']}/application", json=completion(), headers=CLERK
        )
        assert made.status_code == 201, made.text
        before = await db.fetchval("SELECT count(*) FROM intake.applications")
        refused = await standalone.post(
            f"/intake/v1/leads/{second['id']}/application", json=completion(), headers=CLERK
        )
        assert refused.status_code == 409 and refused.json()["type"].endswith(
            "/repeat-application"
        )  # R-FLOW-5
        after = await standalone.get(f"/intake/v1/leads/{second['id']}", headers=CLERK)
        assert (after.json()["status"], after.json()["application_id"]) == ("open", None)
        assert after.json()["first_contact_at"] is None
        assert await db.fetchval("SELECT count(*) FROM intake.applications") == before
        closed = await standalone.post(
            f"/intake/v1/leads/{second['id']}/closing",
            json={"reason": f"与线索 {first['id']} 为同一事由, 已受理"},
            headers=CLERK,
        )
        assert closed.status_code == 200

    async def test_a_lead_without_an_id_number_needs_the_household_and_another_township_is_refused(
        self, standalone
    ):
        lead = await report(standalone, id_number=None)
        missing = await standalone.post(
            f"/intake/v1/leads/{lead['id']}/application", json=completion(), headers=CLERK
        )
        assert missing.status_code == 422 and missing.json()["errors"][0]["field"] == "household"
        elsewhere = await standalone.post(
            f"/intake/v1/leads/{lead['id']}/application",
            json=completion(
                household=[{"name": "王大力", "id_number": resident_id(area="140311"), "relation": "self"}],
                address=address(COUNTY, OTHER),
            ),
            headers=auth("clerk-county", "intake_clerk", county=COUNTY),
        )
        assert elsewhere.status_code == 409 and elsewhere.json()["type"].endswith(
            "/lead-application-elsewhere"
        )

    async def test_a_lead_closed_with_a_reason_cannot_be_closed_or_converted_again(self, standalone):
        lead = await report(standalone)
        closed = await standalone.post(
            f"/intake/v1/leads/{lead['id']}/closing",
            json={"reason": "已纳入低保, 无需临时救助"},
            headers=CLERK,
        )
        assert closed.status_code == 200 and closed.json()["status"] == "closed"
        assert (
            closed.json()["close_reason"] == "已纳入低保, 无需临时救助"
            and closed.json()["closed_by"] == "clerk-yinying"
        )
        again = await standalone.post(
            f"/intake/v1/leads/{lead['id']}/closing", json={"reason": "x"}, headers=CLERK
        )
        assert again.status_code == 409
        converted = await standalone.post(
            f"/intake/v1/leads/{lead['id']}/application", json=completion(), headers=CLERK
        )
        assert converted.status_code == 409


CN = timedelta(hours=8)


async def test_figures_count_leads_by_source_time_to_first_contact_and_conversion_exactly(standalone, db):
    """Four leads of one township: monitoring ×2 (one converted after 1 h, one closed after 3 h), a 12345
    emergency contacted after 30 h (late: its target is 24 h), a grid worker's normal lead received 100 h ago
    and never contacted (overdue: 72 h)."""
    grid = auth("网格员平台", "gov_system")
    made = {
        "converted": await report(standalone, township_code=FIGURES_TOWNSHIP),
        "closed": await report(standalone, township_code=FIGURES_TOWNSHIP, urgency="normal"),
        "late": await report(standalone, HOTLINE, township_code=FIGURES_TOWNSHIP, source="hotline_12345"),
        "overdue": await report(
            standalone, grid, township_code=FIGURES_TOWNSHIP, source="grid_worker", urgency="normal"
        ),
    }
    clerk = auth("clerk-fig", "intake_clerk", county=COUNTY, township=FIGURES_TOWNSHIP)
    converted = await standalone.post(
        f"/intake/v1/leads/{made['converted']['id']}/application", json=completion(), headers=clerk
    )
    assert converted.status_code == 201, converted.text
    for key in ("closed", "late"):
        contact = await standalone.post(
            f"/intake/v1/leads/{made[key]['id']}/first-contact", json={}, headers=clerk
        )
        assert contact.status_code == 200
    closed = await standalone.post(
        f"/intake/v1/leads/{made['closed']['id']}/closing", json={"reason": "已外出务工"}, headers=clerk
    )
    assert closed.status_code == 200
    now = datetime.now(UTC).replace(microsecond=0)
    base = now - timedelta(hours=100)
    for key, contacted_after in (("converted", 1), ("closed", 3), ("late", 30), ("overdue", None)):
        await db.execute(
            "UPDATE intake.leads SET received_at = $2::timestamptz, "
            "due_at = $2::timestamptz + response_hours * interval '1 hour', "
            "first_contact_at = $3 WHERE id = $1",
            made[key]["id"],
            base,
            base + timedelta(hours=contacted_after) if contacted_after is not None else None,
        )
    got = await standalone.get(
        "/intake/v1/figures", params={"township_code": FIGURES_TOWNSHIP}, headers=officer()
    )
    assert got.status_code == 200, got.text
    figures = got.json()
    assert figures["leads"] == {
        "received": 4,
        "contacted": 3,
        "converted": 1,
        "closed": 1,
        "overdue": 1,
        "contacted_late": 1,
        "conversion": "0.2500",
    }
    by_source = {row["source"]: row for row in figures["leads_by_source"]}
    assert set(by_source) == {"monitoring_platform", "hotline_12345", "grid_worker"}
    assert (by_source["monitoring_platform"]["received"], by_source["monitoring_platform"]["conversion"]) == (
        2,
        "0.5000",
    )
    assert by_source["hotline_12345"]["contacted_late"] == 1 and by_source["grid_worker"]["overdue"] == 1
    assert by_source["grid_worker"]["conversion"] == "0.0000"
    # percentile_cont over 1 h, 3 h, 30 h: the median 3 h; p90 at 0.9 * 2 = 1.8 → 3 h + 0.8 * 27 h = 24.6 h
    assert figures["leads_time_to_first_contact"] == {
        "measured": 3,
        "median_seconds": 3 * 3600.0,
        "p90_seconds": 24.6 * 3600.0,
        "method": "percentile_cont",
    }
    received_day = (base + CN).date()
    later = await standalone.get(
        "/intake/v1/figures",
        params={"township_code": FIGURES_TOWNSHIP, "from": str(received_day + timedelta(days=1))},
        headers=officer(),
    )
    assert later.json()["leads"]["received"] == 0 and later.json()["leads"]["conversion"] is None
