"""The wheel is the product: built from what the container image copies, installed into a clean virtual
environment outside the repository, it runs ``python -m services standalone`` (embedded PostgreSQL,
migrations, seeds, the oversight page) and ``python -m services demo`` against it.

Honest and bounded: the sources are exactly the builder stage's COPY lines of deploy/docker/Dockerfile;
``pip wheel`` builds the project and fetches every pinned dependency from the package index (pip's own
cache makes later runs quick), as the image's builder does; the virtual environment has no system or
main-venv site packages and installs with ``--no-index`` from those wheels only, as the image's runtime
stage does; everything runs from a folder outside the repository with PYTHONPATH cleared.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import IO, Any

import httpx
import pytest

ROOT = Path(__file__).resolve().parents[2]
DOCKERFILE = ROOT / "deploy" / "docker" / "Dockerfile"
SERVICES = ("intake", "assessment", "approval", "disbursement", "referral")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _builder_copies() -> list[tuple[str, str]]:
    """(source, destination) of each COPY in the Dockerfile's builder stage."""
    copies, in_builder = [], False
    for line in DOCKERFILE.read_text().splitlines():
        if line.startswith("FROM "):
            in_builder = line.rstrip().endswith(" AS builder")
        elif in_builder and line.startswith("COPY "):
            *sources, dest = line.split()[1:]
            copies += [(source, dest) for source in sources]
    return copies


def _run(cmd: list[str], timeout: float, **kwargs: Any) -> subprocess.CompletedProcess[str]:
    done = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout, check=False, **kwargs)
    assert done.returncode == 0, (
        f"{' '.join(cmd)} failed ({done.returncode}):\n{done.stdout[-3000:]}\n{done.stderr[-3000:]}"
    )
    return done


