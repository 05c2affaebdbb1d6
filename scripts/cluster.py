"""The distributed system on this machine: five service processes (``python -m services <name> serve``) on
a running Kafka broker and PostgreSQL server, each run in a fresh database and topic prefix. Used by the
end-to-end tests (tests/e2e/conftest.py) and the benchmark (scripts/bench.py); imports only the package.

``open_cluster(pg_server_url, kafka_bootstrap, dev_key_dir=...)`` makes the database, migrates every
service by command (as the Helm hook Jobs do), starts the five processes and waits for their /readyz.
"""

from __future__ import annotations

import asyncio
import json
import os
import socket
import subprocess
import sys
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from pathlib import Path

import asyncpg
import httpx
from sqlalchemy.engine import make_url

from services import SERVICE_NAMES
from shared.dbroles import local_roles

ROOT = Path(__file__).resolve().parents[1]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def plain_dsn(url: str) -> str:
    """asyncpg's own DSN form of a SQLAlchemy URL."""
    return make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)


async def create_database(server_url: str, prefix: str = "t") -> str:
    """A fresh, empty database on the server; returns its SQLAlchemy URL."""
    name = f"{prefix}_{uuid.uuid4().hex[:12]}"
    conn = await asyncpg.connect(plain_dsn(server_url))
    try:
        await conn.execute(f'CREATE DATABASE "{name}"')
    finally:
        await conn.close()
    return make_url(server_url).set(database=name).render_as_string(hide_password=False)


@dataclass
class Cluster:
    env: dict[str, str]
    urls: dict[str, str]
    logs: Path
    topic_prefix: str
    kafka: str
    database_url: str
    procs: dict[str, subprocess.Popen[bytes]] = field(default_factory=dict)

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

    async def wait_ready(self, name: str, timeout: float = 90) -> None:  # noqa: ASYNC109 - a deadline, not a cancel
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
    pg_server_url: str,
    kafka_bootstrap: str,
    label: str = "e2e",
    *,
    dev_key_dir: str,
    extra_env: dict[str, str] | None = None,
) -> AsyncIterator[Cluster]:
    """A fresh database and topic prefix, migrated by command, and the five services started and ready.
    The services trust the development issuer whose key is in ``dev_key_dir`` (the caller signs with it);
    ``extra_env`` adds settings of the caller's (e.g. the verification system the bench plays)."""
    database_url = await create_database(pg_server_url, prefix=label)
    prefix = f"{label}{uuid.uuid4().hex[:8]}"
    logs = ROOT / "artifacts" / "e2e-logs" / prefix
    logs.mkdir(parents=True, exist_ok=True)
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("ASSISTANCE_", *[n.upper() + "_" for n in SERVICE_NAMES]))
    }
    # migrations as the owner role, the services as the runtime role (INSERT/SELECT only on the audit log)
    owner_url, runtime_url = await local_roles(database_url, SERVICE_NAMES)
    env.update(
        {
            "ASSISTANCE_MIGRATION_DATABASE_URL": owner_url,
            "ASSISTANCE_DATABASE_URL": runtime_url,
            "ASSISTANCE_BUS": "kafka",
            "ASSISTANCE_ENVIRONMENT": "test",
            "ASSISTANCE_KAFKA_BOOTSTRAP_SERVERS": kafka_bootstrap,
            "ASSISTANCE_TOPIC_PREFIX": prefix,
            "ASSISTANCE_TOPIC_PARTITIONS": "3",
            "ASSISTANCE_OUTBOX_POLL_INTERVAL_SECONDS": "0.1",
            "ASSISTANCE_CONSUMER_RETRY_BACKOFF_SECONDS": "0.05",
            "PYTHONUNBUFFERED": "1",
            "ASSISTANCE_AUTH_DEV_KEY_DIR": dev_key_dir,
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
    env.update(extra_env or {})
    # intake's person export asks the other services over HTTP (PIPL art. 45, docs/person-data.md)
    env["INTAKE_PEER_URLS"] = json.dumps({n: u for n, u in cluster.urls.items() if n != "intake"})
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
        if done.returncode != 0:
            raise AssertionError(f"{name} migrate failed: {done.stderr[-3000:]}")
    try:
        for name in SERVICE_NAMES:
            cluster.start(name)
        await asyncio.gather(*(cluster.wait_ready(n) for n in SERVICE_NAMES))
        yield cluster
    finally:
        cluster.stop_all()
