"""A real headless Chromium (Debian's package, found or installed by scripts/chromium.sh) driven by
Playwright, against the standalone system served over real HTTP in a child process on a fresh database."""

from __future__ import annotations

import asyncio
import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.conftest import ROOT, create_database


@pytest.fixture(scope="session")
def chromium_path() -> str:
    """scripts/chromium.sh prints the path of an existing Chromium, installing the Debian package if
    needed."""
    done = subprocess.run(
        ["bash", str(ROOT / "scripts" / "chromium.sh")],
        capture_output=True,
        text=True,
        timeout=900,
        check=False,
    )
    path = done.stdout.strip().splitlines()[-1] if done.stdout.strip() else ""
    assert done.returncode == 0 and Path(path).exists(), f"no Chromium: {done.stderr[-2000:]}"
    return path


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def live_system(pg_server_url: str) -> Iterator[str]:
    """``python -m services standalone`` on a free port and a database of its own; yields its base URL."""
    url = asyncio.run(create_database(pg_server_url, prefix="browser"))
    port = _free_port()
    logs = ROOT / "artifacts" / "browser-standalone.log"
    logs.parent.mkdir(parents=True, exist_ok=True)
    env = {
        **os.environ,
        "ASSISTANCE_DATABASE_URL": url,
        "ASSISTANCE_BUS": "memory",
        "ASSISTANCE_ENVIRONMENT": "test",
    }
    with logs.open("w") as out:
        proc = subprocess.Popen(
            [sys.executable, "-m", "services", "standalone", "--port", str(port)],
            cwd=ROOT,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 120
        while True:
            try:
                if httpx.get(f"{base}/readyz", timeout=2).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            assert proc.poll() is None, f"standalone exited; see {logs}"
            assert time.monotonic() < deadline, f"standalone not ready; see {logs}"
            time.sleep(0.3)
        yield base
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            proc.kill()
