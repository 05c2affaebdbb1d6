"""The charity referral exchange in one process on the real database (R-CHA): partner registry and API
keys, one-partner-at-a-time offers, answers, expiry, consent withdrawal, the pull feed, signed webhooks with
retries, dead letters and redelivery, the township's history and the county's per-partner performance."""

from __future__ import annotations

from decimal import Decimal

import pytest

from services.referral.service import exchange
from tests.factories import (
    WebhookReceiver,
    address,
    application,
    eventually,
    now,
    partner_body,
    pending_case,
    review,
)
from tests.factories import partner_auth as auth

pytestmark = pytest.mark.asyncio(loop_scope="session")
OFFERED = "referral-offered.v1"
OWN_TOWNSHIP = "140302004"  # no other test of this module's database serves or places a case there


async def decided_case(client, township: str = "140302005", **overrides) -> str:
    body = application(address=address("140302", township), **overrides)
    case_id, _ = await pending_case(client, body)
    assert (await review(client, case_id)).status_code == 200  # R-FLOW-1: a second person reviews first
    decided = await client.post(
        f"/approval/v1/cases/{case_id}/decision",
        json={
            "decision": "approved",
            "confirm_extended_duration": True,
            "actor": "approver-2",
            "reasons": "ok",
        },
    )
    assert decided.status_code == 200, decided.text
    return case_id


async def offers_to(client, partner: dict, case_ref: str | None = None) -> list[dict]:
    r = await client.get(f"/referral/v1/partners/{partner['id']}/referrals", headers=auth(partner))
    assert r.status_code == 200, r.text
    return [t for t in r.json() if case_ref is None or t["case_ref"] == case_ref]


async def record_of(client, case_id: str) -> dict:
    async def probe():
        rows = (await client.get(f"/referral/v1/cases/{case_id}/needs-records")).json()
        return rows[0] if rows and rows[0]["match_state"] != "unmatched" else None

    return await eventually(probe, what="the needs record to be offered")


async def test_registration_shows_credentials_once_and_stores_only_a_hash(standalone, partners, db):
    receiver = WebhookReceiver()
    try:
        partner = await partners(webhook_url=receiver.url)
        assert partner["api_key"].startswith("rpk_") and partner["webhook_secret"].startswith("whsec_")
        row = await db.fetchrow("SELECT * FROM referral.partners WHERE id = $1", partner["id"])
        stored = " ".join(str(v) for v in row.values())
        assert partner["api_key"] not in stored and partner["webhook_secret"] not in stored
        listed = (await standalone.get(f"/referral/v1/partners/{partner['id']}")).json()
        assert "api_key" not in listed and "webhook_secret" not in listed and listed["status"] == "active"
        feed = f"/referral/v1/partners/{partner['id']}/feed"
        assert (await standalone.get(feed)).status_code == 401
        assert (await standalone.get(feed, headers={"Authorization": "Bearer rpk_forged"})).status_code == 401
        assert (await standalone.get(feed, headers=auth(partner))).status_code == 200
        rotated = (await standalone.post(f"/referral/v1/partners/{partner['id']}/credentials")).json()
        assert (await standalone.get(feed, headers=auth(partner))).status_code == 401
        assert (await standalone.get(feed, headers=auth(rotated))).status_code == 200
        await standalone.patch(f"/referral/v1/partners/{partner['id']}", json={"status": "suspended"})
        assert (await standalone.get(feed, headers=auth(rotated))).status_code == 403
    finally:
        receiver.close()


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("webhook_url", "http://charity.example/hook"),
        ("service_areas", ["14030"]),
        ("need_types", ["food"]),
        ("kind", "bank"),
        ("name", "a\u0000b"),
    ],
)
async def test_invalid_partner_is_a_422_naming_the_field_and_writes_nothing(standalone, db, field, value):
    before = await db.fetchval("SELECT count(*) FROM referral.partners")
    response = await standalone.post("/referral/v1/partners", json=partner_body(**{field: value}))
    assert response.status_code == 422 and response.headers["content-type"].startswith(
        "application/problem+json"
    )
    assert field in response.text
    assert await db.fetchval("SELECT count(*) FROM referral.partners") == before


