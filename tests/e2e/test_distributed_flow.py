"""End to end: five service processes, the real Kafka broker and PostgreSQL, a partner's own consumer."""

from __future__ import annotations

import asyncio
import json
import uuid
from decimal import Decimal

import httpx
import pytest
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer

from shared.contracts.intake import ApplicationSubmitted
from shared.events import Envelope
from tests.factories import application, emergency_application, eventually, review, staff_client

pytestmark = [pytest.mark.asyncio(loop_scope="session"), pytest.mark.e2e, pytest.mark.kafka]


async def _get_json(client: httpx.AsyncClient, url: str):
    response = await client.get(url)
    return response.json() if response.status_code == 200 else None


async def _run_case(client: httpx.AsyncClient, urls: dict[str, str], body: dict) -> str:
    created = await client.post(urls["intake"] + "/intake/v1/applications", json=body)
    assert created.status_code == 201, created.text
    case_id = created.json()["id"]
    await eventually(
        lambda: _get_json(client, f"{urls['approval']}/approval/v1/cases/{case_id}"),
        timeout=60,
        what="approval to receive the assessed case",
    )
    assert (await review(client, case_id, urls["approval"], intake_base=urls["intake"])).status_code == 200
    decided = await client.post(
        f"{urls['approval']}/approval/v1/cases/{case_id}/decision",
        json={
            "decision": "approved",
            "confirm_extended_duration": True,
            "actor": "approver",
            "reasons": "meets R-CAT",
        },
    )
    assert decided.status_code == 200, decided.text
    return case_id


async def _partner_records(kafka: str, topic: str, expected: int, timeout: float = 30) -> list[dict]:  # noqa: ASYNC109 - a polling deadline
    """What a partner charity sees: its own consumer group reading the partner topic from the start."""
    consumer = AIOKafkaConsumer(
        topic,
        bootstrap_servers=kafka,
        group_id=f"partner-{uuid.uuid4().hex[:6]}",
        auto_offset_reset="earliest",
        enable_auto_commit=False,
    )
    await consumer.start()
    seen: list[dict] = []
    try:
        deadline = asyncio.get_running_loop().time() + timeout
        while asyncio.get_running_loop().time() < deadline:
            batches = await consumer.getmany(timeout_ms=500)
            seen += [json.loads(m.value) for msgs in batches.values() for m in msgs]
            if len(seen) >= expected:
                await asyncio.sleep(2)  # and nothing more arrives
                seen += [
                    json.loads(m.value)
                    for msgs in (await consumer.getmany(timeout_ms=500)).values()
                    for m in msgs
                ]
                break
    finally:
        await consumer.stop()
    return seen


async def test_cases_reach_their_final_state_in_every_service_and_partners_see_only_consented(cluster):
    urls = cluster.urls
    async with staff_client(timeout=10) as client:
        consented = await _run_case(client, urls, application())
        unconsented = await _run_case(
            client,
            urls,
            application(
                consents={
                    "verify_economic_situation": True,
                    "share_with_charities": False,
                    "share_health_data": False,
                }
            ),
        )
        emergency = await _run_case(client, urls, emergency_application())

        for case_id in (consented, unconsented, emergency):

            async def intake_approved(cid=case_id):  # intake follows approval's events too
                got = await _get_json(client, f"{urls['intake']}/intake/v1/applications/{cid}")
                return got if got and got["status"] == "approved" else None

            intake = await eventually(intake_approved, timeout=60, what="intake to see the approval")
            assessment = await _get_json(client, f"{urls['assessment']}/assessment/v1/cases/{case_id}")
            approval = await _get_json(client, f"{urls['approval']}/approval/v1/cases/{case_id}")
            assert (
                intake["status"] == "approved" and assessment["eligible"] and approval["status"] == "approved"
            )
            payments = await eventually(
                lambda cid=case_id: _get_json(
                    client, f"{urls['disbursement']}/disbursement/v1/cases/{cid}/payments"
                ),
                timeout=60,
                what="the payment instruction",
            )
            assert [p["amount"] for p in payments] == [approval["decisions"][-1]["amount"]]

        records = await eventually(
            lambda: _get_json(client, f"{urls['referral']}/referral/v1/cases/{consented}/needs-records"),
            timeout=60,
            what="the needs record",
        )
        assert records[0]["status"] == "published"
        for case_id in (unconsented, emergency):
            assert (
                await _get_json(client, f"{urls['referral']}/referral/v1/cases/{case_id}/needs-records") == []
            )

    partner_events = await _partner_records(cluster.kafka, cluster.topic("referral.partner"), expected=1)
    assert [e["data"]["case_ref"] for e in partner_events] == [records[0]["case_ref"]]
    event = partner_events[0]
    assert (
        event["type"] == "gov.assistance.referral.needs-record-published.v1" and event["specversion"] == "1.0"
    )
    assert Decimal(event["data"]["remaining_amount"]) == Decimal(records[0]["remaining_amount"])
    text = json.dumps(partner_events, ensure_ascii=False)
    assert consented not in text and "张小明" not in text and "6222020200112233445" not in text


