"""End to end over Kafka (R-FLOW-2 with R-OVS-2, issue 18 part 5): the low-income population monitoring
platform publishes an emergency lead on ``<prefix>.monitoring.leads.v1``; intake makes it a visit task and
announces it to approval (LeadOpened, no personal data, with the case id reserved for its application); the
township head grants help at the scene before any application exists; disbursement pays it at once from the
township's reserve fund (handed over, witnessed); then the application is made from the lead under the
reserved case id, assessed, reviewed and decided, and the decision completes the scene help's paperwork and
pays only what remains. Five processes, the real broker and PostgreSQL."""

from __future__ import annotations

import uuid
from decimal import Decimal
from typing import Any

import pytest

from shared import clock
from tests.e2e.conftest import monitoring_lead, produce
from tests.factories import auth, eventually, review, staff_client

pytestmark = [pytest.mark.asyncio(loop_scope="session"), pytest.mark.e2e, pytest.mark.kafka]

COUNTY, TOWNSHIP = "140321", "140321104"  # 平定县, a township no other e2e test uses
CLERK = auth("clerk-pingding-scene", "intake_clerk", county=COUNTY, township=TOWNSHIP)
HEAD = auth("head-pingding-scene", "township_approver", county=COUNTY, township=TOWNSHIP)
SCENE = {"amount": "600.00", "form": "cash", "channel": "direct", "reasons": "房屋失火, 现场先行救助"}


