"""Referral hand-overs on the real database (R-CHA-1, R-CHA-3): a suspended partner's open referrals are
cancelled, it is told, and they go to the next matching partner; a part-fulfilment completes the task for
the part and offers the rest to the next partner; partner answers are published internally through the
outbox; a partner with its own Kafka topic gets its offers and withdrawals there, never on the shared one.

Each test uses its own township (partners serve only it), so records cannot reach another test's partners."""

from __future__ import annotations

import json
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
from tests.service.test_referral_exchange import offers_to, record_of

pytestmark = pytest.mark.asyncio(loop_scope="session")
ANSWERS = (
    "gov.assistance.referral.referral-accepted.v1",
    "gov.assistance.referral.referral-declined.v1",
    "gov.assistance.referral.referral-fulfilled.v1",
)


async def decided(client, township: str) -> str:
    """An approved, consented medical case in ``township`` (its county is the code's first six digits)."""
    case_id, _ = await pending_case(client, application(address=address(township[:6], township)))
    assert (await review(client, case_id)).status_code == 200  # R-FLOW-1: a second person reviews first
    decision = await client.post(
        f"/approval/v1/cases/{case_id}/decision",
        json={
            "decision": "approved",
            "confirm_extended_duration": True,
            "actor": "approver-2",
            "reasons": "ok",
        },
    )
    assert decision.status_code == 200, decision.text
    return case_id


def task_path(partner: dict, task_id: str) -> str:
    return f"/referral/v1/partners/{partner['id']}/referrals/{task_id}"


async def answers_published(db, task_id: str) -> list[dict]:
    """The internal answer events of a task, once the relay has published them (in-process bus)."""

    async def probe():
        rows = await db.fetch(
            "SELECT event_type, topic, key, envelope, published_at FROM referral.outbox "
            "WHERE event_type = ANY($1::text[]) AND envelope->'data'->>'task_id' = $2 ORDER BY id",
            list(ANSWERS),
            task_id,
        )
        return [dict(r) for r in rows] if rows and all(r["published_at"] for r in rows) else None

    return await eventually(probe, what="the answer events to be published")


async def test_suspending_a_partner_hands_its_open_referrals_to_the_next_and_tells_it(
    standalone, partners, db
):
    township = "140311100"
    receiver = WebhookReceiver()
    try:
        first = await partners(service_areas=[township], webhook_url=receiver.url)
        receiver.secret = first["webhook_secret"]
        second = await partners(service_areas=[township])
        accepted_case, offered_case = await decided(standalone, township), await decided(standalone, township)
        refs = [(await record_of(standalone, c))["case_ref"] for c in (accepted_case, offered_case)]
        [accepted] = await offers_to(standalone, first, refs[0])
        [requested] = await offers_to(standalone, first, refs[1])
        assert (
            await standalone.post(task_path(first, accepted["task_id"]) + "/accept", headers=auth(first))
        ).json()["status"] == "accepted"
        assert await offers_to(standalone, second, refs[0]) == []

        suspended = await standalone.patch(
            f"/referral/v1/partners/{first['id']}", json={"status": "suspended"}
        )
        assert suspended.status_code == 200 and suspended.json()["status"] == "suspended"

        # both open tasks cancelled with the reason, and each need offered anew to the next partner
        for task, ref in ((accepted, refs[0]), (requested, refs[1])):
            row = await db.fetchrow(
                "SELECT status, status_reason FROM referral.tasks WHERE id = $1", task["task_id"]
            )
            assert (row["status"], row["status_reason"]) == ("cancelled", "partner_suspended")
            [handed] = await offers_to(standalone, second, ref)
            assert handed["status"] == "requested" and handed["referral_id"] == task["referral_id"]
            assert handed["task_id"] != task["task_id"]
        history = (await standalone.get(f"/referral/v1/cases/{accepted_case}/referrals")).json()
        assert [(h["partner_id"], h["status"]) for h in history] == [
            (first["id"], "cancelled"),
            (second["id"], "requested"),
        ]

        # the suspended partner is told: a signed webhook per task, in its feed rows and on its Kafka topic
        async def cancelled():
            got = receiver.events("referral-cancelled.v1")
            return got if len(got) == 2 else None

        notices = await eventually(cancelled, what="the cancellation webhooks to the suspended partner")
        assert {n["data"]["task_id"] for n in notices} == {accepted["task_id"], requested["task_id"]}
        assert {n["data"]["reason"] for n in notices} == {"partner_suspended"}
        assert receiver.bad_signatures == 0
        feed_types = await db.fetch(
            "SELECT event_type FROM referral.partner_events WHERE partner_id = $1 AND "
            "record_id = $2 ORDER BY seq",
            first["id"],
            accepted["referral_id"],
        )
        assert [r["event_type"].rsplit(".", 2)[-2] for r in feed_types] == [
            "referral-offered",
            "referral-cancelled",
        ]
        kafka = await db.fetchrow(
            "SELECT topic, key FROM referral.outbox WHERE event_type = $1 AND "
            "envelope->'data'->>'task_id' = $2",
            "gov.assistance.referral.referral-cancelled.v1",
            accepted["task_id"],
        )
        assert (kafka["topic"], kafka["key"]) == (
            f"assistance.referral.partner.{first['id']}.v1",
            first["id"],
        )

        # a suspended partner can no longer answer; the new partner can
        assert (
            await standalone.post(task_path(first, accepted["task_id"]) + "/start", headers=auth(first))
        ).status_code == 403
        [handed] = await offers_to(standalone, second, refs[0])
        assert (
            await standalone.post(task_path(second, handed["task_id"]) + "/accept", headers=auth(second))
        ).json()["status"] == "accepted"
        # suspending again changes nothing (no open task is left to hand on)
        again = await standalone.patch(f"/referral/v1/partners/{first['id']}", json={"status": "suspended"})
        assert again.status_code == 200
        assert (
            await db.fetchval("SELECT count(*) FROM referral.tasks WHERE partner_id = $1", first["id"]) == 2
        )
    finally:
        receiver.close()