async def test_one_partner_at_a_time_decline_passes_it_on_and_fulfilment_is_measured(standalone, partners):
    first = await partners(service_areas=["140302005"])
    second = await partners(service_areas=["140302"], need_types=["medical", "education"])
    outsider = await partners(service_areas=["140303"])
    case_id = await decided_case(standalone)
    record = await record_of(standalone, case_id)
    ref = record["case_ref"]

    [offer] = await offers_to(standalone, first, ref)
    assert offer["status"] == "requested" and offer["contact_route"].endswith("140302005")
    assert await offers_to(standalone, second, ref) == [] and await offers_to(standalone, outsider, ref) == []
    assert case_id not in str(offer) and "张小明" not in str(offer)

    task = f"/referral/v1/partners/{first['id']}/referrals/{offer['task_id']}"
    # another partner can neither read nor answer it, under its own id or the owner's
    for who, path in (
        (second, task),
        (second, f"/referral/v1/partners/{second['id']}/referrals/{offer['task_id']}"),
    ):
        assert (await standalone.get(path, headers=auth(who))).status_code == 404
        assert (await standalone.post(path + "/accept", headers=auth(who))).status_code == 404
    assert (
        await standalone.post(task + "/fulfil", headers=auth(first), json={"amount": "1.00", "form": "cash"})
    ).status_code == 409
    declined = await standalone.post(task + "/decline", headers=auth(first), json={"reason": "budget spent"})
    assert declined.status_code == 200 and declined.json()["status"] == "rejected"
    assert (await standalone.post(task + "/accept", headers=auth(first))).status_code == 409

    [offer2] = await offers_to(standalone, second, ref)
    task2 = f"/referral/v1/partners/{second['id']}/referrals/{offer2['task_id']}"
    assert (await standalone.post(task2 + "/accept", headers=auth(second))).json()["status"] == "accepted"
    assert (await standalone.post(task2 + "/start", headers=auth(second))).json()["status"] == "in-progress"
    too_much = Decimal(record["remaining_amount"]) + Decimal("0.01")
    over = await standalone.post(
        task2 + "/fulfil", headers=auth(second), json={"amount": str(too_much), "form": "cash"}
    )
    # R-CHA-1: more than is outstanding is the record's state refusing it (409), naming the field
    assert over.status_code == 409 and over.json()["errors"][0]["field"] == "amount"
    # the whole remaining amount (a smaller one is a part-fulfilment: see test_referral_handover.py)
    done = await standalone.post(
        task2 + "/fulfil",
        headers=auth(second),
        json={"amount": record["remaining_amount"], "form": "in_kind"},
    )
    assert done.status_code == 200 and done.json()["status"] == "completed"

    history = (await standalone.get(f"/referral/v1/cases/{case_id}/referrals")).json()
    assert [(h["partner_id"], h["status"]) for h in history] == [
        (first["id"], "rejected"),
        (second["id"], "completed"),
    ]
    assert history[0]["status_reason"] == "budget spent" and history[1]["fulfilled_form"] == "in_kind"
    stats = {
        p["partner_id"]: p
        for p in (await standalone.get("/referral/v1/performance", params={"county_code": "140302"})).json()
    }
    assert (stats[first["id"]]["offers"], stats[first["id"]]["declined"]) == (1, 1)
    s2 = stats[second["id"]]
    assert (s2["offers"], s2["accepted"], s2["completed"], s2["acceptance_rate"]) == (1, 1, 1, 1.0)
    assert Decimal(s2["amount_fulfilled"]) == Decimal(record["remaining_amount"])
    assert s2["avg_response_seconds"] is not None
    assert (await record_of(standalone, case_id))["match_state"] == "fulfilled"


async def test_an_offer_not_accepted_in_time_goes_to_the_next_partner(standalone, partners, db):
    slow, next_one = await partners(), await partners()
    case_id = await decided_case(standalone)
    ref = (await record_of(standalone, case_id))["case_ref"]
    [offer] = await offers_to(standalone, slow, ref)
    await db.execute(
        "UPDATE referral.tasks SET expires_at = now() - interval '1 second' WHERE id = $1", offer["task_id"]
    )
    await exchange.sweep_once(standalone.app.state.runtimes["referral"])
    assert (await offers_to(standalone, slow, ref)) == [] or (await offers_to(standalone, slow, ref))[0][
        "status"
    ] == "cancelled"
    [offer2] = await offers_to(standalone, next_one, ref)
    assert offer2["status"] == "requested"
    feed = (await standalone.get(f"/referral/v1/partners/{slow['id']}/feed", headers=auth(slow))).json()
    types = [
        e["type"].rsplit(".", 2)[-2]
        for e in feed["items"]
        if e["data"]["referral_id"] == offer["referral_id"]
    ]
    assert types == ["referral-offered", "referral-offer-expired"]
    history = (await standalone.get(f"/referral/v1/cases/{case_id}/referrals")).json()
    assert history[0]["status"] == "cancelled" and history[0]["status_reason"] == "offer_expired"


async def test_unconsented_case_is_offered_to_no_one(standalone, partners, db):
    partner = await partners()
    case_id = await decided_case(
        standalone,
        consents={
            "verify_economic_situation": True,
            "share_with_charities": False,
            "share_health_data": False,
        },
    )

    async def paid():
        return (await standalone.get(f"/disbursement/v1/cases/{case_id}/payments")).json()

    await eventually(paid, what="the payment")
    assert await db.fetchval("SELECT count(*) FROM referral.tasks WHERE case_id = $1", case_id) == 0
    assert (
        await standalone.get(f"/referral/v1/partners/{partner['id']}/feed", headers=auth(partner))
    ).json()["items"] == []


