"""Health data only with its own consent (R-CHA-2; PIPL arts. 28–29): without ``share_health_data`` no
medical need reaches any partner — no needs record, no offer, nothing on a partner topic, webhook or pull
feed — and withdrawing that consent later withdraws the open offers that carried health data."""

from __future__ import annotations

import pytest

from services.referral.service import exchange
from services.referral.service.sharing import case_ref
from tests.factories import (
    WebhookReceiver,
    address,
    application,
    education_application,
    eventually,
    partner_body,
    pending_case,
    review,
)
from tests.factories import partner_auth as auth

pytestmark = pytest.mark.asyncio(loop_scope="session")
CHARITIES_ONLY = {"verify_economic_situation": True, "share_with_charities": True, "share_health_data": False}
TOWNSHIP = "140322104"  # 牛村镇: a township no other referral test's partners serve


@pytest.fixture
async def partner(standalone, db):
    """A webhook-receiving partner serving medical and education needs in ``TOWNSHIP``; suspended after."""
    receiver = WebhookReceiver()
    body = partner_body(
        need_types=["medical", "education"], service_areas=[TOWNSHIP], webhook_url=receiver.url
    )
    response = await standalone.post("/referral/v1/partners", json=body)
    assert response.status_code == 201, response.text
    made = response.json()
    receiver.secret = made["webhook_secret"]
    made["receiver"] = receiver
    yield made
    await standalone.patch(f"/referral/v1/partners/{made['id']}", json={"status": "suspended"})
    receiver.close()


async def decided(client, body: dict) -> str:
    case_id, _ = await pending_case(client, body)
    assert (await review(client, case_id)).status_code == 200  # R-FLOW-1: a second person reviews first
    answer = await client.post(
        f"/approval/v1/cases/{case_id}/decision",
        json={
            "decision": "approved",
            "actor": "approver-2",
            "reasons": "ok",
            "confirm_extended_duration": True,
        },
    )
    assert answer.status_code == 200, answer.text

    async def paid():
        return (await client.get(f"/disbursement/v1/cases/{case_id}/payments")).json()

    await eventually(paid, what="the payment (the decision reached every service)")
    return case_id


async def partner_saw(standalone, db, partner: dict, ref: str) -> dict[str, int]:
    """Everything of this case that went, or is queued to go, to partners: by topic, feed and webhook."""
    like = f"%{ref}%"
    feed = (await standalone.get(f"/referral/v1/partners/{partner['id']}/feed", headers=auth(partner))).json()
    return {
        "topic": await db.fetchval(
            "SELECT count(*) FROM referral.outbox WHERE topic LIKE '%referral.partner%' "
            "AND envelope::text LIKE $1",
            like,
        ),
        "feed": sum(1 for e in feed["items"] if ref in str(e)),
        "webhook": sum(1 for e in partner["receiver"].events() if ref in str(e)),
        "records": await db.fetchval("SELECT count(*) FROM referral.needs_records WHERE case_ref = $1", ref),
    }


async def test_a_medical_need_never_reaches_a_partner_without_health_consent(standalone, db, partner):
    case_id = await decided(
        standalone, application(address=address("140322", TOWNSHIP), consents=CHARITIES_ONLY)
    )
    ref = case_ref(standalone.app.state.runtimes["referral"], case_id)
    # the control: a case with a non-health need and the same consents does reach the partner
    control = await decided(
        standalone, education_application(address=address("140322", TOWNSHIP), consents=CHARITIES_ONLY)
    )
    control_ref = case_ref(standalone.app.state.runtimes["referral"], control)

    async def control_arrived():
        return [e for e in partner["receiver"].events("referral-offered.v1") if control_ref in str(e)]

    await eventually(control_arrived, what="the education offer (health consent is not needed for it)")
    assert await partner_saw(standalone, db, partner, ref) == {
        "topic": 0,
        "feed": 0,
        "webhook": 0,
        "records": 0,
    }
    assert await db.fetchval("SELECT count(*) FROM referral.tasks WHERE case_id = $1", case_id) == 0
    decision = await db.fetchval(
        "SELECT decision->>'subtype' FROM referral.cases WHERE case_id = $1", case_id
    )
    assert decision == "medical"  # referral knew the case: it chose not to share it


async def test_a_medical_need_with_health_consent_is_offered(standalone, db, partner):
    case_id = await decided(standalone, application(address=address("140322", TOWNSHIP)))
    ref = case_ref(standalone.app.state.runtimes["referral"], case_id)

    async def offered():
        return [e for e in partner["receiver"].events("referral-offered.v1") if e["data"]["case_ref"] == ref]

    [offer] = await eventually(offered, what="the medical offer")
    assert offer["data"]["need_type"] == "medical"


async def test_withdrawing_health_consent_withdraws_the_open_offer_and_stops_sharing(standalone, db, partner):
    case_id = await decided(standalone, application(address=address("140322", TOWNSHIP)))
    ref = case_ref(standalone.app.state.runtimes["referral"], case_id)
    receiver = partner["receiver"]

    async def offered():
        return [e for e in receiver.events("referral-offered.v1") if e["data"]["case_ref"] == ref]

    [offer] = await eventually(offered, what="the medical offer")
    withdrawn = await standalone.post(
        f"/intake/v1/applications/{case_id}/consents/share_health_data/withdrawal"
    )
    assert withdrawn.status_code == 200, withdrawn.text
    assert withdrawn.json()["consents"]["share_with_charities"] is True  # only health consent went

    async def told():
        return [
            e
            for e in receiver.events("needs-record-withdrawn.v1")
            if e["data"]["referral_id"] == offer["data"]["referral_id"]
        ]

    [gone] = await eventually(told, what="the withdrawal sent to the partner")
    assert gone["data"]["partner_id"] == partner["id"] and gone["data"]["reason"] == "consent_withdrawn"
    task = await db.fetchrow(
        "SELECT status, status_reason FROM referral.tasks WHERE id = $1", offer["data"]["task_id"]
    )
    assert (task["status"], task["status_reason"]) == ("cancelled", "consent_withdrawn")
    feed = (await standalone.get(f"/referral/v1/partners/{partner['id']}/feed", headers=auth(partner))).json()
    mine = [e["type"] for e in feed["items"] if e["data"].get("referral_id") == offer["data"]["referral_id"]]
    assert mine == ["gov.assistance.referral.needs-record-withdrawn.v1"]

    # another partner serving the need appears: the withdrawn record is offered to no one any more
    second = await standalone.post(
        "/referral/v1/partners", json=partner_body(need_types=["medical"], service_areas=[TOWNSHIP])
    )
    assert second.status_code == 201
    try:
        await exchange.sweep_once(standalone.app.state.runtimes["referral"])
        assert (
            await db.fetchval(
                "SELECT count(*) FROM referral.tasks WHERE case_id = $1 AND partner_id = $2",
                case_id,
                second.json()["id"],
            )
            == 0
        )
    finally:
        await standalone.patch(f"/referral/v1/partners/{second.json()['id']}", json={"status": "suspended"})
