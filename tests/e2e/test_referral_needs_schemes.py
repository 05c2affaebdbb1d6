"""Issue 18 end to end over the real Kafka broker, five services as processes (R-AID-1, R-CHA-1, R-CHA-2):
a fire case whose household consented states its needs at intake, and its housing-repair need left after
the decision is offered — on the partner's own Kafka topic — through the best-fitting charity project, not
the first registered partner's; a medical case is referred to 医疗救助 as a task with a due date, and the
scheme's outcome is published on referral's topic and shown on the case's timeline."""

from __future__ import annotations

import json
import uuid
from datetime import date, timedelta
from decimal import Decimal

import httpx
import pytest
from aiokafka import AIOKafkaConsumer

from shared import clock
from tests.e2e.conftest import approved_over_http
from tests.factories import (
    address,
    application,
    emergency_application,
    eventually,
    partner_body,
    staff_client,
)

pytestmark = [pytest.mark.asyncio(loop_scope="session"), pytest.mark.e2e, pytest.mark.kafka]
COUNTY = "140322"


def key(partner: dict) -> dict:
    return {"Authorization": f"Bearer {partner['api_key']}"}


async def _json(client: httpx.AsyncClient, url: str, **kw):
    r = await client.get(url, **kw)
    return r.json() if r.status_code == 200 else None


class Topic:
    """A consumer of one topic from its beginning, keeping every event."""

    def __init__(self, kafka: str, topic: str) -> None:
        self.seen: list[dict] = []
        self.consumer = AIOKafkaConsumer(
            topic,
            bootstrap_servers=kafka,
            group_id=f"e2e-{uuid.uuid4().hex[:6]}",
            auto_offset_reset="earliest",
            enable_auto_commit=False,
        )

    async def poll(self) -> list[dict]:
        for msgs in (await self.consumer.getmany(timeout_ms=300)).values():
            self.seen.extend(json.loads(m.value) for m in msgs)
        return self.seen

    async def of_type(self, suffix: str, **data: str) -> list[dict]:
        await self.poll()
        return [
            e
            for e in self.seen
            if e["type"].endswith(suffix) and all(e["data"].get(k) == v for k, v in data.items())
        ]


async def _project(client: httpx.AsyncClient, base: str, partner: dict, **overrides) -> dict:
    today = clock.local_today()
    body = {
        "name": "灾后安居",
        "need_types": ["housing_repair", "living"],
        "areas": [COUNTY],
        "capacity": 10,
        "budget": "200000.00",
        "starts_on": (today - timedelta(days=10)).isoformat(),
        "ends_on": (today + timedelta(days=90)).isoformat(),
    } | overrides
    r = await client.post(f"{base}/partners/{partner['id']}/projects", json=body, headers=key(partner))
    assert r.status_code == 201, r.text
    return r.json()


async def test_a_fire_cases_need_is_offered_to_the_best_fitting_project_over_kafka(cluster):
    urls, base = cluster.urls, cluster.urls["referral"] + "/referral/v1"
    township = f"{COUNTY}103"
    made: list[dict] = []
    async with staff_client(timeout=10) as client:
        try:
            for name in ("先注册的基金会", "乡镇社工站"):
                r = await client.post(
                    base + "/partners",
                    json=partner_body(
                        name=name, need_types=["housing_repair", "living"], service_areas=[COUNTY]
                    ),
                )
                assert r.status_code == 201, r.text
                made.append(r.json())
            first, second = made
            await _project(client, base, first, name="全县安居", budget="10000.00")  # budget short of 30000
            best = await _project(client, base, second, name="乡镇安居", areas=[township])
            own = Topic(cluster.kafka, cluster.topic(f"referral.partner.{second['id']}"))
            await own.consumer.start()
            try:
                body = emergency_application(
                    address=address(COUNTY, township),
                    needs=[
                        {"need_type": "living", "amount": "6000.00"},
                        {"need_type": "housing_repair", "amount": "30000.00"},
                        {"need_type": "legal"},
                    ],
                )
                case_id = await approved_over_http(client, urls, body)

                async def offered():
                    return await own.of_type("referral-offered.v1", need_type="housing_repair")

                [offer] = await eventually(offered, timeout=90, what="the housing offer on the partner topic")
                assert offer["data"]["project_id"] == best["id"]
                assert Decimal(offer["data"]["remaining_amount"]) == Decimal("30000.00")
                assert case_id not in json.dumps(offer)  # a pseudonymous reference only (R-CHA-2)

                accepted = await client.post(
                    f"{base}/partners/{second['id']}/referrals/{offer['data']['task_id']}/accept",
                    headers=key(second),
                )
                assert accepted.status_code == 200, accepted.text
                held = await _json(
                    client, f"{base}/partners/{second['id']}/projects/{best['id']}", headers=key(second)
                )
                assert held["places_taken"] == 1  # capacity taken on acceptance

                needs = await _json(client, f"{base}/cases/{case_id}/needs")
                assert {n["need_type"] for n in needs} >= {"housing_repair", "legal"}
            finally:
                await own.consumer.stop()
        finally:
            for partner in made:
                await client.patch(f"{base}/partners/{partner['id']}", json={"status": "suspended"})


