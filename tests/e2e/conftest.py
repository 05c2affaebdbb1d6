"""The distributed system: five service processes on the real Kafka broker and PostgreSQL."""

from __future__ import annotations

from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from datetime import UTC, datetime
from typing import Any

import httpx
import pytest
from aiokafka import AIOKafkaProducer

from scripts import cluster as harness
from scripts.cluster import Cluster, free_port
from shared.contracts.monitoring import LeadReported
from shared.events import Envelope
from tests.factories import DEV_KEY_DIR, eventually, resident_id, review

__all__ = [
    "MONITORING_PLATFORM",
    "Cluster",
    "approved_over_http",
    "arrived_in_approval",
    "free_port",
    "monitoring_lead",
    "open_cluster",
    "produce",
]

MONITORING_PLATFORM = "urn:cn:yangquan:low-income-monitoring"
"""The low-income population monitoring platform, as the source of the leads it publishes."""


def monitoring_lead(lead_ref: str, county: str, township: str, **fields: Any) -> Envelope:
    """A house fire the monitoring platform reports on its topic (LeadReported), as the platform wraps it;
    ``fields`` change the report (name, phone, address, description, ...)."""
    report = {
        "lead_ref": lead_ref,
        "source": "monitoring_platform",
        "township_code": township,
        "urgency": "emergency",
        "category": "emergency",
        "subtype": "fire_or_accident",
        "name": "赵铁柱",
        "id_number": resident_id(area=county),
        "phone": "13700001111",
        "address": "某村3号",
        "description": "监测预警: 房屋失火, 家庭收入骤降",
        "reported_at": datetime.now(UTC),
    } | fields
    return Envelope.wrap(LeadReported(**report), source=MONITORING_PLATFORM, subject=lead_ref)


async def produce(kafka: str, topic: str, records: Sequence[tuple[bytes, bytes]]) -> None:
    """Publish (key, value) records as another system would: its own idempotent producer, acks=all."""
    producer = AIOKafkaProducer(bootstrap_servers=kafka, enable_idempotence=True, acks="all")
    await producer.start()
    try:
        for key, value in records:
            await producer.send_and_wait(topic, value, key=key)
    finally:
        await producer.stop()


async def arrived_in_approval(
    client: httpx.AsyncClient, urls: dict[str, str], body: dict[str, Any]
) -> tuple[str, dict[str, Any]]:
    """An application submitted at intake's REST API, once approval has its case: its id and the case."""
    created = await client.post(urls["intake"] + "/intake/v1/applications", json=body)
    assert created.status_code == 201, created.text
    case_id = str(created.json()["id"])

    async def arrived() -> dict[str, Any] | None:
        r = await client.get(f"{urls['approval']}/approval/v1/cases/{case_id}")
        return dict(r.json()) if r.status_code == 200 else None

    return case_id, await eventually(arrived, timeout=60, what="approval to receive the case")


async def approved_over_http(
    client: httpx.AsyncClient, urls: dict[str, str], body: dict[str, Any], **decision: Any
) -> str:
    """An application submitted, reviewed (R-FLOW-1) and approved over the services' REST APIs; the
    decision's fields may be given (``amount``, ``reasons``, ...)."""
    case_id, _ = await arrived_in_approval(client, urls, body)
    reviewed = await review(client, case_id, urls["approval"], intake_base=urls["intake"])
    assert reviewed.status_code == 200, reviewed.text
    decided = await client.post(
        f"{urls['approval']}/approval/v1/cases/{case_id}/decision",
        json={
            "decision": "approved",
            "confirm_extended_duration": True,
            "reasons": "meets R-CAT",
            **decision,
        },
    )
    assert decided.status_code == 200, decided.text
    return case_id


@asynccontextmanager
async def open_cluster(
    pg_server_url: str, kafka_bootstrap: str, label: str = "e2e"
) -> AsyncIterator[Cluster]:
    """The five service processes in a fresh database and topic prefix (scripts/cluster.py), trusting the
    development issuer the tests sign their tokens with."""
    async with harness.open_cluster(
        pg_server_url, kafka_bootstrap, label, dev_key_dir=DEV_KEY_DIR
    ) as running:
        yield running


@pytest.fixture(scope="session")
async def cluster(pg_server_url: str, kafka_bootstrap: str) -> AsyncIterator[Cluster]:
    async with open_cluster(pg_server_url, kafka_bootstrap) as running:
        yield running


@pytest.fixture
async def db_e2e(cluster: Cluster) -> AsyncIterator[object]:
    import asyncpg

    from tests.conftest import _plain

    conn = await asyncpg.connect(_plain(cluster.database_url))
    try:
        yield conn
    finally:
        await conn.close()
