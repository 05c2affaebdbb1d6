"""The two database roles of a deployment (least privilege for the audit log, shared/audit.py):

- the **owner** (``MIGRATION_DATABASE_URL``) owns the services' schemas and runs the migrations;
- the **runtime** role (``DATABASE_URL``) is what the services connect as: ordinary DML on their tables,
  only INSERT and SELECT on the audit log (granted by the migrations, shared/migrations.py).
Neither is a superuser, creates roles or databases, replicates or bypasses row security.

``provision`` creates or corrects both with an administrator's connection (standalone does it by itself on
the embedded server; ``python -m services db-roles`` and the Helm chart's roles Job do it for a cluster).
Their names and passwords are the users and passwords of the two URLs.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Sequence

import asyncpg
from sqlalchemy.engine import make_url

OWNER = "assistance_owner"
RUNTIME = "assistance_runtime"
LIMITS = "LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOREPLICATION NOBYPASSRLS"


def _plain(url: str) -> str:
    return make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)


def as_role(url: str, role: str) -> str:
    """``url`` with another user and no password (a trust-authenticated local server)."""
    return make_url(url).set(username=role, password=None).render_as_string(hide_password=False)


def _ident(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _literal(value: str) -> str:
    return "'" + value.replace("'", "''") + "'"


async def _ensure_role(conn: asyncpg.Connection, name: str, password: str | None) -> None:
    limited = await conn.fetchval(
        "SELECT rolcanlogin AND NOT (rolsuper OR rolcreatedb OR rolcreaterole OR rolreplication "
        "OR rolbypassrls) FROM pg_roles WHERE rolname = $1",
        name,
    )
    if limited is None:
        # made at the same moment by another process: fine
        with contextlib.suppress(asyncpg.DuplicateObjectError, asyncpg.UniqueViolationError):
            await conn.execute(f"CREATE ROLE {_ident(name)} {LIMITS}")
    elif not limited:
        await conn.execute(f"ALTER ROLE {_ident(name)} {LIMITS}")
    if password:
        await conn.execute(f"ALTER ROLE {_ident(name)} PASSWORD {_literal(password)}")


HAND_OVER = """
DO $$
DECLARE r record;
BEGIN
  FOR r IN SELECT nspname FROM pg_namespace WHERE nspname = ANY($1) AND nspowner <> '{owner}'::regrole LOOP
    EXECUTE format('ALTER SCHEMA %I OWNER TO %I', r.nspname, '{owner}');
  END LOOP;
  FOR r IN SELECT n.nspname, c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
           WHERE n.nspname = ANY($1) AND c.relkind IN ('r', 'p', 'v', 'm')
             AND c.relowner <> '{owner}'::regrole LOOP
    EXECUTE format('ALTER TABLE %I.%I OWNER TO %I', r.nspname, r.relname, '{owner}');
  END LOOP;
  FOR r IN SELECT p.oid::regprocedure AS f FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace
           WHERE n.nspname = ANY($1) AND p.proowner <> '{owner}'::regrole LOOP
    EXECUTE format('ALTER FUNCTION %s OWNER TO %I', r.f, '{owner}');
  END LOOP;
END $$
"""


async def _hand_over_schemas(conn: asyncpg.Connection, owner: str, schemas: list[str]) -> None:
    """Schemas made before the owner role existed (e.g. an older standalone data folder) pass to it."""
    array = "ARRAY[" + ",".join(_literal(s) for s in schemas) + "]"
    await conn.execute(HAND_OVER.replace("$1", array).replace("{owner}", owner.replace("'", "''")))


async def provision(admin_url: str, owner_url: str, runtime_url: str, schemas: Sequence[str]) -> None:
    """Create (or bring back to least privilege) the owner and runtime roles of ``owner_url``'s database;
    ``schemas`` (the services') pass to the owner if someone else made them."""
    for attempt in range(5):
        try:
            await _provision(admin_url, owner_url, runtime_url, list(schemas))
            return
        except asyncpg.PostgresError as error:  # roles are cluster-wide: another database's set-up races
            if "concurrently" not in str(error) or attempt == 4:
                raise
            await asyncio.sleep(0.2 * (attempt + 1))


async def _provision(admin_url: str, owner_url: str, runtime_url: str, schemas: list[str]) -> None:
    owner, runtime = make_url(owner_url), make_url(runtime_url)
    if not owner.username or not runtime.username or owner.username == runtime.username:
        raise ValueError("the owner and runtime URLs need two different users")
    conn = await asyncpg.connect(_plain(admin_url))
    try:
        await _ensure_role(conn, owner.username, owner.password)
        await _ensure_role(conn, runtime.username, runtime.password)
        database = _ident(owner.database or "")
        await conn.execute(
            f"GRANT CONNECT, CREATE, TEMPORARY ON DATABASE {database} TO {_ident(owner.username)}"
        )
        await conn.execute(f"GRANT CONNECT, TEMPORARY ON DATABASE {database} TO {_ident(runtime.username)}")
        await conn.execute(f"REVOKE {_ident(owner.username)} FROM {_ident(runtime.username)}")
        await _hand_over_schemas(conn, owner.username, schemas)
    finally:
        await conn.close()


async def local_roles(admin_url: str, schemas: Sequence[str]) -> tuple[str, str]:
    """Standalone and tests: both roles on a trust-authenticated local server; returns (owner, runtime)."""
    owner_url, runtime_url = as_role(admin_url, OWNER), as_role(admin_url, RUNTIME)
    await provision(admin_url, owner_url, runtime_url, schemas)
    return owner_url, runtime_url
