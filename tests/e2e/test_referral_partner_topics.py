"""Per-partner Kafka topics end to end over the real broker (R-CHA-2): a partner registered with
``kafka_topic: own`` gets its topic ``<prefix>.referral.partner.<partner_id>.v1`` created at registration;
a consumer group reading only that topic sees its own offers and withdrawals and nothing of another
partner's; nothing addressed to it goes to the shared partner topic; partner answers are published on
referral's own topic for oversight (R-CHA-3)."""

from __future__ import annotations

import json
import uuid

import httpx
import pytest
from aiokafka import AIOKafkaConsumer
from aiokafka.admin import AIOKafkaAdminClient

from tests.e2e.conftest import approved_over_http
from tests.factories import address, application, eventually, partner_body, staff_client

pytestmark = [pytest.mark.asyncio(loop_scope="session"), pytest.mark.e2e, pytest.mark.kafka]
TOWNSHIPS = ("140321102", "140321103")


def auth(partner: dict) -> dict:
    return {"Authorization": f"Bearer {partner['api_key']}"}


async def _json(client: httpx.AsyncClient, url: str, **kw):
    r = await client.get(url, **kw)
    return r.json() if r.status_code == 200 else None


async def decided(client: httpx.AsyncClient, urls: dict[str, str], township: str) -> str:
    return await approved_over_http(client, urls, application(address=address(township[:6], township)))


class TopicReader:
    """One consumer group on one topic, keeping every event it reads (no filtering: what it can read)."""

    def __init__(self, kafka: str, topic: str) -> None:
        self.events: list[dict] = []
        self.keys: list[str | None] = []
        self.consumer = AIOKafkaConsumer(
            topic,
            bootstrap_servers=kafka,
            group_id=f"partner-{uuid.uuid4().hex[:8]}",
            auto_offset_reset="earliest",
            enable_auto_commit=False,
            metadata_max_age_ms=2000,
        )

    async def poll(self) -> list[dict]:
        for msgs in (await self.consumer.getmany(timeout_ms=300)).values():
            for m in msgs:
                self.events.append(json.loads(m.value))
                self.keys.append(m.key.decode() if m.key else None)
        return self.events

    def of_type(self, suffix: str) -> list[dict]:
        return [e for e in self.events if e["type"].endswith(suffix)]


async def test_each_partner_reads_only_its_own_topic(cluster):
    urls, base = cluster.urls, cluster.urls["referral"] + "/referral/v1"
    registered: list[dict] = []
    async with staff_client(timeout=10) as client:
        readers: list[TopicReader] = []
        try:
            for township in TOWNSHIPS:
                r = await client.post(base + "/partners", json=partner_body(service_areas=[township]))
                assert r.status_code == 201, r.text
                registered.append(r.json())
            one, two = registered
            own_topics = [cluster.topic(f"referral.partner.{p['id']}") for p in registered]

            # the own topics exist as soon as the partners are registered (before anyone reads or writes them)
            admin = AIOKafkaAdminClient(bootstrap_servers=cluster.kafka)
            await admin.start()
            try:

                async def listed():  # topic creation reaches every broker's metadata shortly after
                    return set(own_topics) <= set(await admin.list_topics())

                await eventually(listed, timeout=10, what="the partners' own topics to be listed")
                [described] = await admin.describe_topics([own_topics[0]])
                assert (
                    len(described["partitions"]) == 3
                )  # the configured TOPIC_PARTITIONS, not a broker default
            finally:
                await admin.close()

            readers = [TopicReader(cluster.kafka, t) for t in own_topics]
            shared = TopicReader(cluster.kafka, cluster.topic("referral.partner"))
            internal = TopicReader(cluster.kafka, cluster.topic("referral"))
            readers += [shared, internal]
            for reader in readers:
                await reader.consumer.start()
            mine, theirs = readers[0], readers[1]

            case_one = await decided(client, urls, TOWNSHIPS[0])
            case_two = await decided(client, urls, TOWNSHIPS[1])

            async def offers():
                await mine.poll()
                await theirs.poll()
                got = mine.of_type("referral-offered.v1"), theirs.of_type("referral-offered.v1")
                return got if all(got) else None

            [offer_one], [offer_two] = await eventually(
                offers, timeout=60, what="each offer on its own topic"
            )
            assert (
                offer_one["data"]["partner_id"] == one["id"] and offer_two["data"]["partner_id"] == two["id"]
            )
            assert offer_one["data"]["case_ref"] != offer_two["data"]["case_ref"]
            assert set(mine.keys) == {one["id"]} and set(theirs.keys) == {two["id"]}
            # and the same offer is what the REST API and the feed show
            feed = await _json(client, f"{base}/partners/{one['id']}/feed", headers=auth(one))
            assert [e["id"] for e in feed["items"]] == [offer_one["id"]]

            # the partner answers: the answer is published on referral's own topic for oversight
            accepted = await client.post(
                f"{base}/partners/{one['id']}/referrals/{offer_one['data']['task_id']}/accept",
                headers=auth(one),
            )
            assert accepted.status_code == 200, accepted.text

            async def answer():
                await internal.poll()
                return [
                    e
                    for e in internal.of_type("referral-accepted.v1")
                    if e["data"]["task_id"] == offer_one["data"]["task_id"]
                ]

            [ack] = await eventually(answer, timeout=60, what="the accepted event on the referral topic")
            assert ack["data"]["partner_id"] == one["id"] and ack["data"]["case_id"] == case_one

            # consent withdrawn: the withdrawal goes to the same own topic, and only there
            withdrawn = await client.post(
                f"{urls['intake']}/intake/v1/applications/{case_one}/consents/share_with_charities/withdrawal"
            )
            assert withdrawn.status_code == 200, withdrawn.text

            async def withdrawal():
                await mine.poll()
                return mine.of_type("needs-record-withdrawn.v1")

            [gone] = await eventually(
                withdrawal, timeout=60, what="the withdrawal on the partner's own topic"
            )
            assert gone["data"]["partner_id"] == one["id"]
            assert gone["data"]["referral_id"] == offer_one["data"]["referral_id"]

            # the shared topic still carries the announcements (no partner), for the bureau's own consumers
            async def announced():
                await shared.poll()
                return {
                    e["type"].rsplit(".", 2)[-2]
                    for e in shared.events
                    if e["data"].get("case_ref") == offer_one["data"]["case_ref"]
                } >= {"needs-record-published", "needs-record-withdrawn"}

            await eventually(announced, timeout=60, what="the announcements on the shared topic")
            # each reader saw only its own partner's events; the shared topic carried none of them
            await theirs.poll()
            assert {e["data"]["partner_id"] for e in mine.events} == {one["id"]}
            assert {e["data"]["partner_id"] for e in theirs.events} == {two["id"]}
            assert offer_one["data"]["case_ref"] not in json.dumps(theirs.events)
            assert not [e for e in shared.events if e["data"].get("partner_id") in (one["id"], two["id"])]
            assert case_two not in json.dumps(mine.events + theirs.events)
        finally:
            for reader in readers:
                await reader.consumer.stop()
            for partner in registered:
                await client.patch(f"{base}/partners/{partner['id']}", json={"status": "suspended"})
