"""Alembic, per service: each service's migrations live in ``services/<name>/migrations`` and keep their
version table inside the service's own schema.

Migrations run as the owner role (``MIGRATION_DATABASE_URL``); after every upgrade the runtime role (the user
of ``DATABASE_URL``) is granted ordinary DML on the service's tables and only INSERT and SELECT on its audit
log — no UPDATE, DELETE, TRUNCATE or trigger changes (least privilege, see shared/audit.py)."""

from __future__ import annotations

import asyncio
import zlib
from pathlib import Path

from alembic import command, context, op
from alembic.config import Config
from sqlalchemy import MetaData, text
from sqlalchemy.engine import Connection, make_url
from sqlalchemy.ext.asyncio import create_async_engine

from shared.audit import append_only_trigger_sql, no_truncate_trigger_sql
from shared.db import service_metadata
from shared.messaging import add_messaging_tables

MESSAGING_TABLES = {"outbox", "inbox", "dead_letter", "audit_log"}


def alembic_config(
    migrations: Path, *, url: str, service: str, schema: str, runtime_role: str | None = None
) -> Config:
    cfg = Config()
    cfg.set_main_option("script_location", str(migrations))
    cfg.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    cfg.attributes.update(service=service, schema=schema, runtime_role=runtime_role)
    return cfg


def runtime_role_of(database_url: str | None, migration_url: str | None) -> str | None:
    """The runtime role to grant to: the user of DATABASE_URL when migrations run as another one."""
    if not database_url or not migration_url:
        return None
    runtime, owner = make_url(database_url).username, make_url(migration_url).username
    return runtime if runtime and runtime != owner else None


def upgrade(
    migrations: Path,
    *,
    url: str,
    service: str,
    schema: str,
    revision: str = "head",
    runtime_role: str | None = None,
) -> None:
    """Run in a thread of its own (env.py uses asyncio.run)."""
    cfg = alembic_config(migrations, url=url, service=service, schema=schema, runtime_role=runtime_role)
    command.upgrade(cfg, revision)


def downgrade(migrations: Path, *, url: str, service: str, schema: str, revision: str) -> None:
    command.downgrade(alembic_config(migrations, url=url, service=service, schema=schema), revision)


def run_env(metadata: MetaData) -> None:
    """Body of every service's ``env.py``."""
    cfg = context.config
    service, schema = cfg.attributes["service"], cfg.attributes["schema"]
    url = cfg.get_main_option("sqlalchemy.url")

    def migrate(connection: Connection) -> None:
        lock = zlib.crc32(f"migrate:{schema}".encode())
        connection.execute(text("SELECT pg_advisory_lock(:k)"), {"k": lock})
        connection.execute(text(f'CREATE SCHEMA IF NOT EXISTS "{schema}"'))
        connection.commit()
        if schema != service:
            connection = connection.execution_options(schema_translate_map={service: schema})
        context.configure(
            connection=connection,
            target_metadata=metadata,
            version_table_schema=schema,
            include_schemas=False,
            transaction_per_migration=True,
            include_object=_not_messaging,
        )
        with context.begin_transaction():
            context.run_migrations()
        if cfg.attributes.get("runtime_role"):
            grant_runtime(connection, schema, cfg.attributes["runtime_role"])
        connection.execute(text("SELECT pg_advisory_unlock(:k)"), {"k": lock})
        connection.commit()

    async def main() -> None:
        engine = create_async_engine(url)
        try:
            async with engine.connect() as conn:
                await conn.run_sync(migrate)
        finally:
            await engine.dispose()

    asyncio.run(main())


def grant_statements(schema: str, role: str) -> list[str]:
    """The runtime role's privileges, re-applied after every upgrade (new tables included)."""
    s, r = f'"{schema}"', f'"{role}"'
    return [
        f"GRANT USAGE ON SCHEMA {s} TO {r}",
        f"REVOKE CREATE ON SCHEMA {s} FROM {r}",
        f"GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA {s} TO {r}",
        f"REVOKE TRUNCATE, REFERENCES, TRIGGER ON ALL TABLES IN SCHEMA {s} FROM {r}",
        f"GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA {s} TO {r}",
        f"REVOKE ALL ON {s}.audit_log FROM {r}",
        f"GRANT SELECT, INSERT ON {s}.audit_log TO {r}",
        f"REVOKE ALL ON {s}.alembic_version FROM {r}",
        f"GRANT SELECT ON {s}.alembic_version TO {r}",
    ]


