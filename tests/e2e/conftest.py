"""The distributed system: five service processes on the real Kafka broker and PostgreSQL."""

from __future__ import annotations

import asyncio
import os
import socket
import subprocess
import sys
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from pathlib import Path

import httpx
import pytest

from services import SERVICE_NAMES
from tests.conftest import ROOT, create_database, least_privilege
from tests.factories import DEV_KEY_DIR


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@dataclass
class Cluster:
    env: dict[str, str]
    urls: dict[str, str]
    logs: Path
    topic_prefix: str
    kafka: str
    database_url: str
    procs: dict[str, subprocess.Popen] = field(default_factory=dict)

    def topic(self, name: str) -> str:
        return f"{self.topic_prefix}.{name}.v1"

    def start(self, name: str) -> None:
        port = int(self.urls[name].rsplit(":", 1)[1])
        log = open(self.logs / f"{name}.log", "ab")  # noqa: SIM115 - owned by the process
        self.procs[name] = subprocess.Popen(
            [sys.executable, "-m", "services", name, "serve", "--host", "127.0.0.1", "--port", str(port)],
            cwd=ROOT,
            env=self.env,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )

    def kill(self, name: str) -> None:
        proc = self.procs.pop(name)
        proc.kill()
        proc.wait(10)

    def stop_all(self) -> None:
        for proc in self.procs.values():
            proc.terminate()
        for proc in self.procs.values():
            try:
                proc.wait(15)
            except subprocess.TimeoutExpired:
                proc.kill()
        self.procs.clear()

    async def wait_ready(self, name: str, timeout: float = 90) -> None:
        async with httpx.AsyncClient() as client:
            deadline = asyncio.get_running_loop().time() + timeout
            while True:
                proc = self.procs[name]
                if proc.poll() is not None:
                    raise AssertionError(f"{name} exited: {(self.logs / f'{name}.log').read_text()[-3000:]}")
                try:
                    if (await client.get(self.urls[name] + "/readyz", timeout=3)).status_code == 200:
                        return
                except httpx.HTTPError:
                    pass
                if asyncio.get_running_loop().time() > deadline:
                    raise AssertionError(
                        f"{name} not ready: {(self.logs / f'{name}.log').read_text()[-3000:]}"
                    )
                await asyncio.sleep(0.3)


@asynccontextmanager
async def open_cluster(
    pg_server_url: str, kafka_bootstrap: str, label: str = "e2e"
) -> AsyncIterator[Cluster]:
    """A fresh database and topic prefix, migrated by command, and the five services started and ready."""
    database_url = await create_database(pg_server_url, prefix=label)
    prefix = f"{label}{uuid.uuid4().hex[:8]}"
    logs = ROOT / "artifacts" / "e2e-logs" / prefix
    logs.mkdir(parents=True, exist_ok=True)
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("ASSISTANCE_", *[n.upper() + "_" for n in SERVICE_NAMES]))
    }
    roles = await least_privilege(database_url)
    env.update(
        {
            "ASSISTANCE_MIGRATION_DATABASE_URL": roles["migration_database_url"],
            "ASSISTANCE_DATABASE_URL": roles["database_url"],
            "ASSISTANCE_BUS": "kafka",
            "ASSISTANCE_ENVIRONMENT": "test",
            "ASSISTANCE_KAFKA_BOOTSTRAP_SERVERS": kafka_bootstrap,
            "ASSISTANCE_TOPIC_PREFIX": prefix,
            "ASSISTANCE_TOPIC_PARTITIONS": "3",
            "ASSISTANCE_OUTBOX_POLL_INTERVAL_SECONDS": "0.1",
            "ASSISTANCE_CONSUMER_RETRY_BACKOFF_SECONDS": "0.05",
            "PYTHONUNBUFFERED": "1",
            "ASSISTANCE_AUTH_DEV_KEY_DIR": DEV_KEY_DIR,  # the issuer the tests sign their tokens with
        }
    )
    cluster = Cluster(
        env=env,
        urls={n: f"http://127.0.0.1:{free_port()}" for n in SERVICE_NAMES},
        logs=logs,
        topic_prefix=prefix,
        kafka=kafka_bootstrap,
        database_url=database_url,
    )
    # Distributed mode migrates by command (a Helm hook Job in Kubernetes), before the services start.
    for name in SERVICE_NAMES:
        done = await asyncio.to_thread(
            subprocess.run,
            [sys.executable, "-m", "services", name, "migrate"],
            cwd=ROOT,
            env=env,
            capture_output=True,
            text=True,
            timeout=120,
        )
        assert done.returncode == 0, done.stderr[-3000:]
    try:
        for name in SERVICE_NAMES:
            cluster.start(name)
        await asyncio.gather(*(cluster.wait_ready(n) for n in SERVICE_NAMES))
        yield cluster
    finally:
        cluster.stop_all()


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