async def test_a_suspension_with_no_one_left_waits_for_the_next_partner(standalone, partners, db):
    township = "140311101"
    only = await partners(service_areas=[township])
    case_id = await decided(standalone, township)
    ref = (await record_of(standalone, case_id))["case_ref"]
    [offer] = await offers_to(standalone, only, ref)
    await standalone.patch(f"/referral/v1/partners/{only['id']}", json={"status": "suspended"})
    [record] = (await standalone.get(f"/referral/v1/cases/{case_id}/needs-records")).json()
    assert record["match_state"] == "unmatched"
    assert (
        await db.fetchval("SELECT status FROM referral.tasks WHERE id = $1", offer["task_id"]) == "cancelled"
    )

    newcomer = await partners(service_areas=[township])
    await exchange.sweep_once(standalone.app.state.runtimes["referral"])
    [handed] = await offers_to(standalone, newcomer, ref)
    assert handed["status"] == "requested" and handed["referral_id"] == offer["referral_id"]


async def test_a_part_fulfilment_completes_the_task_and_offers_the_rest_to_the_next(standalone, partners, db):
    township = "140311102"
    first, second, third = [await partners(service_areas=[township]) for _ in range(3)]
    case_id = await decided(standalone, township)
    record = await record_of(standalone, case_id)
    ref, need = record["case_ref"], Decimal(record["remaining_amount"])
    part = (need / 3).quantize(Decimal("0.01"))
    assert part > 0

    [offer] = await offers_to(standalone, first, ref)
    assert Decimal(offer["remaining_amount"]) == need
    path = task_path(first, offer["task_id"])
    assert (await standalone.post(path + "/accept", headers=auth(first))).status_code == 200
    done = await standalone.post(
        path + "/fulfil", headers=auth(first), json={"amount": str(part), "form": "cash"}
    )
    assert done.status_code == 200 and done.json()["status"] == "completed"
    assert Decimal(done.json()["fulfilled_amount"]) == part

    # the rest, as a new task, to the next matching partner; the offer event says how much is left
    [rest] = await offers_to(standalone, second, ref)
    assert rest["status"] == "requested" and rest["referral_id"] == offer["referral_id"]
    assert Decimal(rest["remaining_amount"]) == need - part
    event = await db.fetchval(
        "SELECT envelope FROM referral.outbox WHERE event_type = $1 AND envelope->'data'->>'task_id' = $2",
        "gov.assistance.referral.referral-offered.v1",
        rest["task_id"],
    )
    assert Decimal(json.loads(event)["data"]["remaining_amount"]) == need - part
    [state] = (await standalone.get(f"/referral/v1/cases/{case_id}/needs-records")).json()
    assert state["match_state"] == "offered" and Decimal(state["remaining_amount"]) == need

    # the next partner may not give more than is left; giving exactly the rest closes the need
    path2 = task_path(second, rest["task_id"])
    await standalone.post(path2 + "/accept", headers=auth(second))
    over = await standalone.post(
        path2 + "/fulfil",
        headers=auth(second),
        json={"amount": str(need - part + Decimal("0.01")), "form": "cash"},
    )
    # R-CHA-1: more than is outstanding is the record's state refusing it (409), naming the field
    assert over.status_code == 409 and over.json()["errors"][0]["field"] == "amount"
    assert (
        await db.fetchval("SELECT status FROM referral.tasks WHERE id = $1", rest["task_id"])
    ) == "accepted"
    full = await standalone.post(
        path2 + "/fulfil", headers=auth(second), json={"amount": str(need - part), "form": "in_kind"}
    )
    assert full.status_code == 200 and full.json()["status"] == "completed"
    assert (await record_of(standalone, case_id))["match_state"] == "fulfilled"
    assert await offers_to(standalone, third, ref) == []

    history = (await standalone.get(f"/referral/v1/cases/{case_id}/referrals")).json()
    assert [
        (h["partner_id"], h["status"], Decimal(h["requested_amount"]), Decimal(h["fulfilled_amount"]))
        for h in history
    ] == [(first["id"], "completed", need, part), (second["id"], "completed", need - part, need - part)]
    stats = {p["partner_id"]: p for p in (await standalone.get("/referral/v1/performance")).json()}
    assert (
        Decimal(stats[first["id"]]["amount_fulfilled"]) + Decimal(stats[second["id"]]["amount_fulfilled"])
        == need
    )

    # the internal events say it was partial, then complete
    [first_done] = [
        e for e in await answers_published(db, offer["task_id"]) if e["event_type"].endswith("fulfilled.v1")
    ]
    data = json.loads(first_done["envelope"])["data"]
    assert Decimal(data["amount"]) == part and Decimal(data["remaining_amount"]) == need - part
    last = [
        e for e in await answers_published(db, rest["task_id"]) if e["event_type"].endswith("fulfilled.v1")
    ]
    assert Decimal(json.loads(last[0]["envelope"])["data"]["remaining_amount"]) == 0


