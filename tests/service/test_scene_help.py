"""Help at the scene (先行救助 on a lead; R-FLOW-2 with R-OVS-2, issue 18 part 5): intake announces each lead
to approval without personal data (LeadOpened, with the case id reserved for its application); a township or
county decider of the lead's jurisdiction grants cash or goods at the scene within the township's
disbursement limit, before any application exists; disbursement pays it at once from the township's reserve
fund; the application the lead converts into takes the reserved case id, so its decision completes the
paperwork and accounts for the help already given; and a grant whose application never came is overdue after
10 working days, announced once and shown on the lead."""

from __future__ import annotations

import asyncio
import json
import uuid
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import pytest

from services.intake.handlers import on_help_first_granted
from shared import clock
from shared.contracts.approval import AidForm, Channel, HelpFirstGranted
from shared.events import Envelope
from tests.factories import auth, eventually, gov_system, resident_id, review

pytestmark = pytest.mark.asyncio(loop_scope="session")

COUNTY, TOWNSHIP, OTHER = "140311", "140311101", "140311102"
"""郊区: 河底镇 (this module's), and 平坦镇 of the same county."""
MONITORING = gov_system("低收入人口动态监测平台")
CLERK = auth("clerk-hedi", "intake_clerk", county=COUNTY, township=TOWNSHIP)
TOWNSHIP_HEAD = auth("head-hedi", "township_approver", county=COUNTY, township=TOWNSHIP)
OTHER_HEAD = auth("head-pingtan", "township_approver", county=COUNTY, township=OTHER)
COUNTY_APPROVER = auth("county-jiaoqu", "county_approver", county=COUNTY)
SCENE = {"amount": "800.00", "form": "cash", "channel": "direct", "reasons": "夜间房屋失火, 现场先行救助"}


def lead_body(**overrides: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "source": "monitoring_platform",
        "township_code": TOWNSHIP,
        "urgency": "emergency",
        "category": "emergency",
        "subtype": "fire_or_accident",
        "name": "李二牛",
        "id_number": resident_id(area=COUNTY),
        "phone": "13912340000",
        "address": "河底镇某村7号",
        "description": "夜间房屋失火, 一家三口无处居住",
    }
    body.update(overrides)
    return body


def completion() -> dict[str, Any]:
    return {
        "incident": {"occurred_on": "2026-11-01"},
        "persons_helped": 1,
        "annual_household_income": "12000.00",
        "payee": {"name": "李二牛", "bank": "中国工商银行", "account": "6222020200112233445"},
        "property": {"deposits": "500.00", "vehicles": 0, "vehicle_value": "0.00", "houses": 1},
        "consents": {
            "verify_economic_situation": True,
            "share_with_charities": False,
            "share_health_data": False,
        },
    }


async def reported(client: Any, db: Any, **overrides: Any) -> dict[str, Any]:
    """A lead by REST, once approval has it (LeadOpened over the bus)."""
    created = await client.post("/intake/v1/leads", json=lead_body(**overrides), headers=MONITORING)
    assert created.status_code == 201, created.text
    lead = dict(created.json())

    async def in_approval() -> bool:
        return bool(await db.fetchval("SELECT count(*) FROM approval.leads WHERE lead_id = $1", lead["id"]))

    await eventually(in_approval, what="approval to learn of the lead")
    return lead


async def reserve_fund(client: Any, year: int) -> None:
    fund = await client.post(
        f"/disbursement/v1/reserve-funds/{TOWNSHIP}",
        json={
            "county_code": COUNTY,
            "year": year,
            "proportion": "0.2",
            "previous_year_spending": "100000.00",
            "actor": "county-finance",
        },
    )
    assert fund.status_code in (201, 409), fund.text  # 409: allocated for the year by an earlier test


