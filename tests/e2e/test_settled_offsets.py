"""A Kafka consumer does not commit an offset for every fetched batch: it holds the offsets of what it
processed and commits them with an explicit commit, after at most ``SETTLE_SECONDS``, or when it stops.
Held messages count as processed in the lag; a member that takes the partition over after a crash
re-reads at most what was held, and the inbox turns each into a no-op."""

from __future__ import annotations

import asyncio
import uuid

import pytest
from aiokafka import AIOKafkaProducer, TopicPartition

from shared.bus import SETTLE_SECONDS, KafkaBus
from shared.settings import ServiceSettings

pytestmark = [pytest.mark.asyncio(loop_scope="session"), pytest.mark.e2e, pytest.mark.kafka]


async def _publish(bootstrap: str, topic: str, count: int) -> None:
    producer = AIOKafkaProducer(bootstrap_servers=bootstrap, enable_idempotence=True, acks="all")
    await producer.start()
    try:
        for n in range(count):
            await producer.send_and_wait(
                topic, f"m{n}".encode(), key=b"k", headers=[("ce_type", b"ignored.v1")]
            )
    finally:
        await producer.stop()


async def _fetch(subscription, count: int) -> list:  # type: ignore[no-untyped-def]
    got: list = []
    for _ in range(60):
        got += await subscription.fetch(0.5)
        if len(got) >= count:
            return got
    raise AssertionError(f"{len(got)} of {count} messages arrived")


async def test_settled_offsets_are_held_then_committed_in_time_and_at_stop(kafka_bootstrap: str) -> None:
    topic, group = f"settle-{uuid.uuid4().hex[:8]}", f"g-{uuid.uuid4().hex[:8]}"
    settings = ServiceSettings(bus="kafka", kafka_bootstrap_servers=kafka_bootstrap)
    bus = KafkaBus(settings)
    await bus.start([topic])
    await _publish(kafka_bootstrap, topic, 2)
    first = bus.subscribe(group, [topic])
    await first.start()
    try:
        messages = await _fetch(first, 2)
        await first.settle([messages[-1]])
        tp = TopicPartition(topic, messages[-1].partition)  # one key: one partition
        assert await first.consumer.committed(tp) is None  # held, not committed
        assert (await first.lag())[(topic, tp.partition)] == 0  # but not waiting either
        await asyncio.sleep(SETTLE_SECONDS + 0.1)
        await first.settle_due()
        assert await first.consumer.committed(tp) == 2
        await _publish(kafka_bootstrap, topic, 1)
        third = await _fetch(first, 1)
        await first.settle([third[-1]])
        assert await first.consumer.committed(tp) == 2
    finally:
        await first.stop()  # commits what it held
    second = bus.subscribe(group, [topic])
    await second.start()
    try:
        assert await second.consumer.committed(tp) == 3
    finally:
        await second.stop()
        await bus.stop()