async def test_partner_answers_are_published_internally_through_the_outbox(standalone, partners, db):
    township = "140311200"
    decliner, taker = await partners(service_areas=[township]), await partners(service_areas=[township])
    case_id = await decided(standalone, township)
    record = await record_of(standalone, case_id)
    [offer] = await offers_to(standalone, decliner, record["case_ref"])
    await standalone.post(
        task_path(decliner, offer["task_id"]) + "/decline",
        headers=auth(decliner),
        json={"reason": "no budget this quarter"},
    )
    [offer2] = await offers_to(standalone, taker, record["case_ref"])
    path = task_path(taker, offer2["task_id"])
    await standalone.post(path + "/accept", headers=auth(taker))
    await standalone.post(path + "/start", headers=auth(taker))
    await standalone.post(
        path + "/fulfil", headers=auth(taker), json={"amount": record["remaining_amount"], "form": "service"}
    )

    declined = await answers_published(db, offer["task_id"])
    taken = await answers_published(db, offer2["task_id"])
    assert [e["event_type"] for e in declined] == [ANSWERS[1]]
    assert [e["event_type"] for e in taken] == [ANSWERS[0], ANSWERS[2]]  # starting work is not an answer
    for row in (*declined, *taken):
        # referral's own topic, keyed by case id like every internal event, never a partner topic
        assert (row["topic"], row["key"]) == ("assistance.referral.v1", case_id)
        data = json.loads(row["envelope"])["data"]
        assert data["case_id"] == case_id and data["referral_id"] == record["id"]
        assert data["county_code"] == township[:6] and data["township_code"] == township
    d = json.loads(declined[0]["envelope"])["data"]
    assert (
        d["partner_id"] == decliner["id"]
        and d["reason"] == "no budget this quarter"
        and d["response_seconds"] >= 0
    )
    a, f = (json.loads(e["envelope"])["data"] for e in taken)
    assert a["partner_id"] == taker["id"] and a["response_seconds"] >= 0
    assert (Decimal(f["amount"]), f["form"], Decimal(f["remaining_amount"])) == (
        Decimal(record["remaining_amount"]),
        "service",
        Decimal("0"),
    )
    # refused answers publish nothing
    assert (await standalone.post(path + "/accept", headers=auth(taker))).status_code == 409
    assert len(await answers_published(db, offer2["task_id"])) == 2
    # partners never receive them
    assert (
        await db.fetchval(
            "SELECT count(*) FROM referral.partner_events WHERE event_type = ANY($1::text[])", list(ANSWERS)
        )
        == 0
    )


@pytest.fixture
def shared_topic_enabled(standalone):
    """The operator's explicit choice to allow partners on the shared topic (off by default, R-CHA-2)."""
    runtime = standalone.app.state.runtimes["referral"]
    saved = runtime.settings.partner_kafka_topic_default
    runtime.settings.partner_kafka_topic_default = "shared"
    yield
    runtime.settings.partner_kafka_topic_default = saved


