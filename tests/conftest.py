"""Real infrastructure for the suite: PostgreSQL (and Kafka for the e2e tests) started by the project's
own scripts unless TEST_DATABASE_URL / TEST_KAFKA_BOOTSTRAP_SERVERS point at running ones.
A missing database or broker fails the tests; nothing is skipped."""

from __future__ import annotations

import asyncio
import os
import sys
import uuid
import warnings
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import asyncpg
import httpx
import pytest
from sqlalchemy.engine import make_url

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import shared.contracts  # noqa: E402,F401 - registers event types
from scripts.cluster import create_database, plain_dsn  # noqa: E402 - one copy, shared with e2e and bench
from tests.factories import officer  # noqa: E402 - also points every service at the tests' token issuer

_plain = plain_dsn  # the name tests import: asyncpg's own DSN form of a SQLAlchemy URL


@pytest.fixture(autouse=True)
def _fresh_authentication_failures(request: pytest.FixtureRequest) -> Iterator[None]:
    """Failed-authentication counts do not carry from one test to the next: the lockout
    (shared/ratelimit.py, on by default) is per source address, and the shared in-process client has
    one address for the whole module, so a test that sends bad tokens would lock out the ones after."""
    yield
    if "standalone" not in request.fixturenames:
        return
    try:
        client = request.getfixturevalue("standalone")
    except (AssertionError, pytest.FixtureLookupError):  # torn down already, or another kind of value
        return
    limiter = getattr(getattr(client, "app", None), "state", None)
    if limiter is not None and (limiter := getattr(limiter, "auth_limiter", None)) is not None:
        limiter.reset()


@pytest.fixture(scope="session")
def pg_server_url() -> str:
    url = os.environ.get("TEST_DATABASE_URL")
    if url:
        return url
    from scripts import pg

    return pg.start(port=int(os.environ.get("TEST_PG_PORT", "55433")), data=str(ROOT / ".run" / "pg-test"))


@pytest.fixture(scope="session")
def kafka_bootstrap() -> str:
    bootstrap = os.environ.get("TEST_KAFKA_BOOTSTRAP_SERVERS")
    if bootstrap:
        return bootstrap
    from scripts import kafka

    return kafka.start(
        port=int(os.environ.get("TEST_KAFKA_PORT", "19093")), data=str(ROOT / ".run" / "kafka-test")
    )


async def clone_database(server_url: str, template: str, prefix: str = "t") -> str:
    """A fresh database copied from ``template`` (CREATE DATABASE ... TEMPLATE: a file copy, far quicker
    than migrating); returns its SQLAlchemy URL. The template must have no open connections."""
    name = f"{prefix}_{uuid.uuid4().hex[:12]}"
    conn = await asyncpg.connect(_plain(server_url))
    try:
        for attempt in range(50):  # a connection of the template's making may take a moment to close
            try:
                await conn.execute(f'CREATE DATABASE "{name}" TEMPLATE "{template}"')
                break
            except asyncpg.ObjectInUseError:
                if attempt == 49:
                    raise
                await asyncio.sleep(0.1)
    finally:
        await conn.close()
    return make_url(server_url).set(database=name).render_as_string(hide_password=False)


_DROP_ATTEMPTS = 8


async def drop_database(url: str) -> None:
    """Remove a test database (open connections of a finished app are cut). A drop runs behind the next
    module's tests, so a busy server may refuse or cut its connection: it is tried again with back-off,
    and a database that still cannot be dropped is reported as a warning (it is only disk space on a
    server that the suite stops at its end), never as a failure of the test it happened to follow."""
    name = make_url(url).database
    admin = _plain(make_url(url).set(database="postgres").render_as_string(False))
    for attempt in range(_DROP_ATTEMPTS):
        try:
            conn = await asyncpg.connect(admin, timeout=60)
            try:
                await conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
            finally:
                await conn.close()
            return
        except (TimeoutError, OSError, asyncpg.PostgresError, asyncpg.InterfaceError) as error:
            if attempt == _DROP_ATTEMPTS - 1:
                warnings.warn(f"test database {name} not dropped: {error!r}", stacklevel=1)
                return
            await asyncio.sleep(min(0.5 * 2**attempt, 10))


@pytest.fixture(scope="session")
async def template_database(
    pg_server_url: str, tmp_path_factory: pytest.TempPathFactory
) -> AsyncIterator[str]:
    """The name of a database holding every service's migrated schema and start-up seed, made once per
    session by starting the services on it; each test module's database is a copy (``database_url``)."""
    url = await create_database(pg_server_url, prefix="tmpl")
    async with standalone_client(url, tmp_path_factory):
        pass
    name = make_url(url).database
    assert name is not None
    conn = await asyncpg.connect(_plain(pg_server_url))
    try:  # the finished app's pooled connections would keep the template from being copied
        await conn.execute(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
            "WHERE datname = $1 AND pid <> pg_backend_pid()",
            name,
        )
    finally:
        await conn.close()
    yield name
    await asyncio.gather(*_dropping)
    _dropping.clear()
    await drop_database(url)


