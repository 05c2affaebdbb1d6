"""Nothing lost, nothing doubled: the distributed system under faults, on its own real Kafka and PostgreSQL.

Each test streams cases through the five service processes while something fails — a service is
SIGKILLed, the broker stops, PostgreSQL is killed — then compares counts across all five databases and
the partner topic: every case reaches its final state with exactly one assessment, one decision, one
payment instruction and one needs record.
"""

from __future__ import annotations

import asyncio
import json
import shutil
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass

import asyncpg
import httpx
import pytest
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer

from tests.conftest import ROOT, _plain, create_database
from tests.e2e.conftest import Cluster, free_port, open_cluster
from tests.factories import application, eventually, review, staff_client

pytestmark = [pytest.mark.asyncio(loop_scope="session"), pytest.mark.e2e, pytest.mark.kafka]

CASES = 12


@dataclass
class Infra:
    pg_port: int
    pg_data: str
    pg_url: str
    kafka_port: int
    kafka_data: str
    kafka: str


def _free_pair() -> int:
    """A port whose port + 100 is free too (where the Kafka controller listens)."""
    import socket

    while True:
        port = free_port()
        with socket.socket() as s:
            try:
                s.bind(("127.0.0.1", port + 100))
                return port
            except OSError:
                continue


@pytest.fixture(scope="module")
async def infra() -> AsyncIterator[Infra]:
    from scripts import kafka, pg

    pg_port, kafka_port = free_port(), _free_pair()
    pg_data, kafka_data = f".run/fault-pg-{pg_port}", f".run/fault-kafka-{kafka_port}"
    pg_url = await asyncio.to_thread(pg.start, pg_port, pg_data)
    bootstrap = await asyncio.to_thread(kafka.start, kafka_port, kafka_data)
    try:
        yield Infra(pg_port, pg_data, pg_url, kafka_port, kafka_data, bootstrap)
    finally:
        await asyncio.to_thread(kafka.stop, kafka_data)
        await asyncio.to_thread(pg.stop, pg_data)
        shutil.rmtree(ROOT / kafka_data, ignore_errors=True)
        shutil.rmtree(ROOT / pg_data, ignore_errors=True)


async def _retrying(
    call: Callable[[], Awaitable[httpx.Response]],
    ok: set[int],
    timeout: float = 90,  # noqa: ASYNC109 - a polling deadline
) -> httpx.Response:
    """Call until it answers with an accepted status: outages make the caller retry (idempotently)."""
    deadline = asyncio.get_running_loop().time() + timeout
    while True:
        try:
            response = await call()
            if response.status_code in ok:
                return response
        except httpx.HTTPError:
            pass
        if asyncio.get_running_loop().time() > deadline:
            raise AssertionError("the system did not recover in time")
        await asyncio.sleep(0.3)


async def _stream(cluster: Cluster, fault: Callable[[int], Awaitable[None]]) -> list[str]:
    """Submit and approve CASES cases; ``fault(i)`` runs before case i in both phases."""
    case_ids: list[str] = []
    async with staff_client(timeout=10) as client:
        for i in range(CASES):
            await fault(i)
            key = f"fault-{uuid.uuid4().hex}"
            body = application()
            created = await _retrying(
                lambda body=body, key=key: client.post(
                    cluster.urls["intake"] + "/intake/v1/applications",
                    json=body,
                    headers={"Idempotency-Key": key},
                ),
                {201},
            )
            case_ids.append(created.json()["id"])
        for i, case_id in enumerate(case_ids):
            await fault(CASES + i)
            await _retrying(
                lambda cid=case_id: client.get(f"{cluster.urls['approval']}/approval/v1/cases/{cid}"), {200}
            )
            await _retrying(  # R-FLOW-1: a second person reviews first
                lambda cid=case_id: review(
                    client, cid, cluster.urls["approval"], intake_base=cluster.urls["intake"]
                ),
                {200, 409},
            )
            await _retrying(
                lambda cid=case_id: client.post(
                    f"{cluster.urls['approval']}/approval/v1/cases/{cid}/decision",
                    json={
                        "decision": "approved",
                        "confirm_extended_duration": True,
                        "actor": "approver",
                        "reasons": "ok",
                    },
                ),
                {200, 409},
            )
    return case_ids