async def test_a_partner_with_its_own_topic_gets_offers_and_withdrawals_only_there(
    standalone, partners, db, shared_topic_enabled
):
    township = "140311201"
    own = await partners(service_areas=[township], kafka_topic="own")
    shared = await partners(service_areas=[township], kafka_topic="shared")
    assert own["kafka_topic"] == "own" and shared["kafka_topic"] == "shared"
    own_topic = f"assistance.referral.partner.{own['id']}.v1"
    case_id = await decided(standalone, township)
    record = await record_of(standalone, case_id)
    [offer] = await offers_to(standalone, own, record["case_ref"])
    await standalone.post(
        task_path(own, offer["task_id"]) + "/decline", headers=auth(own), json={"reason": "full"}
    )
    [offer2] = await offers_to(standalone, shared, record["case_ref"])

    withdrawn = await standalone.post(
        f"/intake/v1/applications/{case_id}/consents/share_with_charities/withdrawal"
    )
    assert withdrawn.status_code == 200, withdrawn.text

    async def rows():
        got = await db.fetch(
            "SELECT event_type, topic, key, envelope->'data'->>'partner_id' AS partner_id "
            "FROM referral.outbox WHERE envelope->'data'->>'referral_id' = $1 ORDER BY id",
            record["id"],
        )
        return (
            got
            if any(r["event_type"].endswith("withdrawn.v1") and r["partner_id"] for r in got)
            and sum(1 for r in got if r["event_type"].endswith("withdrawn.v1")) == 3
            else None
        )

    events = await eventually(rows, what="the withdrawals")
    to_own = [
        (r["event_type"].rsplit(".", 2)[-2], r["topic"], r["key"])
        for r in events
        if r["partner_id"] == own["id"] and not r["event_type"].endswith("declined.v1")
    ]
    assert to_own == [
        ("referral-offered", own_topic, own["id"]),
        ("needs-record-withdrawn", own_topic, own["id"]),
    ]
    to_shared = [
        (r["event_type"].rsplit(".", 2)[-2], r["topic"], r["key"])
        for r in events
        if r["partner_id"] == shared["id"]
    ]
    assert to_shared == [
        ("referral-offered", "assistance.referral.partner.v1", shared["id"]),
        ("needs-record-withdrawn", "assistance.referral.partner.v1", shared["id"]),
    ]
    # the announcements (no partner) stay on the shared topic; nothing of the own partner's goes there
    announced = [r["topic"] for r in events if r["partner_id"] is None]
    assert announced and set(announced) == {"assistance.referral.partner.v1"}
    assert not [r for r in events if r["key"] == own["id"] and r["topic"] != own_topic]

    # a partner can be switched (later events go to the new topic); a bad mode is a 422 naming the field
    switched = await standalone.patch(f"/referral/v1/partners/{shared['id']}", json={"kafka_topic": "own"})
    assert switched.status_code == 200 and switched.json()["kafka_topic"] == "own"
    bad = await standalone.patch(f"/referral/v1/partners/{shared['id']}", json={"kafka_topic": "private"})
    assert bad.status_code == 422 and "kafka_topic" in bad.text


async def test_every_partner_gets_its_own_topic_unless_the_shared_topic_is_enabled_explicitly(
    standalone, partners
):
    assert (await partners(service_areas=["140321100"]))["kafka_topic"] == "own"
    refused = await standalone.post(
        "/referral/v1/partners", json=partner_body(service_areas=["140321100"], kafka_topic="shared")
    )
    assert refused.status_code == 409 and "kafka_topic" in refused.json()["detail"]
    runtime = standalone.app.state.runtimes["referral"]
    saved = runtime.settings.partner_kafka_topic_default
    runtime.settings.partner_kafka_topic_default = "shared"
    try:
        assert (await partners(service_areas=["140321100"]))["kafka_topic"] == "shared"
        assert (await partners(service_areas=["140321100"], kafka_topic="own"))["kafka_topic"] == "own"
    finally:
        runtime.settings.partner_kafka_topic_default = saved


async def test_withdrawal_after_suspension_still_reaches_the_suspended_partners_webhook(standalone, partners):
    township = "140321101"
    receiver = WebhookReceiver()
    try:
        partner = await partners(service_areas=[township], webhook_url=receiver.url)
        receiver.secret = partner["webhook_secret"]
        case_id = await decided(standalone, township)
        ref = (await record_of(standalone, case_id))["case_ref"]
        [offer] = await offers_to(standalone, partner, ref)
        await eventually(now(lambda: receiver.events("referral-offered.v1")), what="the offer webhook")
        await standalone.patch(f"/referral/v1/partners/{partner['id']}", json={"status": "suspended"})
        await eventually(
            now(lambda: receiver.events("referral-cancelled.v1")), what="the cancellation webhook"
        )
        withdrawn = await standalone.post(
            f"/intake/v1/applications/{case_id}/consents/share_with_charities/withdrawal"
        )
        assert withdrawn.status_code == 200
        [gone] = await eventually(
            now(lambda: receiver.events("needs-record-withdrawn.v1")),
            what="the withdrawal webhook to the suspended partner",
        )
        assert (
            gone["data"]["referral_id"] == offer["referral_id"]
            and gone["data"]["partner_id"] == partner["id"]
        )
    finally:
        receiver.close()