async def test_withdrawal_stops_sharing_reaches_the_partner_and_empties_the_feed(standalone, partners, db):
    receiver = WebhookReceiver()
    try:
        partner = await partners(webhook_url=receiver.url)
        receiver.secret = partner["webhook_secret"]
        case_id = await decided_case(standalone)
        ref = (await record_of(standalone, case_id))["case_ref"]
        [offer] = await offers_to(standalone, partner, ref)
        await eventually(now(lambda: receiver.events(OFFERED)), what="the signed offer webhook")
        [hook] = receiver.events(OFFERED)
        assert hook["data"]["task_id"] == offer["task_id"] and hook["data"]["partner_id"] == partner["id"]
        assert receiver.bad_signatures == 0

        withdrawn = await standalone.post(
            f"/intake/v1/applications/{case_id}/consents/share_with_charities/withdrawal"
        )
        assert withdrawn.status_code == 200, withdrawn.text
        await eventually(
            now(lambda: receiver.events("needs-record-withdrawn.v1")), what="the withdrawal webhook"
        )
        [gone] = receiver.events("needs-record-withdrawn.v1")
        assert (
            gone["data"]["partner_id"] == partner["id"]
            and gone["data"]["referral_id"] == offer["referral_id"]
        )
        feed = (
            await standalone.get(f"/referral/v1/partners/{partner['id']}/feed", headers=auth(partner))
        ).json()
        mine = [e for e in feed["items"] if e["data"]["referral_id"] == offer["referral_id"]]
        assert [e["type"] for e in mine] == ["gov.assistance.referral.needs-record-withdrawn.v1"]
        task = f"/referral/v1/partners/{partner['id']}/referrals/{offer['task_id']}"
        kept = await standalone.get(task, headers=auth(partner))  # final status, no needs data (R-CHA-2)
        assert kept.status_code == 200 and kept.json()["status"] == "cancelled"
        assert (await standalone.post(task + "/accept", headers=auth(partner))).status_code == 404
        assert (
            await db.fetchval("SELECT status FROM referral.tasks WHERE id = $1", offer["task_id"])
            == "cancelled"
        )
    finally:
        receiver.close()


async def test_failing_receiver_is_retried_dead_lettered_and_redelivered_once_in_effect(
    standalone, partners, db
):
    runtime = standalone.app.state.runtimes["referral"]
    saved = (runtime.settings.webhook_backoff_seconds, runtime.settings.webhook_max_attempts)
    runtime.settings.webhook_backoff_seconds, runtime.settings.webhook_max_attempts = 0.05, 3
    receiver = WebhookReceiver(fail_first=3)
    try:
        # A township of this test's own: a needs record another test left waiting in 140302005 (a suspended
        # partner's open offer is handed on after that test ends, R-CHA-1) would otherwise be offered to this
        # partner too, take the three failures and leave this case's delivery undead (the old flake).
        partner = await partners(webhook_url=receiver.url, service_areas=[OWN_TOWNSHIP])
        receiver.secret = partner["webhook_secret"]
        case_id = await decided_case(standalone, township=OWN_TOWNSHIP)
        ref = (await record_of(standalone, case_id))["case_ref"]

        async def dead():
            rows = (
                await standalone.get(
                    "/referral/v1/deliveries", params={"partner_id": partner["id"], "status": "dead_letter"}
                )
            ).json()
            return rows or None

        [delivery] = await eventually(dead, what="the delivery to be dead-lettered")
        assert delivery["attempts"] == 3 and delivery["last_status"] == 500 and receiver.events() == []

        other = await partners()
        path = f"/referral/v1/partners/{{}}/deliveries/{delivery['id']}/redeliver"
        assert (await standalone.post(path.format(other["id"]), headers=auth(other))).status_code == 404
        again = await standalone.post(path.format(partner["id"]), headers=auth(partner))
        assert again.status_code == 200 and again.json()["status"] == "pending"
        await eventually(now(lambda: receiver.events(OFFERED)), what="the redelivered webhook")

        async def delivered():
            rows = (
                await standalone.get(
                    f"/referral/v1/partners/{partner['id']}/deliveries", headers=auth(partner)
                )
            ).json()
            return rows[0]["status"] == "delivered"

        # The receiver has the request before the dispatcher records its answer; a redelivery asked for while
        # the attempt is in flight finds the delivery still pending and queues nothing more (the old flake).
        await eventually(delivered, what="the redelivery to be recorded")
        staff = await standalone.post(f"/referral/v1/deliveries/{delivery['id']}/redeliver")
        assert staff.status_code == 200 and staff.json()["status"] == "pending"  # queued again

        async def delivered_twice():
            return len(receiver.requests) >= 5 and await delivered()

        await eventually(delivered_twice, what="the second redelivery")
        ids = {r["headers"]["webhook-id"] for r in receiver.requests}
        assert len(receiver.requests) == 5  # three failed attempts, the partner's and the staff's redelivery
        assert len(ids) == 1 and len(receiver.effects) == 1
        assert receiver.events(OFFERED)[0]["data"]["case_ref"] == ref
    finally:
        runtime.settings.webhook_backoff_seconds, runtime.settings.webhook_max_attempts = saved
        receiver.close()


async def test_the_asyncapi_document_is_served(standalone):
    doc = (await standalone.get("/referral/v1/asyncapi.json")).json()
    assert doc["asyncapi"] == "3.0.0" and "ReferralOffered" in doc["components"]["messages"]