async def _assert_consistent(cluster: Cluster, case_ids: list[str]) -> None:
    conn = await asyncpg.connect(_plain(cluster.database_url))
    try:

        async def settled():
            counts = await conn.fetchrow(
                """SELECT
                     (SELECT count(*) FROM intake.applications WHERE id::text = ANY($1)) AS applications,
                     (SELECT count(*) FROM assessment.assessments WHERE case_id::text = ANY($1))
                       AS assessments,
                     (SELECT count(*) FROM approval.decisions WHERE case_id::text = ANY($1)
                       AND step = 'approval') AS decisions,
                     (SELECT count(*) FROM disbursement.payment_instructions WHERE case_id::text = ANY($1))
                       AS payments,
                     (SELECT count(*) FROM referral.needs_records WHERE case_id::text = ANY($1)) AS records,
                     (SELECT count(*) FROM intake.outbox WHERE published_at IS NULL)
                     + (SELECT count(*) FROM assessment.outbox WHERE published_at IS NULL)
                     + (SELECT count(*) FROM approval.outbox WHERE published_at IS NULL)
                     + (SELECT count(*) FROM disbursement.outbox WHERE published_at IS NULL)
                     + (SELECT count(*) FROM referral.outbox WHERE published_at IS NULL) AS unpublished""",
                case_ids,
            )
            expected = {
                "applications": len(case_ids),
                "assessments": len(case_ids),
                "decisions": len(case_ids),
                "payments": len(case_ids),
                "records": len(case_ids),
                "unpublished": 0,
            }
            return dict(counts) if dict(counts) == expected else None

        try:
            await eventually(settled, timeout=120, interval=0.5, what="every case to reach its final state")
        except AssertionError:
            raise AssertionError(
                f"counts never settled: {dict(await conn.fetchrow('SELECT 1 AS x'))}"
            ) from None
        per_case = await conn.fetch(
            "SELECT case_id::text, count(*) AS n FROM disbursement.payment_instructions "
            "WHERE case_id::text = ANY($1) GROUP BY case_id HAVING count(*) <> 1",
            case_ids,
        )
        assert per_case == [], "a case was paid more or less than once"
        dead = await conn.fetchval(
            "SELECT (SELECT count(*) FROM assessment.dead_letter)"
            " + (SELECT count(*) FROM approval.dead_letter)"
            " + (SELECT count(*) FROM disbursement.dead_letter) + (SELECT count(*) FROM referral.dead_letter)"
        )
        assert dead == 0, "an outage must never dead-letter an event"
        record_ids = {
            r["id"]
            for r in await conn.fetch(
                "SELECT id::text FROM referral.needs_records WHERE case_id::text = ANY($1)", case_ids
            )
        }
    finally:
        await conn.close()
    consumer = AIOKafkaConsumer(
        cluster.topic("referral.partner"),
        bootstrap_servers=cluster.kafka,
        group_id=f"audit-{uuid.uuid4().hex[:6]}",
        auto_offset_reset="earliest",
    )
    await consumer.start()
    seen: set[str] = set()
    try:
        for _ in range(60):
            for msgs in (await consumer.getmany(timeout_ms=500)).values():
                seen |= {
                    json.loads(m.value)["data"]["referral_id"]
                    for m in msgs
                    if json.loads(m.value)["type"].endswith("needs-record-published.v1")
                }
            if record_ids <= seen:
                break
    finally:
        await consumer.stop()
    assert record_ids <= seen, "a committed needs record never reached the partner topic"


