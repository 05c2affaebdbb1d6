"""Frozen migrations and the models agree: each service's migrations, run on a fresh database, produce
exactly the schema its ``tables.py`` metadata describes (alembic's ``compare_metadata``: no difference in
tables, columns, types, nullability, server defaults, indexes or constraints). Migrations carry their own
DDL, so a change of a model without a new revision fails here."""

from __future__ import annotations

import asyncio
import re
from pathlib import Path
from typing import Any

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy.engine import Connection
from sqlalchemy.ext.asyncio import create_async_engine

from services import SERVICE_NAMES
from services.registry import module
from shared.migrations import upgrade
from tests.conftest import create_database

ROOT = Path(__file__).resolve().parents[2]


def _differences(connection: Connection, service: str) -> list[Any]:
    context = MigrationContext.configure(
        connection,
        opts={
            "compare_type": True,
            "compare_server_default": True,
            "include_schemas": True,
            "include_name": lambda name, type_, parent: type_ != "schema" or name == service,
        },
    )
    return [
        diff
        for diff in compare_metadata(context, module(service).metadata)
        if not (diff[0] == "remove_table" and diff[1].name == "alembic_version")
    ]


@pytest.mark.parametrize("service", SERVICE_NAMES)
async def test_the_migrated_schema_is_what_the_models_describe(pg_server_url: str, service: str) -> None:
    url = await create_database(pg_server_url, prefix=f"schema_{service}")
    mod = module(service)
    await asyncio.to_thread(upgrade, mod.migrations, url=url, service=service, schema=service)
    engine = create_async_engine(url)
    try:
        async with engine.connect() as conn:
            differences = await conn.run_sync(_differences, service)
    finally:
        await engine.dispose()
    assert differences == [], f"{service}: models and migrations differ (add a revision): {differences}"


@pytest.mark.parametrize(
    "path", sorted(ROOT.glob("services/*/migrations/versions/*.py")), ids=lambda p: p.name
)
def test_a_migration_imports_nothing_of_the_project(path: Path) -> None:
    """Frozen DDL: a revision depends on alembic and SQLAlchemy only, never on today's tables or helpers."""
    imports = re.findall(r"^\s*(?:from|import)\s+([\w.]+)", path.read_text(), re.M)
    foreign = [name for name in imports if name.split(".")[0] not in {"alembic", "sqlalchemy", "__future__"}]
    assert foreign == [], f"{path.relative_to(ROOT)} imports {foreign}"