async def test_a_lead_is_announced_to_approval_with_its_reserved_case_id_and_no_personal_data(standalone, db):
    lead = await reported(standalone, db)
    assert lead["case_id"] and lead["case_id"] != lead["id"] and lead["scene_help_amount"] is None
    row = await db.fetchrow("SELECT * FROM approval.leads WHERE lead_id = $1", lead["id"])
    assert (str(row["case_id"]), row["township_code"], row["urgency"], row["category"]) == (
        lead["case_id"],
        TOWNSHIP,
        "emergency",
        "emergency",
    )
    envelope = await db.fetchval(
        "SELECT envelope FROM intake.outbox WHERE key = $1 "
        "AND event_type = 'gov.assistance.intake.lead-opened.v1'",
        lead["case_id"],
    )
    data = json.loads(envelope)["data"] if isinstance(envelope, str) else envelope["data"]
    assert (data["lead_id"], data["case_id"], data["source"]) == (
        lead["id"],
        lead["case_id"],
        "monitoring_platform",
    )
    assert (
        "李二牛" not in str(envelope)
        and "13912340000" not in str(envelope)
        and "河底镇某村" not in str(envelope)
    )


class TestGrantAtTheScene:
    async def test_a_township_grants_help_at_the_scene_within_its_limit_paid_at_once_from_its_reserve_fund(
        self, standalone, db
    ):
        await reserve_fund(standalone, datetime.now(UTC).year)
        lead = await reported(standalone, db)
        url = f"/approval/v1/leads/{lead['id']}/help-first"
        above = await standalone.post(url, json={**SCENE, "amount": "5000.01"}, headers=TOWNSHIP_HEAD)
        assert above.status_code == 409 and above.json()["type"].endswith("/county-grant-required")
        assert above.json()["rule"] == "R-FLOW-3"
        by_bank = await standalone.post(
            url, json={**SCENE, "channel": "bank_transfer"}, headers=TOWNSHIP_HEAD
        )
        assert by_bank.status_code == 422 and by_bank.json()["errors"][0]["field"] == "channel"
        referral = await standalone.post(url, json={**SCENE, "form": "referral"}, headers=TOWNSHIP_HEAD)
        assert referral.status_code == 422 and referral.json()["errors"][0]["field"] == "form"
        assert (
            await db.fetchval("SELECT count(*) FROM approval.help_first_grants") == 0
        )  # nothing half-written

        granted = await standalone.post(url, json=SCENE, headers=TOWNSHIP_HEAD)
        assert granted.status_code == 201, granted.text
        grant = granted.json()
        today = clock.local_today()
        preview = (
            await standalone.get(
                "/approval/v1/calendars/deadline",
                params={"county_code": COUNTY, "over_on": str(today)},
            )
        ).json()
        assert (grant["lead_id"], grant["case_id"], grant["level"], grant["actor"]) == (
            lead["id"],
            lead["case_id"],
            "township",
            "head-hedi",
        )
        assert grant["deadline"] == preview["deadline"] and grant["deadline"] > today.isoformat()
        assert grant["application_missing"] is True and grant["emergency_over_on"] is None

        async def help_payment() -> dict[str, Any] | None:
            r = await standalone.get(f"/disbursement/v1/cases/{lead['case_id']}/payments")
            return r.json()[0] if r.status_code == 200 and r.json() else None

        payment = await eventually(help_payment, what="the scene help's payment from the reserve fund")
        assert (payment["stage"], payment["funding"], payment["status"], payment["amount"]) == (
            0,
            "reserve",
            "awaiting_handover",
            "800.00",
        )
        handed = await standalone.post(
            f"/disbursement/v1/payments/{payment['id']}/handover",
            json={"witness_name": "village-head", "recipient_name": "李二牛", "items": "cash 800.00"},
        )
        assert handed.status_code == 200 and handed.json()["status"] == "paid"

        async def shown_on_the_lead() -> dict[str, Any] | None:
            r = (await standalone.get(f"/intake/v1/leads/{lead['id']}", headers=CLERK)).json()
            return r if r["scene_help_amount"] else None

        shown = await eventually(shown_on_the_lead, what="intake to show the scene help on the lead")
        assert (shown["scene_help_amount"], shown["paperwork_deadline"], shown["paperwork_overdue"]) == (
            "800.00",
            grant["deadline"],
            False,
        )
        closing = await standalone.post(
            f"/intake/v1/leads/{lead['id']}/closing", json={"reason": "不需要"}, headers=CLERK
        )
        assert closing.status_code == 409 and closing.json()["type"].endswith("/lead-had-scene-help")

    async def test_one_grant_per_lead_and_the_case_route_refuses_a_second_help_first_too(
        self, standalone, db
    ):
        lead = await reported(standalone, db)
        url = f"/approval/v1/leads/{lead['id']}/help-first"
        assert (await standalone.post(url, json=SCENE, headers=TOWNSHIP_HEAD)).status_code == 201
        again = await standalone.post(url, json=SCENE, headers=COUNTY_APPROVER)
        assert again.status_code == 409 and again.json()["type"].endswith("/help-first-already-granted")
        assert (
            await db.fetchval(
                "SELECT count(*) FROM approval.outbox WHERE key = $1 "
                "AND event_type = 'gov.assistance.approval.help-first-granted.v1'",
                lead["case_id"],
            )
            == 1
        )

    async def test_two_grants_at_once_on_one_lead_give_one_grant_and_one_409(self, standalone, db):
        lead = await reported(standalone, db)
        url = f"/approval/v1/leads/{lead['id']}/help-first"
        answers = await asyncio.gather(
            standalone.post(url, json=SCENE, headers=TOWNSHIP_HEAD),
            standalone.post(url, json=SCENE, headers=COUNTY_APPROVER),
        )
        assert sorted(a.status_code for a in answers) == [201, 409]
        assert (
            await db.fetchval(
                "SELECT count(*) FROM approval.outbox WHERE key = $1 "
                "AND event_type = 'gov.assistance.approval.help-first-granted.v1'",
                lead["case_id"],
            )
            == 1
        )  # the refused one published nothing
        assert (
            await db.fetchval(
                "SELECT count(*) FROM approval.help_first_grants WHERE lead_id = $1", lead["id"]
            )
            == 1
        )

    async def test_the_county_grants_above_the_townships_disbursement_limit(self, standalone, db):
        lead = await reported(standalone, db)
        granted = await standalone.post(
            f"/approval/v1/leads/{lead['id']}/help-first",
            json={**SCENE, "amount": "6000.00"},
            headers=COUNTY_APPROVER,
        )
        assert granted.status_code == 201, granted.text
        assert (granted.json()["level"], granted.json()["amount"]) == ("county", "6000.00")

    async def test_a_lead_that_is_not_an_emergency_gets_no_help_at_the_scene_and_nothing_is_written(
        self, standalone, db
    ):
        normal = await reported(standalone, db, urgency="normal", category=None, subtype="medical")
        refused = await standalone.post(
            f"/approval/v1/leads/{normal['id']}/help-first", json=SCENE, headers=TOWNSHIP_HEAD
        )
        assert refused.status_code == 409 and refused.json()["type"].endswith("/not-an-emergency")
        assert refused.json()["rule"] == "R-FLOW-2" and "urgency is normal" in refused.json()["detail"]
        assert (
            await db.fetchval(
                "SELECT count(*) FROM approval.help_first_grants WHERE lead_id = $1", normal["id"]
            )
            == 0
        )
        assert (
            await db.fetchval("SELECT count(*) FROM approval.outbox WHERE key = $1", normal["case_id"]) == 0
        )

    async def test_an_unknown_lead_and_a_lead_of_another_township_are_404(self, standalone, db):
        unknown = await standalone.post(
            "/approval/v1/leads/00000000-0000-4000-8000-000000000000/help-first",
            json=SCENE,
            headers=TOWNSHIP_HEAD,
        )
        assert unknown.status_code == 404
        assert unknown.headers["content-type"].startswith("application/problem+json")
        lead = await reported(standalone, db)
        elsewhere = await standalone.post(
            f"/approval/v1/leads/{lead['id']}/help-first", json=SCENE, headers=OTHER_HEAD
        )
        assert elsewhere.status_code == 404
        assert (
            await db.fetchval(
                "SELECT count(*) FROM approval.help_first_grants WHERE lead_id = $1", lead["id"]
            )
            == 0
        )

    async def test_a_lead_closed_at_intake_gets_no_help_at_the_scene_and_nothing_is_written(
        self, standalone, db
    ):
        lead = await reported(standalone, db)
        closing = await standalone.post(
            f"/intake/v1/leads/{lead['id']}/closing", json={"reason": "已由亲属安置"}, headers=CLERK
        )
        assert closing.status_code == 200, closing.text
        envelope = await db.fetchval(
            "SELECT envelope FROM intake.outbox WHERE key = $1 "
            "AND event_type = 'gov.assistance.intake.lead-closed.v1'",
            lead["case_id"],
        )
        assert envelope is not None and "已由亲属安置" not in str(envelope)  # the reason stays in intake

        async def closed_in_approval() -> bool:
            return bool(
                await db.fetchval(
                    "SELECT closed_at IS NOT NULL FROM approval.leads WHERE lead_id = $1", lead["id"]
                )
            )

        await eventually(closed_in_approval, what="approval to learn the lead was closed")
        refused = await standalone.post(
            f"/approval/v1/leads/{lead['id']}/help-first", json=SCENE, headers=TOWNSHIP_HEAD
        )
        assert refused.status_code == 409 and refused.json()["type"].endswith("/lead-closed")
        assert refused.headers["content-type"].startswith("application/problem+json")
        assert (
            await db.fetchval(
                "SELECT count(*) FROM approval.help_first_grants WHERE lead_id = $1", lead["id"]
            )
            == 0
        )
        assert await db.fetchval("SELECT count(*) FROM approval.outbox WHERE key = $1", lead["case_id"]) == 0