def grant_runtime(connection: Connection, schema: str, role: str) -> None:
    for statement in grant_statements(schema, role):
        connection.execute(text(statement))
    connection.commit()


def _not_messaging(obj: object, name: str | None, type_: str, reflected: bool, compare_to: object) -> bool:
    """Autogenerate leaves the messaging tables alone: ``create_messaging_tables`` owns them."""
    return not (type_ == "table" and name in MESSAGING_TABLES)


def create_messaging_tables(service: str) -> None:
    """For a service's first migration: its outbox, inbox and dead-letter tables."""
    for table in add_messaging_tables(service_metadata(service)):
        table.create(op.get_bind())


def create_audit_log(service: str) -> None:
    """For a service's audit migration: the hash-chained log and its append-only trigger (shared/audit.py)."""
    metadata = service_metadata(service)
    add_messaging_tables(metadata)
    metadata.tables[f"{service}.audit_log"].create(op.get_bind())
    for statement in append_only_trigger_sql(context.config.attributes.get("schema", service)):
        op.execute(statement)


def key_audit_chain(service: str) -> None:
    """For a service's keyed-chain migration: position, key id, place and status on every entry, and
    TRUNCATE refused too. Idempotent (a fresh database already has the columns from ``create_audit_log``);
    entries written before keep their plain SHA-256 chain and get their positions (seq) numbered here, as
    the owner, with the append-only trigger lifted for that one statement."""
    schema = context.config.attributes.get("schema", service)
    table = f'"{schema}".audit_log'
    for column in (
        "seq BIGINT",
        "key_id VARCHAR(32)",
        "county_code VARCHAR(12)",
        "township_code VARCHAR(12)",
        "status SMALLINT",
    ):
        op.execute(f"ALTER TABLE {table} ADD COLUMN IF NOT EXISTS {column}")
    op.execute(f"ALTER TABLE {table} DISABLE TRIGGER audit_log_append_only")
    # the schema name comes from the deployment's settings, never from input
    numbered = f"SELECT id, row_number() OVER (ORDER BY id) AS seq FROM {table}"  # noqa: S608
    op.execute(f"UPDATE {table} a SET seq = n.seq FROM ({numbered}) n WHERE a.id = n.id AND a.seq IS NULL")  # noqa: S608
    op.execute(f"ALTER TABLE {table} ENABLE TRIGGER audit_log_append_only")
    op.execute(f"ALTER TABLE {table} ALTER COLUMN seq SET NOT NULL")
    op.execute(f"CREATE UNIQUE INDEX IF NOT EXISTS uq_audit_log_seq ON {table} (seq)")
    op.execute(f"CREATE INDEX IF NOT EXISTS ix_audit_log_place ON {table} (county_code, township_code, id)")
    op.execute(f"CREATE INDEX IF NOT EXISTS ix_audit_log_at ON {table} (at)")
    op.execute(no_truncate_trigger_sql(schema))


def unkey_audit_chain(service: str) -> None:
    schema = context.config.attributes.get("schema", service)
    table = f'"{schema}".audit_log'
    op.execute(f"DROP TRIGGER IF EXISTS audit_log_no_truncate ON {table}")
    for column in ("status", "township_code", "county_code", "key_id", "seq"):
        op.execute(f"ALTER TABLE {table} DROP COLUMN IF EXISTS {column}")


def drop_audit_log(service: str) -> None:
    schema = context.config.attributes.get("schema", service)
    op.execute(f'DROP TABLE IF EXISTS "{schema}".audit_log')
    op.execute(f'DROP FUNCTION IF EXISTS "{schema}".audit_log_append_only()')


def drop_messaging_tables(service: str) -> None:
    for table in reversed(add_messaging_tables(service_metadata(service))):
        table.drop(op.get_bind())
