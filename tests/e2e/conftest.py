"""The distributed system: five service processes on the real Kafka broker and PostgreSQL."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import httpx
import pytest

from scripts import cluster as harness
from scripts.cluster import Cluster, free_port
from tests.factories import DEV_KEY_DIR, eventually, review

__all__ = ["Cluster", "approved_over_http", "arrived_in_approval", "free_port", "open_cluster"]


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
