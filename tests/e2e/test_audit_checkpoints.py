"""Distributed mode: the services run as the runtime role and anchor their audit chains in Kafka
(issue 13 §2) — a signed checkpoint on the topic ``<prefix>.<service>.audit-checkpoints.v1``, kept forever,
which ``/audit/verify`` reads back."""

from __future__ import annotations

import json

import asyncpg
import httpx
from aiokafka import AIOKafkaConsumer, TopicPartition
from aiokafka.admin import AIOKafkaAdminClient
from aiokafka.admin.config_resource import ConfigResource, ConfigResourceType

from tests.conftest import _plain
from tests.factories import auth

AUDITOR = auth("e2e-auditor", "auditor")


async def _checkpoints(bootstrap: str, topic: str) -> list[dict]:
    consumer = AIOKafkaConsumer(
        bootstrap_servers=bootstrap, enable_auto_commit=False, auto_offset_reset="earliest"
    )
    await consumer.start()
    try:
        tp = TopicPartition(topic, 0)
        consumer.assign([tp])
        end = (await consumer.end_offsets([tp]))[tp]
        consumer.seek(tp, 0)
        found: list[dict] = []
        for _ in range(12):
            if len(found) >= end:
                break
            batch = await consumer.getmany(tp, timeout_ms=5000)
            found += [json.loads(m.value) for m in batch.get(tp, [])]
        return found
    finally:
        await consumer.stop()


async def test_a_checkpoint_goes_to_its_kafka_topic_with_long_retention_and_verify_holds_the_log_to_it(
    cluster,
):
    base = cluster.urls["approval"]
    async with httpx.AsyncClient(base_url=base, headers=AUDITOR, timeout=30) as client:
        assert (await client.get("/approval/v1/audit/entries")).status_code == 200
        made = await client.post("/approval/v1/audit/checkpoints")
        assert made.status_code == 201, made.text
        checkpoint = made.json()
        verdict = (await client.get("/approval/v1/audit/verify")).json()

    topic = f"{cluster.topic_prefix}.approval.audit-checkpoints.v1"
    on_topic = await _checkpoints(cluster.kafka, topic)
    assert checkpoint in on_topic and on_topic[-1]["count"] >= checkpoint["count"]
    admin = AIOKafkaAdminClient(bootstrap_servers=cluster.kafka)
    await admin.start()
    try:
        [described] = await admin.describe_configs([ConfigResource(ConfigResourceType.TOPIC, topic)])
        configs = {c[0]: c[1] for c in described.resources[0][4]}
        partitions = (await admin.describe_topics([topic]))[0]["partitions"]
    finally:
        await admin.close()
    assert configs["retention.ms"] == "-1" and len(partitions) == 1

    assert verdict["intact"] is True and verdict["problems"] == []
    assert verdict["checkpoint"]["last_id"] >= checkpoint["last_id"]

    conn = await asyncpg.connect(_plain(cluster.env["ASSISTANCE_DATABASE_URL"]))
    try:  # the services' own role: it appends and reads, never rewrites
        assert not await conn.fetchval("SELECT rolsuper FROM pg_roles WHERE rolname = current_user")
        assert not await conn.fetchval(
            "SELECT has_table_privilege('approval.audit_log', 'UPDATE, DELETE, TRUNCATE')"
        )
    finally:
        await conn.close()