async def test_the_application_from_the_lead_takes_the_reserved_case_id_and_its_decision_completes_it(
    standalone, db
):
    await reserve_fund(standalone, datetime.now(UTC).year)
    lead = await reported(standalone, db)
    granted = await standalone.post(
        f"/approval/v1/leads/{lead['id']}/help-first", json=SCENE, headers=TOWNSHIP_HEAD
    )
    assert granted.status_code == 201, granted.text
    converted = await standalone.post(
        f"/intake/v1/leads/{lead['id']}/application", json=completion(), headers=CLERK
    )
    assert converted.status_code == 201, converted.text
    case_id = converted.json()["application"]["id"]
    assert case_id == lead["case_id"] == converted.json()["lead"]["case_id"]

    async def in_approval() -> dict[str, Any] | None:
        r = await standalone.get(f"/approval/v1/cases/{case_id}")
        return r.json() if r.status_code == 200 else None

    case = await eventually(in_approval, what="the lead's application to reach approval")
    over = await standalone.post(
        f"/approval/v1/cases/{case_id}/help-first/emergency-over", json={"over_on": "2026-11-02"}
    )
    assert over.status_code == 409 and over.json()["type"].endswith("/paperwork-clock-from-the-scene")
    assert (await review(standalone, case_id)).status_code == 200
    decided = await standalone.post(
        f"/approval/v1/cases/{case_id}/decision",
        json={
            "decision": "approved",
            "confirm_extended_duration": True,
            "reasons": "R-CAT-1 fire",
            "role": "county",
        },
    )
    assert decided.status_code == 200, decided.text
    assert decided.json()["help_first"]["status"] == "completed"
    assert decided.json()["help_first"]["lead_id"] == lead["id"]

    async def both() -> list[dict[str, Any]] | None:
        rows = (await standalone.get(f"/disbursement/v1/cases/{case_id}/payments")).json()
        return rows if len(rows) == 2 else None

    rows = await eventually(both, what="the remaining stage after the scene help")
    assert [(r["stage"], r["funding"]) for r in rows] == [(0, "reserve"), (1, "budget")]
    assert (rows[0]["amount"], rows[0]["channel"]) == ("800.00", "direct")  # handed over at the scene
    assert Decimal(rows[0]["amount"]) + Decimal(rows[1]["amount"]) == Decimal(case["assessed_amount"])


