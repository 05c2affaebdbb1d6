"""What one running service holds: its settings, database, bus, outbox relay, consumers and cipher."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from pathlib import Path

from fastapi import APIRouter
from sqlalchemy import MetaData, Table, text
from sqlalchemy.ext.asyncio import AsyncSession

from shared import audit
from shared.access import current_actor
from shared.bus import Bus
from shared.crypto import FieldCipher
from shared.db import make_engine, make_sessions
from shared.inbox import ConsumerWorker, Handler
from shared.outbox import Outbox, OutboxRelay
from shared.settings import ServiceSettings

log = logging.getLogger("assistance.runtime")


@dataclass(frozen=True)
class ServiceModule:
    """Everything the app factory needs to know about one service; each service exports one as MODULE."""

    name: str
    settings_cls: type[ServiceSettings]
    router: APIRouter
    metadata: MetaData
    migrations: Path
    consumes: Sequence[str] = ()
    """Services whose topics this one reads."""
    handlers: Callable[[Runtime], Mapping[str, Handler]] = lambda runtime: {}
    extra_topics: Sequence[str] = ()
    """Topic names (without prefix) it also produces to, e.g. ``referral.partner``."""
    background: Sequence[Callable[[Runtime], Awaitable[None]]] = ()
    on_start: Callable[[Runtime], Awaitable[None]] | None = None
    state_gauges: Callable[[Runtime], Awaitable[None]] | None = None
    """Reads the service's own tables when /metrics is scraped and replaces its series of the snapshot
    gauges in shared/observability.py (cases by state, reserve funds); labels never carry personal data."""


@dataclass
class Runtime:
    module: ServiceModule
    settings: ServiceSettings
    bus: Bus
    tasks: list[asyncio.Task[None]] = field(default_factory=list)
    worker: ConsumerWorker | None = None
    """The running consumer (set by the app at launch), for its lag."""

    def __post_init__(self) -> None:
        s, name = self.settings, self.module.name
        if not s.database_url:
            raise RuntimeError(f"{name}: no database URL configured ({name.upper()}_DATABASE_URL)")
        self.engine = make_engine(
            s.database_url,
            schema=name,
            configured_schema=s.schema_name,
            pool_size=s.database_pool_size,
            app_name=f"assistance-{name}",
        )
        self.sessions = make_sessions(self.engine)
        tables = self.module.metadata.tables
        self.outbox_table: Table = tables[f"{name}.outbox"]
        self.inbox_table: Table = tables[f"{name}.inbox"]
        self.dead_letter_table: Table = tables[f"{name}.dead_letter"]
        self.audit_table: Table = tables[f"{name}.audit_log"]
        self.outbox = Outbox(self.outbox_table, service=name, topic=s.topic(name))
        self.relay = OutboxRelay(
            engine=self.engine,
            table=self.outbox_table,
            bus=self.bus,
            service=name,
            poll_interval=s.outbox_poll_interval_seconds,
            batch_size=s.outbox_batch_size,
            max_idle=s.outbox_max_idle_seconds,
        )
        self.cipher = FieldCipher(s.encryption_keys, s.blind_index_key)

    @property
    def name(self) -> str:
        return self.module.name

    def topic(self, name: str) -> str:
        """Full topic name for ``intake`` or ``referral.partner``."""
        return f"{self.settings.topic_prefix}.{name}.v1"

    def topics_used(self) -> list[str]:
        own = [self.topic(self.name), self.settings.dead_letter_topic()]
        return own + [self.topic(t) for t in (*self.module.extra_topics, *self.module.consumes)]

    @asynccontextmanager
    async def transaction(self) -> AsyncIterator[AsyncSession]:
        """One unit of work: commit on success (state and outbox together), then wake the relay."""
        actor = current_actor()
        async with self.sessions() as session, session.begin():
            yield session
            if actor is not None:  # an API call's change commits with its audit entry, or not at all
                await audit.append(session, self.audit_table, actor, "change")
        self.relay.wake()

    @asynccontextmanager
    async def reading(self) -> AsyncIterator[AsyncSession]:
        """A read and its audit entry in one transaction: the entry commits before the response is sent,
        so nothing is disclosed unrecorded. A read that fails (not found, refused) is recorded as well."""
        actor = current_actor()
        async with self.sessions() as session:
            try:
                async with session.begin():
                    yield session
                    if actor is not None:
                        await audit.append(session, self.audit_table, actor, "read")
            except Exception:
                if actor is not None:
                    async with self.sessions() as failed, failed.begin():
                        await audit.append(failed, self.audit_table, actor, "read")
                raise

    def consumer(self) -> ConsumerWorker | None:
        if not self.module.consumes:
            return None
        s = self.settings
        return ConsumerWorker(
            service=self.name,
            bus=self.bus,
            group=s.group_id,
            topics=[self.topic(t) for t in self.module.consumes],
            handlers=self.module.handlers(self),
            sessions=self.sessions,
            inbox=self.inbox_table,
            dead_letter=self.dead_letter_table,
            dead_letter_topic=s.dead_letter_topic(),
            max_attempts=s.consumer_max_attempts,
            backoff=s.consumer_retry_backoff_seconds,
            after_commit=self.relay.wake,
        )

    async def database_ready(self) -> bool:
        try:
            async with self.engine.connect() as conn:
                await asyncio.wait_for(conn.execute(text("SELECT 1")), 3)
            return True
        except Exception:  # noqa: BLE001 - readiness reports, never raises
            return False

    async def close(self) -> None:
        for task in self.tasks:
            task.cancel()
        await asyncio.gather(*self.tasks, return_exceptions=True)
        self.tasks.clear()
        await self.engine.dispose()
