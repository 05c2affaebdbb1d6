"""Async engine and sessions; every service keeps its tables in its own PostgreSQL schema."""

from __future__ import annotations

from typing import Any

import orjson
from sqlalchemy import MetaData
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker, create_async_engine

NAMING_CONVENTION = {
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


def service_metadata(schema: str) -> MetaData:
    """Metadata for one service's schema, with the project's constraint naming convention."""
    return MetaData(schema=schema, naming_convention=NAMING_CONVENTION)


def json_dumps(value: Any) -> str:
    """JSON for JSONB columns through orjson (several times faster than the standard library; the same
    JSON: non-string keys become strings as ``json.dumps`` makes them)."""
    return orjson.dumps(value, option=orjson.OPT_NON_STR_KEYS).decode()


def make_engine(
    url: str, *, schema: str, configured_schema: str, pool_size: int, app_name: str
) -> AsyncEngine:
    """An asyncpg engine; ``schema_translate_map`` lets a deployment rename the service's schema.

    Connections are opened as needed up to ``pool_size`` and kept (no overflow: under a burst each one was
    opened and closed again around a request, a backend start and the driver's set-up each time, 1.8 per
    bench case). No pre-ping: it cost a round trip per checkout. A connection found dead raises a
    disconnect error, which invalidates the whole pool (every older connection is replaced on its next
    checkout), and the callers retry: consumers treat it as an outage (shared/inbox.py), the relay polls
    again."""
    engine = create_async_engine(
        url,
        pool_size=pool_size,
        max_overflow=0,  # an overflow connection is closed on return: a burst reconnected per request
        pool_recycle=1800,
        json_serializer=json_dumps,
        json_deserializer=orjson.loads,
        connect_args={"server_settings": {"application_name": app_name}},
    )
    if configured_schema != schema:
        engine = engine.execution_options(schema_translate_map={schema: configured_schema})
    return engine


def make_sessions(engine: AsyncEngine) -> async_sessionmaker[AsyncSession]:
    return async_sessionmaker(engine, expire_on_commit=False)