async def test_a_medical_case_is_referred_to_medical_assistance_and_its_outcome_is_on_the_timeline(cluster):
    urls, base = cluster.urls, cluster.urls["referral"] + "/referral/v1"
    async with staff_client(timeout=10) as client:
        r = await client.post(
            base + "/partners",
            json=partner_body(
                name="盂县医疗保障局(医疗救助)",
                kind="government_scheme",
                scheme="medical_assistance",
                need_types=["medical"],
                service_areas=[COUNTY],
                uscc="11140322MB0000000K",
            ),
        )
        assert r.status_code == 201, r.text
        scheme = r.json()
        internal = Topic(cluster.kafka, cluster.topic("referral"))
        await internal.consumer.start()
        try:
            body = application(address=address(COUNTY, f"{COUNTY}104"))
            body["medical"] = {**body["medical"], "total_bills": "300000.00"}
            case_id = await approved_over_http(client, urls, body)

            async def known():
                needs = await _json(client, f"{base}/cases/{case_id}/needs")
                return needs or None

            await eventually(known, timeout=90, what="referral to learn the decided case")
            created = await client.post(
                f"{base}/cases/{case_id}/scheme-referrals",
                json={"partner_id": scheme["id"], "need_type": "medical"},
            )
            assert created.status_code == 201, created.text
            task = created.json()
            assert date.fromisoformat(task["due_on"]) > clock.local_today()

            listed = await _json(
                client, f"{base}/partners/{scheme['id']}/scheme-referrals", headers=key(scheme)
            )
            assert [t["id"] for t in listed] == [task["id"]]
            outcome = f"{base}/partners/{scheme['id']}/scheme-referrals/{task['id']}/outcome"
            for step in ({"outcome": "accepted"}, {"outcome": "granted", "amount": "8000.00"}):
                answered = await client.post(outcome, json=step, headers=key(scheme))
                assert answered.status_code == 200, answered.text

            async def published():
                got = await internal.of_type("scheme-outcome-recorded.v1", case_id=case_id)
                return got if len(got) == 2 else None

            events = await eventually(published, timeout=60, what="the outcomes on referral's topic")
            assert [e["data"]["outcome"] for e in events] == ["accepted", "granted"]
            assert events[-1]["data"]["amount"] == "8000.00" and events[-1]["subject"] == case_id
            assert await internal.of_type("scheme-referral-created.v1", case_id=case_id)

            timeline = await _json(client, f"{base}/cases/{case_id}/timeline")
            steps = [(e["kind"], e["status"]) for e in timeline if e["kind"].startswith("scheme")]
            assert steps == [("scheme_referral", "open"), ("scheme_outcome", "granted")]

            async def on_intakes_timeline():  # intake consumed them from Kafka (R-AID-1, R-OVS-2)
                url = f"{urls['intake']}/intake/v1/applications/{case_id}/timeline"
                entries = await _json(client, url) or []
                seen = [
                    (e["kind"], e["status"], e["amount"]) for e in entries if e["kind"].startswith("scheme")
                ]
                return seen if len(seen) == 3 else None

            assert await eventually(on_intakes_timeline, timeout=60, what="intake's timeline") == [
                ("scheme_referral", "open", task["requested_amount"]),
                ("scheme_outcome", "accepted", None),
                ("scheme_outcome", "granted", "8000.00"),
            ]
        finally:
            await internal.consumer.stop()
            await client.patch(f"{base}/partners/{scheme['id']}", json={"status": "suspended"})