async def test_an_event_delivered_twice_has_one_effect_and_a_poison_event_is_dead_lettered(cluster, db_e2e):
    """Produce straight to intake's topic: a duplicate, a poison payload, then a good event after it."""
    template = application()
    first = _submitted_event(template)
    poison = Envelope(
        source="/assistance/intake",
        type=ApplicationSubmitted.event_type,
        subject=first.subject,
        data={"case_id": first.subject, "unexpected": True},
    )
    after = _submitted_event(application())
    producer = AIOKafkaProducer(bootstrap_servers=cluster.kafka, enable_idempotence=True, acks="all")
    await producer.start()
    try:
        for env in (first, first, poison, after):
            await producer.send_and_wait(cluster.topic("intake"), env.to_bytes(), key=env.subject.encode())
    finally:
        await producer.stop()

    async def assessed(case_id: str):
        return await db_e2e.fetchval(
            "SELECT count(*) FROM assessment.assessments WHERE case_id = $1", case_id
        )

    await eventually(lambda: assessed(after.subject), timeout=60, what="the event after the poison one")
    assert await assessed(first.subject) == 1
    assert await db_e2e.fetchval("SELECT count(*) FROM assessment.inbox WHERE event_id = $1", first.id) == 1
    # The poison event shares the first one's key (partition), the later event may not: wait for its retries.
    dead = await eventually(
        lambda: db_e2e.fetchrow("SELECT * FROM assessment.dead_letter WHERE event_id = $1", poison.id),
        timeout=60,
        what="the poison event's dead letter",
    )
    assert "invalid payload" in dead["error"]

    dlq = AIOKafkaConsumer(
        f"{cluster.topic_prefix}.assessment.dlq.v1",
        bootstrap_servers=cluster.kafka,
        group_id=f"ops-{uuid.uuid4().hex[:6]}",
        auto_offset_reset="earliest",
    )
    await dlq.start()
    try:
        found = None
        for _ in range(40):
            for msgs in (await dlq.getmany(timeout_ms=500)).values():
                for m in msgs:
                    if json.loads(m.value)["id"] == poison.id:
                        found = {k: v.decode() for k, v in m.headers}
            if found:
                break
    finally:
        await dlq.stop()
    assert found is not None and "invalid payload" in found["dlq_error"]
    assert found["dlq_source_topic"] == cluster.topic("intake")


def _submitted_event(body: dict) -> Envelope:
    from datetime import UTC, datetime

    case_id = str(uuid.uuid4())
    payload = ApplicationSubmitted(
        case_id=case_id,
        case_no=f"LS-test-{case_id[:8]}",
        revision=1,
        channel="walk_in",
        referring_system=None,
        county_code=body["address"]["county_code"],
        township_code=body["address"]["township_code"],
        category=body["category"],
        subtype=body["subtype"],
        incident_date=body["incident"]["occurred_on"],
        incident_ongoing=False,
        household=[{"relation": m["relation"], "age": 40} for m in body["household"]],
        persons_helped=body["persons_helped"],
        requested_months=None,
        annual_household_income=body["annual_household_income"],
        property=body["property"],
        medical=body["medical"],
        education=None,
        consents=body["consents"],
        payee=body["payee"],
        submitted_at=datetime.now(UTC),
    )
    return Envelope.wrap(payload, source="/assistance/intake", subject=case_id)