@pytest.fixture(scope="module")
def installed(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A clean virtual environment with the project wheel and its pinned dependencies, nothing else."""
    base = tmp_path_factory.mktemp("wheel")
    source, wheels, venv = base / "src", base / "wheels", base / "venv"
    source.mkdir()
    for src, dest in _builder_copies():
        target = source / dest
        if (ROOT / src).is_dir():
            shutil.copytree(ROOT / src, target, ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
        else:
            shutil.copy2(ROOT / src, target)
    _run([sys.executable, "-m", "pip", "wheel", "-q", "--wheel-dir", str(wheels), str(source)], timeout=900)
    _run([sys.executable, "-m", "venv", "--clear", str(venv)], timeout=300)
    python = venv / "bin" / "python"
    _run(
        [
            str(python),
            "-m",
            "pip",
            "install",
            "-q",
            "--no-index",
            "--find-links",
            str(wheels),
            "temporary-assistance",
        ],
        timeout=600,
    )
    return python


def _clean_env(run_dir: Path, **extra: str) -> dict[str, str]:
    prefixes = ("ASSISTANCE_", "TEST_", "PYTHON", *[f"{n.upper()}_" for n in SERVICES])
    env = {k: v for k, v in os.environ.items() if not k.startswith(prefixes) and k != "VIRTUAL_ENV"}
    env.update(PYTHONUNBUFFERED="1", ASSISTANCE_AUTH_DEV_KEY_DIR=str(run_dir / "dev-issuer"), **extra)
    return env


def test_the_installed_package_is_self_contained(installed: Path, tmp_path: Path) -> None:
    where = _run(
        [
            str(installed),
            "-c",
            "import services, shared, sys; print(services.__file__, shared.__file__, sys.path)",
        ],
        timeout=60,
        cwd=tmp_path,
        env=_clean_env(tmp_path),
    ).stdout
    assert str(ROOT) not in where and str(installed.parents[1]) in where.split()[0]
    data = _run(
        [
            str(installed),
            "-c",
            "import json, pathlib, services, shared; "
            "print(json.dumps(sorted(str(p.relative_to(pathlib.Path(services.__file__).parents[1])) "
            "for d in (services, shared) for p in pathlib.Path(d.__file__).parent.rglob('*') "
            "if p.is_file() and p.suffix in ('.json', '.html', '.js', '.css', '.mako', '.ttf'))))",
        ],
        timeout=60,
        cwd=tmp_path,
        env=_clean_env(tmp_path),
    ).stdout
    packaged = set(json.loads(data))
    in_repo = {
        str(p.relative_to(ROOT))
        for top in ("services", "shared")
        for p in (ROOT / top).rglob("*")
        if p.is_file()
        and p.suffix in (".json", ".html", ".js", ".css", ".mako", ".ttf")
        and "__pycache__" not in p.parts
    }
    assert in_repo <= packaged, f"not in the wheel: {sorted(in_repo - packaged)}"
    migrations = {str(p.relative_to(ROOT)) for p in ROOT.glob("services/*/migrations/versions/*.py")}
    listed = _run(
        [
            str(installed),
            "-c",
            "import pathlib, services; root = pathlib.Path(services.__file__).parents[1]; "
            "print(' '.join(str(p.relative_to(root)) "
            "for p in root.glob('services/*/migrations/versions/*.py')))",
        ],
        timeout=60,
        cwd=tmp_path,
        env=_clean_env(tmp_path),
    ).stdout.split()
    assert migrations <= set(listed), f"migrations not in the wheel: {sorted(migrations - set(listed))}"


@pytest.fixture
def standalone(installed: Path, tmp_path: Path) -> Iterator[tuple[str, Path]]:
    """``python -m services standalone`` from the clean environment, outside the repository, until /readyz."""
    run_dir = tmp_path / "run"
    run_dir.mkdir()
    port, pg_port, pg_data = _free_port(), _free_port(), run_dir / "pg"
    log = open(run_dir / "standalone.log", "w+b")  # noqa: SIM115 - owned by the process
    proc = subprocess.Popen(
        [str(installed), "-m", "services", "standalone", "--port", str(port)],
        cwd=run_dir,
        env=_clean_env(run_dir, ASSISTANCE_PG_PORT=str(pg_port), ASSISTANCE_PG_DATA=str(pg_data)),
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 240
        while True:
            assert proc.poll() is None, f"standalone exited ({proc.returncode}):\n{_tail(log)}"
            assert time.monotonic() < deadline, f"standalone not ready within 240 s:\n{_tail(log)}"
            try:
                if httpx.get(f"{base}/readyz", timeout=2).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            time.sleep(0.5)
        yield base, run_dir
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(timeout=90) == 0, _tail(log)
        assert not (pg_data / "postmaster.pid").exists(), "the embedded PostgreSQL outlived standalone"
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait(timeout=30)
        if (pg_data / "postmaster.pid").exists():
            from shared import embedded_pg

            embedded_pg.stop(pg_data)
        log.close()


def _tail(log: IO[bytes]) -> str:
    log.seek(0)
    return log.read()[-4000:].decode(errors="replace")


def test_standalone_and_demo_run_from_the_installed_wheel(
    installed: Path, standalone: tuple[str, Path]
) -> None:
    base, run_dir = standalone
    env = _clean_env(run_dir)
    assert httpx.get(f"{base}/oversight/", timeout=10).status_code == 200
    demo = _run(
        [str(installed), "-m", "services", "demo", "--url", base, "--cases", "6", "--seed", "15"],
        timeout=600,
        cwd=run_dir,
        env=env,
    )
    assert re.search(r"^submitted 6 applications$", demo.stdout, re.M), demo.stdout
    token = _run([str(installed), "-m", "services", "token"], timeout=60, cwd=run_dir, env=env).stdout.strip()
    assert token.count(".") == 2 and "\n" not in token, token  # one compact JWS, nothing else on stdout
    answer = httpx.get(f"{base}/intake/v1/figures", headers={"Authorization": f"Bearer {token}"}, timeout=30)
    assert answer.status_code == 200, (
        answer.status_code,
        answer.text,
        (run_dir / "standalone.log").read_text(errors="replace")[-4000:],
    )
    assert answer.json()["totals"]["received"] == 6, answer.text


def test_the_image_builds_from_its_context_and_keeps_standalone_state_in_tmp() -> None:
    """What the wheel test builds is what the image builds: every COPY source passes .dockerignore; and the
    image, whose root filesystem is read-only, points standalone's cluster and dev issuer key at /tmp."""
    allowed = {line.strip().rstrip("/") for line in (ROOT / ".dockerignore").read_text().splitlines()}
    assert all(f"!{src.rstrip('/')}" in allowed for src, _ in _builder_copies()), _builder_copies()
    runtime = DOCKERFILE.read_text().split(" AS runtime", 1)[1]
    for key in ("ASSISTANCE_PG_DATA", "ASSISTANCE_AUTH_DEV_KEY_DIR"):
        assert re.search(rf"\b{key}=/tmp/", runtime), f"{key} must point under /tmp in the runtime stage"