async def test_help_at_the_scene_on_a_monitoring_lead_is_paid_from_the_reserve_and_the_application_follows(
    cluster,
):
    urls = cluster.urls
    intake, approval = urls["intake"] + "/intake/v1", urls["approval"] + "/approval/v1"
    disbursement = urls["disbursement"] + "/disbursement/v1"
    year = clock.local_today().year
    ref = f"JC-{uuid.uuid4().hex[:10]}"
    async with staff_client(timeout=15) as client:
        fund = await client.post(
            f"{disbursement}/reserve-funds/{TOWNSHIP}",
            json={
                "county_code": COUNTY,
                "year": year,
                "proportion": "0.1",
                "previous_year_spending": "50000.00",
                "actor": "county-finance",
            },
        )
        assert fund.status_code == 201, fund.text
        report = monitoring_lead(
            ref,
            COUNTY,
            TOWNSHIP,
            name="钱满仓",
            phone="13700002222",
            address="某村8号",
            description="监测预警: 房屋失火, 一家无处居住",
        )
        await produce(cluster.kafka, cluster.topic("monitoring.leads"), [(ref.encode(), report.to_bytes())])

        async def the_lead() -> dict[str, Any] | None:
            r = await client.get(f"{intake}/leads", params={"township_code": TOWNSHIP}, headers=CLERK)
            items = [i for i in r.json()["items"] if i["source_ref"] == ref] if r.status_code == 200 else []
            return items[0] if items else None

        lead = await eventually(the_lead, timeout=60, what="intake to make the lead a visit task")
        assert lead["case_id"] and lead["application_id"] is None

        async def granted_at_the_scene() -> Any:
            r = await client.post(f"{approval}/leads/{lead['id']}/help-first", json=SCENE, headers=HEAD)
            assert r.status_code in (201, 404), r.text  # 404 until approval has LeadOpened
            return r if r.status_code == 201 else None

        granted = await eventually(granted_at_the_scene, timeout=60, what="approval to grant on the lead")
        grant = granted.json()
        assert (grant["lead_id"], grant["case_id"], grant["application_missing"]) == (
            lead["id"],
            lead["case_id"],
            True,
        )
        case_id = lead["case_id"]

        async def scene_payment() -> dict[str, Any] | None:
            r = await client.get(f"{disbursement}/cases/{case_id}/payments")
            return r.json()[0] if r.status_code == 200 and r.json() else None

        payment = await eventually(
            scene_payment, timeout=60, what="the help-first instruction from the reserve"
        )
        assert (payment["stage"], payment["funding"], payment["status"], payment["amount"]) == (
            0,
            "reserve",
            "awaiting_handover",
            "600.00",
        )
        handed = await client.post(
            f"{disbursement}/payments/{payment['id']}/handover",
            json={"witness_name": "村主任", "recipient_name": "钱满仓", "items": "现金 600.00"},
        )
        assert handed.status_code == 200 and handed.json()["status"] == "paid", handed.text
        balance = (await client.get(f"{disbursement}/reserve-funds/{TOWNSHIP}/{year}")).json()["balance"]
        assert Decimal(balance) == Decimal("5000.00") - Decimal("600.00")

        async def shown_on_the_lead() -> dict[str, Any] | None:
            r = (await client.get(f"{intake}/leads/{lead['id']}", headers=CLERK)).json()
            return r if r["scene_help_amount"] else None

        shown = await eventually(shown_on_the_lead, timeout=60, what="intake to show the scene help")
        assert (shown["scene_help_amount"], shown["paperwork_deadline"]) == ("600.00", grant["deadline"])

        converted = await client.post(
            f"{intake}/leads/{lead['id']}/application",
            json={
                "incident": {"occurred_on": "2026-11-01"},
                "persons_helped": 1,
                "annual_household_income": "9000.00",
                "property": {"deposits": "300.00", "vehicles": 0, "vehicle_value": "0.00", "houses": 1},
                "payee": {"name": "钱满仓", "bank": "中国工商银行", "account": "6222020200112233445"},
                "consents": {
                    "verify_economic_situation": True,
                    "share_with_charities": False,
                    "share_health_data": False,
                },
            },
            headers=CLERK,
        )
        assert converted.status_code == 201, converted.text
        assert converted.json()["application"]["id"] == case_id  # the reserved case id

        async def in_approval() -> dict[str, Any] | None:
            r = await client.get(f"{approval}/cases/{case_id}")
            return r.json() if r.status_code == 200 else None

        case = await eventually(in_approval, timeout=60, what="approval to receive the assessed case")
        assert case["help_first"]["lead_id"] == lead["id"] and case["help_first"]["status"] == "open"
        assert (
            await review(client, case_id, urls["approval"], intake_base=urls["intake"])
        ).status_code == 200
        decided = await client.post(
            f"{approval}/cases/{case_id}/decision",
            json={"decision": "approved", "confirm_extended_duration": True, "reasons": "R-CAT-1 fire"},
        )
        assert decided.status_code == 200, decided.text
        assert decided.json()["help_first"]["status"] == "completed"  # the paperwork is complete

        async def both() -> list[dict[str, Any]] | None:
            r = await client.get(f"{disbursement}/cases/{case_id}/payments")
            return r.json() if r.status_code == 200 and len(r.json()) == 2 else None

        rows = await eventually(both, timeout=60, what="the remaining stage from the budget")
        assert [(r["stage"], r["funding"]) for r in rows] == [(0, "reserve"), (1, "budget")]
        assert Decimal(rows[0]["amount"]) + Decimal(rows[1]["amount"]) == Decimal(case["assessed_amount"])

        async def approved_in_intake() -> dict[str, Any] | None:
            r = await client.get(f"{intake}/applications/{case_id}")
            return r.json() if r.status_code == 200 and r.json()["status"] == "approved" else None

        await eventually(approved_in_intake, timeout=60, what="intake to follow the decision")
        final = (await client.get(f"{intake}/leads/{lead['id']}", headers=CLERK)).json()
        assert (final["status"], final["application_id"], final["paperwork_overdue"]) == (
            "converted",
            case_id,
            False,
        )
        overdue = (await client.get(f"{approval}/help-first/overdue", params={"county_code": COUNTY})).json()
        assert case_id not in [g["case_id"] for g in overdue]
