"""Alembic, per service: each service's migrations live in ``services/<name>/migrations`` and keep their
version table inside the service's own schema.

Migrations are frozen: each revision writes out its own DDL (``op.create_table`` with explicit columns, or
literal SQL) and imports nothing from the project, so a later edit of ``tables.py``, ``shared/messaging.py``
or ``shared/audit.py`` cannot change what an old revision creates. A change of a model needs a new revision;
``tests/service/test_schema_matches_models.py`` fails until the migrated schema and the models agree.

Migrations run as the owner role (``MIGRATION_DATABASE_URL``); after every upgrade the runtime role (the user
of ``DATABASE_URL``) is granted ordinary DML on the service's tables and only INSERT and SELECT on its audit
log — no UPDATE, DELETE, TRUNCATE or trigger changes (least privilege, see shared/audit.py)."""

from __future__ import annotations

import asyncio
import zlib
from pathlib import Path

from alembic import command, context
from alembic.config import Config
from sqlalchemy import MetaData, text
from sqlalchemy.engine import Connection, make_url
from sqlalchemy.ext.asyncio import create_async_engine


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
    if url is None:
        raise RuntimeError("alembic_config() sets sqlalchemy.url; this config has none")

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