async def test_scene_help_whose_application_never_came_is_overdue_after_ten_working_days_and_announced_once(
    standalone, db
):
    await reserve_fund(standalone, 2026)
    lead = await reported(standalone, db)
    with clock.frozen(datetime(2026, 3, 6, 2, 0, tzinfo=UTC)):  # Fri 2026-03-06, 10:00 in China
        granted = await standalone.post(
            f"/approval/v1/leads/{lead['id']}/help-first", json=SCENE, headers=TOWNSHIP_HEAD
        )
    assert granted.status_code == 201, granted.text
    # R-FLOW-2: 10 working days from the scene grant (national 2026): Fri 2026-03-20, the day itself in time
    assert (granted.json()["deadline"], granted.json()["calendar"]) == ("2026-03-20", "national 2026")

    async def overdue_on(day: str) -> list[dict[str, Any]]:
        r = await standalone.get("/approval/v1/help-first/overdue", params={"on": day, "county_code": COUNTY})
        assert r.status_code == 200, r.text
        return [g for g in r.json() if g["lead_id"] == lead["id"]]

    assert await overdue_on("2026-03-20") == []
    [late] = await overdue_on("2026-03-21")
    assert (late["case_id"], late["application_missing"], late["status"]) == (lead["case_id"], True, "open")

    with clock.frozen(datetime(2026, 3, 23, 2, 0, tzinfo=UTC)):  # Mon 2026-03-23 in China
        await standalone.post("/approval/v1/help-first/overdue:check")
        again = await standalone.post("/approval/v1/help-first/overdue:check")
    assert again.json()["announced"] == 0
    rows = await db.fetch(
        "SELECT envelope FROM approval.outbox WHERE key = $1 "
        "AND event_type = 'gov.assistance.approval.paperwork-overdue.v1'",
        lead["case_id"],
    )
    assert len(rows) == 1  # once (the watch or the check announced it)
    envelope = rows[0]["envelope"]
    data = (json.loads(envelope) if isinstance(envelope, str) else envelope)["data"]
    assert (
        data["lead_id"],
        data["application_missing"],
        data["counted_from"],
        data["emergency_over_on"],
    ) == (
        lead["id"],
        True,
        "2026-03-06",
        None,
    )

    async def shown_on_the_lead() -> dict[str, Any] | None:
        r = (await standalone.get(f"/intake/v1/leads/{lead['id']}", headers=CLERK)).json()
        return r if r["paperwork_overdue"] else None

    shown = await eventually(shown_on_the_lead, what="intake to show the missing application on the lead")
    assert (shown["status"], shown["paperwork_deadline"]) == ("open", "2026-03-20")


