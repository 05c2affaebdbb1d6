"""End to end over the real Kafka broker (R-CHA): a decided, consented case reaches a partner's own Kafka
consumer, its signed webhook receiver on 127.0.0.1 and its pull feed; an unconsented case reaches none; a
withdrawal reaches every partner that got the record; a partner cannot read or answer another's referral;
a receiver that fails three times then recovers gets the event exactly once in effect."""

from __future__ import annotations

import json
import uuid

import httpx
import pytest
from aiokafka import AIOKafkaConsumer

from tests.e2e.conftest import approved_over_http
from tests.factories import (
    WebhookReceiver,
    address,
    application,
    eventually,
    partner_body,
    staff_client,
)

pytestmark = [pytest.mark.asyncio(loop_scope="session"), pytest.mark.e2e, pytest.mark.kafka]
TOWNSHIP = "140302004"
TUNING = {
    "REFERRAL_WEBHOOK_BACKOFF_SECONDS": "0.2",
    "REFERRAL_WEBHOOK_POLL_INTERVAL_SECONDS": "0.1",
    "REFERRAL_WEBHOOK_MAX_ATTEMPTS": "5",
    "REFERRAL_OFFER_SWEEP_INTERVAL_SECONDS": "0.2",
    "REFERRAL_WEBHOOK_ALLOW_LOOPBACK_HTTP": "true",  # the test receiver listens on http://127.0.0.1
}


@pytest.fixture(scope="module")
async def referral_tuned(cluster):
    """The cluster's referral process restarted with short webhook/sweep delays; restored afterwards."""
    original = cluster.env
    cluster.kill("referral")
    cluster.env = {**original, **TUNING}
    try:
        cluster.start("referral")
        await cluster.wait_ready("referral")
        yield cluster
    finally:
        cluster.kill("referral")
        cluster.env = original
        cluster.start("referral")
        await cluster.wait_ready("referral")


def auth(partner: dict) -> dict:
    return {"Authorization": f"Bearer {partner['api_key']}"}


async def _json(client: httpx.AsyncClient, url: str, **kw):
    r = await client.get(url, **kw)
    return r.json() if r.status_code == 200 else None


class PartnerConsumer:
    """A partner's own aiokafka consumer group on its own partner topic (the default, R-CHA-2), keeping what
    is addressed to it (everything on that topic should be)."""

    def __init__(self, kafka: str, topic: str, partner_id: str) -> None:
        self.partner_id, self.seen, self.keys = partner_id, [], []
        self.consumer = AIOKafkaConsumer(
            topic,
            bootstrap_servers=kafka,
            group_id=f"partner-{uuid.uuid4().hex[:6]}",
            auto_offset_reset="earliest",
            enable_auto_commit=False,
        )

    async def poll(self) -> list[dict]:
        for msgs in (await self.consumer.getmany(timeout_ms=300)).values():
            for m in msgs:
                event = json.loads(m.value)
                if event["data"].get("partner_id") == self.partner_id:
                    self.seen.append(event)
                    self.keys.append(m.key.decode() if m.key else None)
        return self.seen

    def of_type(self, suffix: str) -> list[dict]:
        return [e for e in self.seen if e["type"].endswith(suffix)]


