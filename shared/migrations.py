"""Alembic, per service: each service's migrations live in ``services/<name>/migrations`` and keep their
version table inside the service's own schema."""

from __future__ import annotations

import asyncio
import zlib
from pathlib import Path

from alembic import command, context, op
from alembic.config import Config
from sqlalchemy import MetaData, text
from sqlalchemy.engine import Connection
from sqlalchemy.ext.asyncio import create_async_engine

from shared.audit import append_only_trigger_sql
from shared.db import service_metadata
from shared.messaging import add_messaging_tables

MESSAGING_TABLES = {"outbox", "inbox", "dead_letter", "audit_log"}


def alembic_config(migrations: Path, *, url: str, service: str, schema: str) -> Config:
    cfg = Config()
    cfg.set_main_option("script_location", str(migrations))
    cfg.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    cfg.attributes.update(service=service, schema=schema)
    return cfg


def upgrade(migrations: Path, *, url: str, service: str, schema: str, revision: str = "head") -> None:
    """Run in a thread of its own (env.py uses asyncio.run)."""
    command.upgrade(alembic_config(migrations, url=url, service=service, schema=schema), revision)


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
            include_object=_not_messaging,
        )
        with context.begin_transaction():
            context.run_migrations()
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


def drop_audit_log(service: str) -> None:
    schema = context.config.attributes.get("schema", service)
    op.execute(f'DROP TABLE IF EXISTS "{schema}".audit_log')
    op.execute(f'DROP FUNCTION IF EXISTS "{schema}".audit_log_append_only()')


def drop_messaging_tables(service: str) -> None:
    for table in reversed(add_messaging_tables(service_metadata(service))):
        table.drop(op.get_bind())
