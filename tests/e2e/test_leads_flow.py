"""End to end (R-OVS-2, issue 18 part 5): the low-income population monitoring platform publishes a lead on
the inbound topic ``<prefix>.monitoring.leads.v1``; intake (its own process, the real Kafka broker and
PostgreSQL) makes it a visit task of the township, the township converts it into an application, the case is
assessed, reviewed and approved, and the lead's response time is in intake's figures. A record that is not
a CloudEvent, and a lead for a township that is not the city's, go to intake's dead letters with the cause;
the same lead delivered twice is one lead."""

from __future__ import annotations

import uuid
from datetime import datetime

import pytest

from tests.e2e.conftest import MONITORING_PLATFORM, monitoring_lead, produce
from tests.factories import auth, eventually, review, staff_client

pytestmark = [pytest.mark.asyncio(loop_scope="session"), pytest.mark.e2e, pytest.mark.kafka]

COUNTY, TOWNSHIP = "140321", "140321106"  # 平定县, a township no other e2e test reports leads for
CLERK = auth("clerk-pingding", "intake_clerk", county=COUNTY, township=TOWNSHIP)


async def test_a_monitoring_lead_becomes_a_visit_task_an_application_and_a_decision_with_its_response_time(
    cluster, db_e2e
):
    urls = cluster.urls
    intake = urls["intake"] + "/intake/v1"
    ref = f"JC-{uuid.uuid4().hex[:10]}"
    good = monitoring_lead(ref, COUNTY, TOWNSHIP)
    unknown = monitoring_lead(f"JC-{uuid.uuid4().hex[:10]}", COUNTY, "140321999")
    await produce(
        cluster.kafka,
        cluster.topic("monitoring.leads"),
        [
            (ref.encode(), good.to_bytes()),
            (ref.encode(), good.to_bytes()),  # delivered twice: one lead
            (b"garbage", b"{not a cloudevent"),
            (unknown.subject.encode(), unknown.to_bytes()),  # type: ignore[union-attr]
        ],
    )

    async with staff_client(timeout=10) as client:

        async def the_lead():
            r = await client.get(intake + "/leads", params={"township_code": TOWNSHIP}, headers=CLERK)
            items = [i for i in r.json()["items"] if i["source_ref"] == ref] if r.status_code == 200 else []
            return items

        found = await eventually(the_lead, timeout=60, what="intake to make the lead a visit task")
        assert len(found) == 1
        lead = found[0]
        assert (lead["status"], lead["reported_by"], lead["response_hours"]) == (
            "open",
            MONITORING_PLATFORM,
            24,
        )
        assert (lead["name"], lead["source"], lead["overdue"]) == ("赵*柱", "monitoring_platform", False)

        contacted = await client.post(
            f"{intake}/leads/{lead['id']}/first-contact", json={"note": "入户核实"}, headers=CLERK
        )
        assert contacted.status_code == 200, contacted.text
        converted = await client.post(
            f"{intake}/leads/{lead['id']}/application",
            json={
                "incident": {"occurred_on": "2026-11-01"},
                "persons_helped": 1,
                "annual_household_income": "9000.00",
                "property": {"deposits": "300.00", "vehicles": 0, "vehicle_value": "0.00", "houses": 1},
                "consents": {
                    "verify_economic_situation": True,
                    "share_with_charities": False,
                    "share_health_data": False,
                },
            },
            headers=CLERK,
        )
        assert converted.status_code == 201, converted.text
        case_id = converted.json()["application"]["id"]
        assert converted.json()["application"]["referring_system"] == MONITORING_PLATFORM

        async def in_approval():
            r = await client.get(f"{urls['approval']}/approval/v1/cases/{case_id}")
            return r.json() if r.status_code == 200 else None

        await eventually(in_approval, timeout=60, what="approval to receive the assessed case")
        assert (
            await review(client, case_id, urls["approval"], intake_base=urls["intake"])
        ).status_code == 200
        decided = await client.post(
            f"{urls['approval']}/approval/v1/cases/{case_id}/decision",
            json={"decision": "approved", "confirm_extended_duration": True, "reasons": "R-CAT-1 fire"},
        )
        assert decided.status_code == 200, decided.text

        async def approved_in_intake():
            r = await client.get(f"{intake}/applications/{case_id}")
            return r.json() if r.status_code == 200 and r.json()["status"] == "approved" else None

        await eventually(approved_in_intake, timeout=60, what="intake to follow the decision")
        final = (await client.get(f"{intake}/leads/{lead['id']}", headers=CLERK)).json()
        assert (final["status"], final["application_id"]) == ("converted", case_id)
        waited = (
            datetime.fromisoformat(final["first_contact_at"]) - datetime.fromisoformat(final["received_at"])
        ).total_seconds()

        figures = (await client.get(f"{intake}/figures", params={"township_code": TOWNSHIP})).json()
        assert figures["leads"]["received"] == 1 and figures["leads"]["converted"] == 1
        assert figures["leads"]["conversion"] == "1.0000"
        assert figures["leads_time_to_first_contact"]["measured"] == 1
        assert figures["leads_time_to_first_contact"]["median_seconds"] == waited
        assert figures["leads_time_to_first_contact"]["p90_seconds"] == waited

    async def dead_letters():
        rows = await db_e2e.fetch(
            "SELECT error FROM intake.dead_letter WHERE topic = $1", cluster.topic("monitoring.leads")
        )
        return rows if len(rows) >= 2 else None

    dead = await eventually(
        dead_letters,
        timeout=60,
        what="the two bad records' dead letters",
    )
    errors = [row["error"] for row in dead]
    assert any(e.startswith("invalid envelope") for e in errors)
    assert any(e.startswith("poison: township_code") and unknown.subject in e for e in errors)  # type: ignore[operator]
    assert all("赵铁柱" not in e for e in errors)
    assert await db_e2e.fetchval("SELECT count(*) FROM intake.leads WHERE source_ref = $1", ref) == 1