async def _with_fault(
    infra: Infra, label: str, at: tuple[int, ...], fault: Callable[[Cluster], Awaitable[None]]
) -> None:
    """Stream cases through a fresh cluster, injecting ``fault`` before the cases numbered ``at``."""
    async with open_cluster(infra.pg_url, infra.kafka, label=label) as cluster:

        async def maybe(i: int) -> None:
            if i in at:
                await fault(cluster)

        case_ids = await _stream(cluster, maybe)
        await _assert_consistent(cluster, case_ids)


async def test_a_service_killed_mid_stream_loses_and_doubles_nothing(infra):
    async def kill_consumers(cluster: Cluster) -> None:
        for name in ("assessment", "referral", "disbursement"):
            cluster.kill(name)
        await asyncio.sleep(1)
        for name in ("assessment", "referral", "disbursement"):
            cluster.start(name)

    await _with_fault(infra, "kill", (3, CASES + 4), kill_consumers)


async def test_the_broker_stopped_and_restarted_mid_stream(infra):
    from scripts import kafka

    async def restart_broker(cluster: Cluster) -> None:
        await asyncio.to_thread(kafka.stop, infra.kafka_data)
        await asyncio.sleep(3)
        await asyncio.to_thread(kafka.start, infra.kafka_port, infra.kafka_data)

    await _with_fault(infra, "broker", (4, CASES + 3), restart_broker)


async def test_postgresql_killed_and_restarted_mid_stream(infra):
    from scripts import pg

    async def restart_database(cluster: Cluster) -> None:
        await asyncio.to_thread(pg.kill, infra.pg_data)
        await asyncio.sleep(2)
        await asyncio.to_thread(pg.start, infra.pg_port, infra.pg_data)

    await _with_fault(infra, "pgkill", (5, CASES + 5), restart_database)


async def test_a_consumer_crashing_after_its_commit_but_before_the_offset_commit_applies_once(infra):
    """Apply an event, die before committing the offset; the redelivered event is recognised by the inbox."""
    import services.assessment as assessment
    from shared.bus import KafkaBus
    from shared.migrations import upgrade
    from shared.runtime import Runtime
    from tests.e2e.test_distributed_flow import _submitted_event

    database_url = await create_database(infra.pg_url, prefix="crash")
    await asyncio.to_thread(
        upgrade, assessment.MODULE.migrations, url=database_url, service="assessment", schema="assessment"
    )
    prefix = f"crash{uuid.uuid4().hex[:8]}"
    settings = assessment.MODULE.settings_cls(
        database_url=database_url, bus="kafka", topic_prefix=prefix, kafka_bootstrap_servers=infra.kafka
    )
    bus = KafkaBus(settings)
    runtime = Runtime(module=assessment.MODULE, settings=settings, bus=bus)
    await bus.start(runtime.topics_used())
    await assessment.MODULE.on_start(runtime)
    event = _submitted_event(application())
    producer = AIOKafkaProducer(bootstrap_servers=infra.kafka, enable_idempotence=True, acks="all")
    await producer.start()
    await producer.send_and_wait(settings.topic("intake"), event.to_bytes(), key=event.subject.encode())
    await producer.stop()
    worker = runtime.consumer()
    try:
        for attempt in range(2):
            subscription = bus.subscribe(settings.group_id, [settings.topic("intake")])
            await subscription.start()
            messages: list = []
            for _ in range(40):
                messages = [m for m in await subscription.fetch(0.5) if json.loads(m.value)["id"] == event.id]
                if messages:
                    break
            assert messages, f"delivery {attempt + 1} did not arrive"
            await worker.process(messages[0])
            await subscription.stop()  # the crash: the offset is never committed
        conn = await asyncpg.connect(_plain(database_url))
        try:
            assert (
                await conn.fetchval(
                    "SELECT count(*) FROM assessment.assessments WHERE case_id = $1", event.subject
                )
                == 1
            )
            # one CaseAssessed for the case (the start also announced the policy coverage)
            assert (
                await conn.fetchval("SELECT count(*) FROM assessment.outbox WHERE key = $1", event.subject)
                == 1
            )
        finally:
            await conn.close()
    finally:
        await runtime.close()
        await bus.stop()