_dropping: list[asyncio.Task[None]] = []
"""Module databases being dropped behind the next module's tests (a drop takes seconds on a busy server)."""


@pytest.fixture(scope="module")
async def database_url(pg_server_url: str, template_database: str) -> AsyncIterator[str]:
    """A database of the test module's own, copied from the migrated template: every module starts from
    the same empty state, so its tests can assert exact counts (issue 15, isolated tests)."""
    url = await clone_database(pg_server_url, template_database)
    yield url
    _dropping.append(asyncio.create_task(drop_database(url)))


async def least_privilege(database_url: str) -> dict[str, str]:
    """Settings for the two database roles: migrations as the owner, the services as the runtime role
    (INSERT/SELECT only on the audit log), as standalone and the Helm chart run them (shared/dbroles.py)."""
    from services import SERVICE_NAMES
    from shared.dbroles import local_roles

    owner_url, runtime_url = await local_roles(database_url, SERVICE_NAMES)
    return {"migration_database_url": owner_url, "database_url": runtime_url}


@asynccontextmanager
async def standalone_client(
    database_url: str,
    tmp_path_factory: pytest.TempPathFactory,
    settings: dict[str, dict[str, object]] | None = None,
) -> AsyncIterator[httpx.AsyncClient]:
    """All the services in this process on ``database_url``, over the in-process bus, as the runtime role;
    ``settings`` adds to (or replaces) the test settings of the services it names."""
    from services.registry import all_modules
    from shared.app import build_app

    modules = all_modules()
    roles = await least_privilege(database_url)
    app = build_app(
        modules,
        migrate_on_start=True,
        overrides={
            m.name: {
                **roles,
                "bus": "memory",
                "environment": "test",
                "outbox_poll_interval_seconds": 0.05,
                # the tests' webhook receivers listen on http://127.0.0.1: allowed only by this explicit
                # development/test setting (off by default, refused in production)
                **({"webhook_allow_loopback_http": True} if m.name == "referral" else {}),
                "audit_checkpoint_dir": str(tmp_path_factory.mktemp("audit-checkpoints")),
                **(settings or {}).get(m.name, {}),
            }
            for m in modules
        },
    )
    async with (
        app.router.lifespan_context(app),
        httpx.AsyncClient(
            transport=httpx.ASGITransport(app=app), base_url="http://standalone", headers=officer()
        ) as client,
    ):
        client.app = app  # type: ignore[attr-defined]
        yield client


@asynccontextmanager
async def fresh_world(
    pg_server_url: str, tmp_path_factory: pytest.TempPathFactory, prefix: str
) -> AsyncIterator[tuple[httpx.AsyncClient, asyncpg.Connection]]:
    """All the services on a database of their own (figures that count every case need one), as
    ``standalone`` runs them, with a raw connection to it for checking what was written."""
    url = await create_database(pg_server_url, prefix=prefix)
    async with standalone_client(url, tmp_path_factory) as client:
        db = await asyncpg.connect(_plain(url))
        try:
            yield client, db
        finally:
            await db.close()


@pytest.fixture(scope="module")
async def standalone(
    database_url: str, tmp_path_factory: pytest.TempPathFactory
) -> AsyncIterator[httpx.AsyncClient]:
    """All the services in this process on the module's own database, over the in-process bus."""
    async with standalone_client(database_url, tmp_path_factory) as client:
        yield client


@pytest.fixture
async def db(database_url: str) -> AsyncIterator[asyncpg.Connection]:
    """A raw connection to the test database for checking what was (not) written."""
    conn = await asyncpg.connect(_plain(database_url))
    try:
        yield conn
    finally:
        await conn.close()


@pytest.fixture
async def partners(
    standalone: httpx.AsyncClient, db: asyncpg.Connection
) -> AsyncIterator[Callable[..., Awaitable[dict[str, Any]]]]:
    """Registers partner charities on demand (``partner_body`` and the overrides); suspends them
    afterwards so later tests' offers are not theirs. Suspension hands open offers on (R-CHA-1), so records
    left waiting by this test are then closed, lest the sweep offer them to a later test's partners."""
    from tests.factories import partner_body

    made: list[dict[str, Any]] = []

    async def register(**overrides: Any) -> dict[str, Any]:
        response = await standalone.post("/referral/v1/partners", json=partner_body(**overrides))
        assert response.status_code == 201, response.text
        made.append(response.json())
        return made[-1]

    yield register
    for partner in made:
        await standalone.patch(f"/referral/v1/partners/{partner['id']}", json={"status": "suspended"})
    await db.execute(
        "UPDATE referral.needs_records SET match_state = 'closed' WHERE match_state = 'unmatched' "
        "AND id IN (SELECT record_id FROM referral.tasks WHERE partner_id = ANY($1::uuid[]))",
        [p["id"] for p in made],
    )
