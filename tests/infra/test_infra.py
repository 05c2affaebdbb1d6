"""The infrastructure scripts start real servers that keep what they acknowledged across a SIGKILL.

scripts/kafka.py: a real Apache Kafka 4 (KRaft, broker+controller) on free ports and a temporary data
folder; an idempotent acks=all producer, a consumer group committing its offset; the broker is SIGKILLed
and restarted on the same data: the messages and the group's committed offset are still there.
scripts/pg.py: a real PostgreSQL; a committed row survives a SIGKILL of the postmaster and a restart.
A server that cannot start fails these tests (nothing is skipped).
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import socket
import sys
import uuid
from collections.abc import Coroutine
from pathlib import Path
from typing import Any, TypeVar

import pytest

ROOT = Path(__file__).resolve().parents[2]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from scripts import kafka, pg  # noqa: E402

T = TypeVar("T")


def run(coro: Coroutine[Any, Any, T], timeout: float = 120) -> T:
    """asyncio.run in a worker thread: independent of any event loop pytest-asyncio keeps in this thread."""
    with concurrent.futures.ThreadPoolExecutor(1) as pool:
        return pool.submit(asyncio.run, asyncio.wait_for(coro, timeout)).result()


def free_ports(count: int) -> list[int]:
    """``count`` distinct ports free on 127.0.0.1 right now (held open together while choosing)."""
    sockets = []
    try:
        for _ in range(count):
            s = socket.socket()
            s.bind(("127.0.0.1", 0))
            sockets.append(s)
        return [s.getsockname()[1] for s in sockets]
    finally:
        for s in sockets:
            s.close()


# ------------------------------------------------------------------------------------------------ Kafka


async def produce(bootstrap: str, topic: str, values: list[bytes]) -> list[tuple[int, int]]:
    from aiokafka import AIOKafkaProducer

    producer = AIOKafkaProducer(
        bootstrap_servers=bootstrap, enable_idempotence=True, acks="all", request_timeout_ms=30000
    )
    await producer.start()
    try:
        sent = [await producer.send_and_wait(topic, value, key=b"case-1") for value in values]
    finally:
        await producer.stop()
    return [(m.partition, m.offset) for m in sent]


async def consume_and_commit(
    bootstrap: str, topic: str, group: str, expected: int
) -> list[tuple[int, int, bytes]]:
    """Read ``expected`` messages as member of ``group`` and commit; returns (partition, offset, value)."""
    from aiokafka import AIOKafkaConsumer

    consumer = AIOKafkaConsumer(
        topic,
        bootstrap_servers=bootstrap,
        group_id=group,
        enable_auto_commit=False,
        auto_offset_reset="earliest",
    )
    await consumer.start()
    try:
        seen: list[tuple[int, int, bytes]] = []
        while len(seen) < expected:
            batches = await consumer.getmany(timeout_ms=1000)
            seen += [(r.partition, r.offset, r.value) for records in batches.values() for r in records]
        await consumer.commit()
        return seen
    finally:
        await consumer.stop()


async def committed(bootstrap: str, topic: str, group: str, partition: int) -> int | None:
    from aiokafka import AIOKafkaConsumer, TopicPartition

    consumer = AIOKafkaConsumer(bootstrap_servers=bootstrap, group_id=group, enable_auto_commit=False)
    await consumer.start()
    try:
        for _ in range(60):  # the group coordinator may still be loading its offsets after a restart
            offset = await consumer.committed(TopicPartition(topic, partition))
            if offset is not None:
                return offset
            await asyncio.sleep(0.5)
        return None
    finally:
        await consumer.stop()


async def read_all(bootstrap: str, topic: str, partition: int) -> list[bytes]:
    from aiokafka import AIOKafkaConsumer, TopicPartition

    consumer = AIOKafkaConsumer(bootstrap_servers=bootstrap, enable_auto_commit=False)
    await consumer.start()
    try:
        tp = TopicPartition(topic, partition)
        consumer.assign([tp])
        await consumer.seek_to_beginning(tp)
        end = (await consumer.end_offsets([tp]))[tp]
        values = []
        while await consumer.position(tp) < end:
            batches = await consumer.getmany(tp, timeout_ms=1000)
            values += [r.value for r in batches.get(tp, [])]
        return values
    finally:
        await consumer.stop()


@pytest.mark.kafka
def test_kafka_keeps_messages_and_committed_offsets_across_a_sigkill(tmp_path):
    port, controller_port = free_ports(2)
    data = tmp_path / "kafka"
    topic, group = f"infra.{uuid.uuid4().hex[:8]}", f"g-{uuid.uuid4().hex[:8]}"
    bootstrap = kafka.start(port, data, controller_port=controller_port)
    try:
        assert bootstrap == f"127.0.0.1:{port}"
        assert kafka.status(data)["ready"]
        assert kafka.start(port, data, controller_port=controller_port) == bootstrap  # idempotent

        [(partition, first)] = run(produce(bootstrap, topic, [b"one"]))
        seen = run(consume_and_commit(bootstrap, topic, group, expected=1))
        assert seen == [(partition, first, b"one")]
        assert run(committed(bootstrap, topic, group, partition)) == first + 1
        [(same_partition, second)] = run(produce(bootstrap, topic, [b"two"]))  # same key, same partition
        assert (same_partition, second) == (partition, first + 1)

        assert kafka.kill(data)
        assert not kafka.status(data)["running"]

        assert kafka.start(port, data, controller_port=controller_port) == bootstrap  # no re-format
        assert run(read_all(bootstrap, topic, partition)) == [b"one", b"two"]
        assert run(committed(bootstrap, topic, group, partition)) == first + 1
        # the group resumes after its committed offset: only the message it had not committed
        assert run(consume_and_commit(bootstrap, topic, group, expected=1)) == [(partition, second, b"two")]
        assert run(committed(bootstrap, topic, group, partition)) == second + 1
    finally:
        kafka.stop(data)
    assert not kafka.status(data)["running"]


# ------------------------------------------------------------------------------------------- PostgreSQL


def dsn(url: str) -> str:
    return url.replace("postgresql+asyncpg://", "postgresql://", 1)


async def write_row(url: str, value: str) -> None:
    import asyncpg

    conn = await asyncpg.connect(dsn(url))
    try:
        await conn.execute(
            "CREATE TABLE IF NOT EXISTS infra_probe (id serial PRIMARY KEY, value text NOT NULL)"
        )
        async with conn.transaction():
            await conn.execute("INSERT INTO infra_probe (value) VALUES ($1)", value)
    finally:
        await conn.close()


async def read_rows(url: str) -> list[str]:
    import asyncpg

    conn = await asyncpg.connect(dsn(url))
    try:
        return [r["value"] for r in await conn.fetch("SELECT value FROM infra_probe ORDER BY id")]
    finally:
        await conn.close()


def test_postgresql_keeps_committed_rows_across_a_sigkill(tmp_path):
    [port] = free_ports(1)
    data = tmp_path / "pg"
    url = pg.start(port, data)
    try:
        assert url == f"postgresql+asyncpg://postgres@127.0.0.1:{port}/assistance"
        assert pg.start(port, data) == url  # idempotent
        assert (pg.bin_dir() / "pgbench").exists()
        run(write_row(url, "before the kill"))

        assert pg.kill(data)
        assert not pg.status(data)["running"]

        assert pg.start(port, data) == url  # crash recovery from the WAL, same cluster
        assert run(read_rows(url)) == ["before the kill"]
        run(write_row(url, "after the restart"))
        assert run(read_rows(url)) == ["before the kill", "after the restart"]
    finally:
        pg.stop(data)
    assert not pg.status(data)["running"]