async def test_partners_get_consented_records_by_kafka_webhook_and_feed_and_withdrawals_reach_all(
    referral_tuned,
):
    cluster = referral_tuned
    urls, base = cluster.urls, cluster.urls["referral"] + "/referral/v1"
    receiver = WebhookReceiver(fail_first=3)
    registered: list[dict] = []
    async with staff_client(timeout=10) as client:
        try:

            async def register(**kw) -> dict:
                r = await client.post(base + "/partners", json=partner_body(service_areas=[TOWNSHIP], **kw))
                assert r.status_code == 201, r.text
                registered.append(r.json())
                return r.json()

            first = await register(webhook_url=receiver.url)
            receiver.secret = first["webhook_secret"]
            second = await register()
            kafka_first = PartnerConsumer(
                cluster.kafka, cluster.topic(f"referral.partner.{first['id']}"), first["id"]
            )
            kafka_second = PartnerConsumer(
                cluster.kafka, cluster.topic(f"referral.partner.{second['id']}"), second["id"]
            )
            await kafka_first.consumer.start()
            await kafka_second.consumer.start()
            try:
                consented = await approved_over_http(
                    client, urls, application(address=address("140302", TOWNSHIP))
                )
                unconsented = await approved_over_http(
                    client,
                    urls,
                    application(
                        address=address("140302", TOWNSHIP),
                        consents={
                            "verify_economic_situation": True,
                            "share_with_charities": False,
                            "share_health_data": False,
                        },
                    ),
                )

                # 1. the consented case reaches the first partner three ways
                async def offered():
                    return [e for e in await kafka_first.poll() if e["type"].endswith("referral-offered.v1")]

                [offer] = await eventually(offered, timeout=60, what="the offer on the partner topic")
                assert kafka_first.keys[0] == first["id"]
                task_id, ref = offer["data"]["task_id"], offer["data"]["case_ref"]

                async def hooked():
                    return receiver.events("referral-offered.v1")

                [hook] = await eventually(hooked, timeout=60, what="the webhook to recover and deliver")
                assert hook["id"] == offer["id"] and hook["data"] == offer["data"]
                assert receiver.bad_signatures == 0 and len(receiver.requests) >= 4
                assert {r["headers"]["webhook-id"] for r in receiver.requests} == {offer["id"]}
                assert len(receiver.effects) == 1  # three failures, one recovery: once in effect

                feed = await _json(client, f"{base}/partners/{first['id']}/feed", headers=auth(first))
                assert [e["id"] for e in feed["items"]] == [offer["id"]]

                # 2. the unconsented case reaches no one
                assert await _json(client, f"{base}/cases/{unconsented}/needs-records") == []
                assert await _json(client, f"{base}/cases/{unconsented}/referrals") == []

                # 3. the other partner can neither read nor answer it
                own = f"{base}/partners/{first['id']}/referrals/{task_id}"
                theirs = f"{base}/partners/{second['id']}/referrals/{task_id}"
                for path in (own, theirs):
                    assert (await client.get(path, headers=auth(second))).status_code in (403, 404)
                    assert (await client.post(path + "/accept", headers=auth(second))).status_code in (
                        403,
                        404,
                    )
                assert (await client.get(own)).status_code == 401
                assert (
                    await client.get(f"{base}/partners/{second['id']}/feed", headers=auth(second))
                ).json()["items"] == []

                # 4. the first declines, so the second is offered it: both have received the record
                declined = await client.post(
                    own + "/decline", headers=auth(first), json={"reason": "no budget"}
                )
                assert declined.status_code == 200, declined.text

                async def second_offered():
                    await kafka_second.poll()
                    return kafka_second.of_type("referral-offered.v1")

                [offer2] = await eventually(second_offered, timeout=60, what="the offer to the next partner")
                assert offer2["data"]["case_ref"] == ref and kafka_second.keys[0] == second["id"]

                # 5. consent withdrawn: every partner that got the record is told, the feeds stop showing it
                withdrawn = await client.post(
                    f"{urls['intake']}/intake/v1/applications/{consented}/consents/"
                    "share_with_charities/withdrawal"
                )
                assert withdrawn.status_code == 200, withdrawn.text

                async def withdrawals():
                    await kafka_first.poll()
                    await kafka_second.poll()
                    got = (
                        kafka_first.of_type("needs-record-withdrawn.v1"),
                        kafka_second.of_type("needs-record-withdrawn.v1"),
                        receiver.events("needs-record-withdrawn.v1"),
                    )
                    return got if all(got) else None

                by_kafka_1, by_kafka_2, by_hook = await eventually(
                    withdrawals, timeout=60, what="the withdrawal to reach both partners"
                )
                assert (
                    by_kafka_1[0]["data"]["referral_id"]
                    == offer["data"]["referral_id"]
                    == by_hook[0]["data"]["referral_id"]
                    and by_kafka_2[0]["data"]["partner_id"] == second["id"]
                )
                for partner in (first, second):
                    items = (
                        await client.get(f"{base}/partners/{partner['id']}/feed", headers=auth(partner))
                    ).json()["items"]
                    assert [e["type"].rsplit(".", 2)[-2] for e in items] == ["needs-record-withdrawn"]
                kept = await client.get(
                    f"{base}/partners/{second['id']}/referrals/{offer2['data']['task_id']}",
                    headers=auth(second),
                )  # readable with its final status and none of the needs record (R-CHA-2)
                assert kept.status_code == 200 and kept.json()["record_withdrawn"] is True
                assert kept.json()["need_type"] is None and kept.json()["case_ref"] is None

                text = json.dumps(
                    [*kafka_first.seen, *kafka_second.seen, *receiver.effects.values()], ensure_ascii=False
                )
                assert consented not in text and unconsented not in text and "张小明" not in text
                assert "6222020200112233445" not in text and "13800000000" not in text
            finally:
                await kafka_first.consumer.stop()
                await kafka_second.consumer.stop()
        finally:
            for partner in registered:
                await client.patch(f"{base}/partners/{partner['id']}", json={"status": "suspended"})
            receiver.close()
