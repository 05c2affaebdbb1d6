"""Issue 16 (R-CAT-3): while no verification request is due, assessment's verification worker rests and
commits nothing, and the verification system hears nothing. The system is the fake of
tests/service/fake_verification.py, a real HTTP process on 127.0.0.1; the commits are counted from the
service's own statement stream (every COMMIT its engine sends, by the task that sent it)."""

from __future__ import annotations

import asyncio
import secrets
import subprocess
import sys
import time
import uuid
from collections import Counter
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager
from datetime import timedelta
from pathlib import Path
from typing import Any

import asyncpg
import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import event
from sqlalchemy.engine import Engine

from shared import clock
from tests.conftest import _plain, create_database, drop_database
from tests.service.test_verification import _free_port

pytestmark = pytest.mark.asyncio(loop_scope="session")

SERVER = Path(__file__).with_name("fake_verification.py")
CHECK_SECONDS = 0.05
"""The shortest rest: the worker before issue 16 looked (and committed) this often, 60 times in 3 s."""
WINDOW_SECONDS = 3.0


@pytest.fixture(scope="module")
def silent_system() -> Iterator[tuple[str, str]]:
    """The verification system as a real process that is never asked anything here: (base URL, token)."""
    token, port = secrets.token_hex(16), _free_port()
    proc = subprocess.Popen(
        [sys.executable, str(SERVER), "--token", token, "--port", str(port)],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert proc.stdout is not None and proc.stdout.readline().startswith("port ")
        for _ in range(100):
            try:
                httpx.get(f"http://127.0.0.1:{port}/control/received", timeout=1).raise_for_status()
                break
            except httpx.HTTPError:
                time.sleep(0.1)
        yield f"http://127.0.0.1:{port}", token
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=10)


@asynccontextmanager
async def assessment_alone(
    url: str, base: str, token: str, tmp_path_factory: pytest.TempPathFactory
) -> AsyncIterator[FastAPI]:
    """Assessment alone in this process (no other service's loops on the database), at the system."""
    from services.assessment import MODULE
    from shared.app import build_app
    from shared.dbroles import local_roles

    owner, runtime = await local_roles(url, ["assessment"])
    settings: dict[str, Any] = {
        "migration_database_url": owner,
        "database_url": runtime,
        "bus": "memory",
        "environment": "test",
        "audit_checkpoint_dir": str(tmp_path_factory.mktemp("audit-checkpoints")),
        "verification_url": base,
        "verification_token": token,
        "verification_check_seconds": CHECK_SECONDS,
        "verification_idle_max_seconds": 300.0,
    }
    app = build_app([MODULE], migrate_on_start=True, overrides={"assessment": settings})
    async with app.router.lifespan_context(app):
        yield app


async def _open_request_due_in_an_hour(url: str) -> str:
    """A request sent earlier whose next poll is an hour away (open, not due)."""
    conn = await asyncpg.connect(_plain(url))
    try:
        verification_id = str(uuid.uuid4())
        await conn.execute(
            "INSERT INTO assessment.verifications (id, case_id, kind, application_revision, county_code,"
            " township_code, state, request_id, next_attempt_at, deadline)"
            " VALUES ($1, $2, 'economic', 1, '140302', '140302001', 'requested', $3, $4, $5)",
            verification_id,
            str(uuid.uuid4()),
            f"vr-{uuid.uuid4().hex[:16]}",
            clock.now() + timedelta(hours=1),
            clock.now() + timedelta(hours=2),
        )
    finally:
        await conn.close()
    return verification_id


async def test_the_verification_worker_commits_nothing_and_asks_nothing_while_nothing_is_due(
    pg_server_url: str, silent_system: tuple[str, str], tmp_path_factory: pytest.TempPathFactory
) -> None:
    """R-CAT-3, issue 16: with one open request due in an hour, after its first look the worker sends no
    COMMIT for 3 s (60 looks at the shortest rest), polls nothing and leaves the request as it was."""
    base, token = silent_system
    url = await create_database(pg_server_url, prefix="idle")
    try:
        async with assessment_alone(url, base, token, tmp_path_factory):
            pass  # migrated and seeded
        verification_id = await _open_request_due_in_an_hour(url)
        commits: Counter[str] = Counter()

        def committed(_conn: object) -> None:
            task = asyncio.current_task()
            commits[task.get_name() if task else "-"] += 1

        event.listen(Engine, "commit", committed)  # every engine, from before the service starts
        try:
            async with assessment_alone(url, base, token, tmp_path_factory) as app:
                runtime = app.state.runtimes["assessment"]
                worker = next(t for t in runtime.tasks if t.get_name() == "assessment-worker")
                for _ in range(300):  # its first look: one read that finds nothing due, then the rest
                    if commits["assessment-worker"]:
                        break
                    await asyncio.sleep(0.1)
                assert commits["assessment-worker"] == 1, dict(commits)
                await asyncio.sleep(WINDOW_SECONDS)
                assert not worker.done(), "the worker must still be running (resting, not ended)"
                assert commits["assessment-worker"] == 1, dict(commits)
                async with httpx.AsyncClient(base_url=base) as c:
                    heard = (await c.get("/control/received")).json()
                assert (heard["posts"], heard["polls"]) == (0, 0)
        finally:
            event.remove(Engine, "commit", committed)
        conn = await asyncpg.connect(_plain(url))
        try:
            row = await conn.fetchrow(
                "SELECT state, attempts FROM assessment.verifications WHERE id = $1", verification_id
            )
        finally:
            await conn.close()
        assert (row["state"], row["attempts"]) == ("requested", 0)
    finally:
        await drop_database(url)
