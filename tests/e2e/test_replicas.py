"""Two replicas of assessment and of disbursement in one consumer group each: they split the partitions,
and when one of each is SIGKILLed mid-stream the survivor takes its partitions over. Every case is still
processed exactly once, and each partition's events in order (on its own Kafka and PostgreSQL)."""

from __future__ import annotations

import asyncio
import subprocess
import sys

import asyncpg
import pytest

from tests.conftest import ROOT, _plain
from tests.e2e.conftest import Cluster, free_port, open_cluster
from tests.e2e.test_faults import _assert_consistent, _stream, infra  # noqa: F401 - the fixture

pytestmark = [pytest.mark.asyncio(loop_scope="session"), pytest.mark.e2e, pytest.mark.kafka]

SCALED = ("assessment", "disbursement")


def start_replica(cluster: Cluster, name: str) -> str:
    """A second process of ``name`` on its own port, same settings and consumer group."""
    replica = f"{name}-2"
    port = free_port()
    log = open(cluster.logs / f"{replica}.log", "ab")  # noqa: SIM115 - owned by the process
    cluster.procs[replica] = subprocess.Popen(
        [sys.executable, "-m", "services", name, "serve", "--host", "127.0.0.1", "--port", str(port)],
        cwd=ROOT,
        env=cluster.env,
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    cluster.urls[replica] = f"http://127.0.0.1:{port}"
    return replica


async def _in_partition_order(conn: asyncpg.Connection, schema: str) -> list[tuple[str, int]]:
    """(topic, partition) whose events were applied out of offset order (inbox records by time)."""
    rows = await conn.fetch(
        f'SELECT topic, partition, "offset" FROM {schema}.inbox ORDER BY received_at, "offset"'  # noqa: S608
    )
    last: dict[tuple[str, int], int] = {}
    wrong: list[tuple[str, int]] = []
    for r in rows:
        key = (r["topic"], r["partition"])
        if last.get(key, -1) > r["offset"]:
            wrong.append(key)
        last[key] = r["offset"]
    return wrong


async def test_two_replicas_split_the_partitions_and_one_killed_mid_stream_loses_and_doubles_nothing(
    infra,  # noqa: F811 - the fixture imported above
):
    async with open_cluster(infra.pg_url, infra.kafka, label="replicas") as cluster:
        replicas = [start_replica(cluster, name) for name in SCALED]
        await asyncio.gather(*(cluster.wait_ready(r) for r in replicas))

        async def kill_one_of_each(i: int) -> None:
            if i == 5:  # mid-stream: the survivors must take over the partitions of the killed ones
                for name in SCALED:
                    cluster.kill(name)

        case_ids = await _stream(cluster, kill_one_of_each)
        await _assert_consistent(cluster, case_ids)
        conn = await asyncpg.connect(_plain(cluster.database_url))
        try:
            for schema in SCALED:
                assert await _in_partition_order(conn, schema) == [], f"{schema} broke a partition's order"
            assessed = await conn.fetch(
                "SELECT case_id::text, count(*) AS n FROM assessment.assessments "
                "WHERE case_id::text = ANY($1) GROUP BY case_id HAVING count(*) <> 1",
                case_ids,
            )
            assert assessed == [], "a case was assessed more or less than once"
        finally:
            await conn.close()
