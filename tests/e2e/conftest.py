"""The distributed system: five service processes on the real Kafka broker and PostgreSQL."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import pytest

from scripts import cluster as harness
from scripts.cluster import Cluster, free_port
from tests.factories import DEV_KEY_DIR

__all__ = ["Cluster", "free_port", "open_cluster"]


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
