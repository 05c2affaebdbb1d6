"""Property-based fuzzing of every service's OpenAPI (schemathesis), with a bounded budget: whatever is
sent, no 5xx, and every error is problem+json. Runs the standalone server on the real database."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
import time

import httpx
import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings

from tests.conftest import ROOT, create_database
from tests.e2e.conftest import free_port

EXAMPLES = int(os.environ.get("FUZZ_EXAMPLES", "25"))


@pytest.fixture(scope="session")
def fuzz_server(pg_server_url: str):
    database_url = asyncio.run(create_database(pg_server_url, prefix="fuzz"))
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("ASSISTANCE_")}
    env.update(
        ASSISTANCE_DATABASE_URL=database_url,
        ASSISTANCE_BUS="memory",
        ASSISTANCE_ENVIRONMENT="test",
        ASSISTANCE_LOG_LEVEL="WARNING",
    )
    log = open(ROOT / "artifacts" / "fuzz-server.log", "wb")  # noqa: SIM115 - owned by the process
    proc = subprocess.Popen(
        [sys.executable, "-m", "services", "standalone", "--port", str(port)],
        cwd=ROOT,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        for _ in range(240):
            assert proc.poll() is None, (ROOT / "artifacts" / "fuzz-server.log").read_text()[-3000:]
            try:
                if httpx.get(base + "/readyz", timeout=2).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            time.sleep(0.25)
        yield base
    finally:
        proc.terminate()
        proc.wait(20)


def _check(case, base: str) -> None:
    response = case.call(base_url=base, timeout=15)
    label = f"{case.method} {case.formatted_path} -> {response.status_code}"
    assert response.status_code < 500, label
    if response.status_code >= 400:
        content_type = response.headers.get("content-type", "")
        content_type = content_type[0] if isinstance(content_type, list) and content_type else content_type
        assert str(content_type).startswith("application/problem+json"), label


def test_no_input_makes_a_service_fail_and_every_error_is_a_problem(fuzz_server):
    schema = schemathesis.openapi.from_url(fuzz_server + "/openapi.json")
    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) >= 10, "the schema lost its operations"
    for operation in operations:

        @settings(
            max_examples=EXAMPLES,
            deadline=None,
            derandomize=True,
            database=None,
            suppress_health_check=list(HealthCheck),
        )
        @given(case=operation.as_strategy())
        def fuzz(case) -> None:
            _check(case, fuzz_server)

        fuzz()