async def test_a_closing_overtaken_by_help_at_the_scene_reopens_the_lead_for_its_application(standalone, db):
    """The closing and the grant can cross: intake closes a lead while approval, not yet told, grants help
    at the scene on it. The help was given, so its application must follow: intake reopens the lead when
    the grant reaches it, shows the help and keeps the closing on record; the application can be made."""
    lead = await reported(standalone, db)
    closing = await standalone.post(
        f"/intake/v1/leads/{lead['id']}/closing", json={"reason": "电话无人接听"}, headers=CLERK
    )
    assert closing.status_code == 200 and closing.json()["status"] == "closed"
    granted = HelpFirstGranted(
        case_id=lead["case_id"],
        grant_id=str(uuid.uuid4()),
        county_code=COUNTY,
        township_code=TOWNSHIP,
        level="township",
        form=AidForm.cash,
        channel=Channel.direct,
        amount=Decimal("600.00"),
        granted_by="head-hedi",
        granted_at=clock.now(),
        lead_id=lead["id"],
        paperwork_deadline=clock.local_today(),
    )
    runtime = standalone.app.state.runtimes["intake"]
    async with runtime.transaction() as session:  # the grant as approval published it before the closing
        await on_help_first_granted(
            runtime, session, Envelope.wrap(granted, source="approval", subject=lead["case_id"]), granted
        )
    shown = (await standalone.get(f"/intake/v1/leads/{lead['id']}", headers=CLERK)).json()
    assert (shown["status"], shown["scene_help_amount"], shown["close_reason"]) == (
        "open",
        "600.00",
        "电话无人接听",
    )
    assert shown["reopened_at"] is not None and shown["closed_at"] is not None
    again = await standalone.post(
        f"/intake/v1/leads/{lead['id']}/closing", json={"reason": "再次关闭"}, headers=CLERK
    )
    assert again.status_code == 409 and again.json()["type"].endswith("/lead-had-scene-help")
