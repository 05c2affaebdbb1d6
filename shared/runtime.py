"""What one running service holds: its settings, database, bus, outbox relay, consumers and cipher."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import math
import re
from collections.abc import AsyncIterator, Awaitable, Callable, Coroutine, Mapping, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from fastapi import APIRouter
from sqlalchemy import MetaData, Table, text
from sqlalchemy.ext.asyncio import AsyncSession

from shared import audit, clock
from shared.access import Actor, current_actor, current_request_audit
from shared.audit_anchor import Anchor, make_anchor, make_checkpoint, signature_valid
from shared.bus import Bus
from shared.contracts.processing import BY_SERVICE, REASON_LIMIT
from shared.crypto import FieldCipher
from shared.db import make_engine, make_sessions
from shared.events import Envelope
from shared.inbox import ConsumerWorker, Handler, dead_letter_context
from shared.outbox import Outbox, OutboxRelay, wrote_events
from shared.reencrypt import Progress, Rotation, SealedColumn
from shared.retention import RetentionSpec
from shared.settings import ServiceSettings

log = logging.getLogger("assistance.runtime")


CASE_ID = re.compile(r"^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$")


def is_case_id(subject: str | None) -> bool:
    """Events about a case carry its id (a UUID) as subject; others (policy coverage, partner refs) do not."""
    return subject is not None and CASE_ID.match(subject) is not None


def visible_reason(error: str) -> str:
    """What a clerk or operator may read: a consumer's own refusal (``poison: ...``) as written; for any
    other failure only the error's kind, since an exception's text may quote stored values."""
    if error.startswith("poison: "):
        return error.removeprefix("poison: ")[:REASON_LIMIT]
    kind = re.match(r"handler failed: (\w+)", error)
    if kind:
        return f"the service failed to apply the event ({kind.group(1)}); an operator can replay it"
    return "the event could not be read (invalid payload); an operator must look at the dead letter"


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
    background: Sequence[Callable[[Runtime], Coroutine[Any, Any, None]]] = ()
    on_start: Callable[[Runtime], Awaitable[None]] | None = None
    on_dead_letter: Callable[[Runtime, AsyncSession, Envelope, str], Awaitable[None]] | None = None
    """Makes a dead letter about a case visible on the case; default: announce
    ``gov.assistance.<service>.case-processing-failed.v1`` (intake shows the case ``needs_attention``)."""
    state_gauges: Callable[[Runtime], Awaitable[None]] | None = None
    """Reads the service's own tables when /metrics is scraped and replaces its series of the snapshot
    gauges in shared/observability.py (cases by state, reserve funds); labels never carry personal data."""
    sealed: Sequence[SealedColumn] = ()
    """Its columns holding ciphertext, for ``python -m services <service> reencrypt`` (shared/reencrypt)."""
    retention: RetentionSpec | None = None
    """When its cases are closed and where each data class's personal data lies, for the retention job
    (shared/retention.py, R-RET-2)."""
    rotations: Sequence[Callable[[Runtime, Rotation], Awaitable[Progress]]] = ()
    """Ciphertext kept outside its sealed columns that ``reencrypt`` moves to the current key too (intake:
    documents' content in the content store), each resumable and idempotent like a column."""

    @property
    def sealed_columns(self) -> tuple[SealedColumn, ...]:
        """``sealed`` and what every service has: its dead letters' payloads (shared/inbox.py), where rows
        from before they were sealed still hold plaintext (the run seals them)."""
        dead_letters = SealedColumn(
            f"{self.name}.dead_letter", "value", dead_letter_context(self.name), legacy_plaintext=True
        )
        return (*self.sealed, dead_letters)


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
        self._watchers: list[asyncio.Event] = []
        self.cipher = FieldCipher(
            s.encryption_keys, s.blind_index_key, suite=s.crypto_suite, blind_index_suite=s.blind_index_suite
        )
        self.audit_keys = audit.AuditKeys(s.audit_keys, s.crypto_suite)
        self.anchor: Anchor = make_anchor(s, self.bus)

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
        """One unit of work: commit on success (state and outbox together), then wake the relay if it
        wrote events. An API call's first change commits with the request's audit entry, or not at all."""
        actor, record = current_actor(), current_request_audit()
        due = actor is not None and not (record is not None and record.written)
        async with self.sessions() as session, session.begin():
            yield session
            if due and actor is not None:
                place = audit.Place(*record.place()) if record is not None else audit.Place()
                await audit.append(session, self.audit_table, self.audit_keys, actor, "change", place=place)
        if due and record is not None:
            record.written = True
        if wrote_events(session):
            self.relay.wake()
        if actor is not None:  # a person's or a system's change may have queued work for the loops
            for watcher in self._watchers:
                watcher.set()

    @asynccontextmanager
    async def reading(self) -> AsyncIterator[AsyncSession]:
        """A read-only session. Within an API call the read is recorded before the response starts
        (shared/audit_http.py); outside one (no request record) the read and its entry share one
        transaction, and a read that fails is recorded as well."""
        actor = current_actor()
        record_here = actor is not None and current_request_audit() is None
        async with self.sessions() as session:
            try:
                async with session.begin():
                    yield session
                    if record_here and actor is not None:
                        await audit.append(session, self.audit_table, self.audit_keys, actor, "read")
            except Exception:
                if record_here and actor is not None:
                    async with self.sessions() as failed, failed.begin():
                        await audit.append(failed, self.audit_table, self.audit_keys, actor, "read")
                raise

    async def record_request(self, actor: Actor, kind: str, place: audit.Place, status: int) -> None:
        """The one entry of a request that changed nothing: its read, or its refusal (own transaction)."""
        async with self.sessions() as session, session.begin():
            await audit.append(
                session, self.audit_table, self.audit_keys, actor, kind, place=place, status=status
            )

    async def checkpoint(self) -> dict[str, Any] | None:
        """Write a signed checkpoint of the audit chain outside the database (None: the log is empty)."""
        async with self.sessions() as session:
            made = await make_checkpoint(session, self.audit_table, self.audit_keys, self.name)
        if made is not None:
            await self.anchor.write(made)
        return made

    async def verify_audit(self) -> audit.Verdict:
        """The chain recomputed and held against the latest checkpoint outside the database."""
        latest = await self.anchor.latest()
        async with self.sessions() as session:
            if latest is not None and not signature_valid(self.audit_keys, latest):
                verdict = await audit.verify(session, self.audit_table, self.audit_keys)
                verdict.broken("the latest checkpoint's signature is not valid (forged or altered)")
                return verdict
            return await audit.verify(session, self.audit_table, self.audit_keys, latest)

    async def checkpoint_periodically(self) -> None:
        """Background: a checkpoint whenever the chain has grown, every AUDIT_CHECKPOINT_INTERVAL_SECONDS."""
        last: object = None
        while True:
            try:
                async with self.sessions() as session:
                    now = await audit.head(session, self.audit_table)
                if now is not None and now != last:
                    await self.checkpoint()
                    last = now
            except Exception:  # noqa: BLE001 - retried next round; a missing checkpoint shows in verify
                log.warning("audit checkpoint failed", exc_info=True)
            await asyncio.sleep(self.settings.audit_checkpoint_interval_seconds)

    async def database_role_is_privileged(self) -> bool:
        """Does the runtime's database role exceed least privilege on the audit log (superuser, owner,
        or UPDATE/DELETE/TRUNCATE/TRIGGER on it)?"""
        table = f'"{self.settings.schema_name}".audit_log'
        query = text(
            "SELECT r.rolsuper OR pg_has_role(c.relowner, 'USAGE') "
            "OR has_table_privilege(CAST(:t AS regclass), 'UPDATE, DELETE, TRUNCATE, TRIGGER') "
            "FROM pg_roles r, pg_class c WHERE r.rolname = current_user AND c.oid = CAST(:t AS regclass)"
        )
        async with self.engine.connect() as conn:
            return bool((await conn.execute(query, {"t": table})).scalar())

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
            cipher=self.cipher,
            max_attempts=s.consumer_max_attempts,
            backoff=s.consumer_retry_backoff_seconds,
            after_commit=self._consumed,
            on_dead_letter=self._case_failed,
        )

    def _consumed(self) -> None:
        self.relay.wake()
        for watcher in self._watchers:
            watcher.set()

    def watch(self) -> asyncio.Event:
        """An event set after every commit of an event this runtime consumed, for one background loop
        (notices, webhooks) to wait on instead of polling an idle database every second. The loop clears
        it before it looks for work, so a commit during the look is never missed."""
        watcher = asyncio.Event()
        self._watchers.append(watcher)
        return watcher

    async def _case_failed(self, session: AsyncSession, envelope: Envelope, error: str) -> None:
        """No dead letter about a case is invisible on that case (in the dead-letter transaction)."""
        reason = visible_reason(error)
        if self.module.on_dead_letter is not None:
            await self.module.on_dead_letter(self, session, envelope, reason)
            return
        failed = BY_SERVICE.get(self.name)
        if failed is None or not is_case_id(envelope.subject):
            return  # not about a case (e.g. policy coverage): the dead letter itself is the record
        payload = failed(
            case_id=envelope.subject,
            service=self.name,
            failed_event_type=envelope.type,
            failed_event_id=envelope.id,
            reason=reason,
            failed_at=clock.now(),
        )
        await self.outbox.add(session, payload, subject=envelope.subject)

    async def database_ready(self) -> bool:
        try:
            async with self.engine.connect() as conn:
                await asyncio.wait_for(conn.execute(text("SELECT 1")), 3)
            return True
        except Exception:  # readiness reports, never raises
            return False

    async def close(self, grace: float = 10.0) -> None:
        """Stop the consumer, relay and background tasks, then the database pool. A task that does not end
        within ``grace`` seconds of its cancellation is named in the log and left behind: a shutdown never
        hangs (what it had not committed is rolled back by the database; the outbox and inbox redo it)."""
        for task in self.tasks:
            task.cancel()
        if self.tasks:
            _, pending = await asyncio.wait(self.tasks, timeout=grace)
            for task in pending:
                log.error("task did not stop on cancellation", extra={"task": task.get_name()})
        self.tasks.clear()
        try:
            await asyncio.wait_for(self.engine.dispose(), grace)
        except TimeoutError:
            log.error("database pool did not close", extra={"service": self.name})


class IdleBackoff:
    """How long a background loop rests when it found too little to do: ``poll`` seconds at first,
    doubling while nothing comes up to ten times ``poll``, back to ``poll`` when there was work or a
    consumed event woke it (``Runtime.watch``). An idle service then reads its database every few
    seconds instead of every second, and new work is still picked up at once.

    Under load every consumed event wakes the loop, and each look is a transaction, most finding nothing
    (the event queued no work for this loop). So looks are at least ``gap`` apart (half a poll, at most
    half a second): the wake-ups of that span are served by one look, which sees every commit made before
    it (the watcher is cleared before the look), so nothing is missed and a notice or push waits at most
    ``gap`` longer."""

    def __init__(self, watcher: asyncio.Event, poll: float) -> None:
        self.watcher, self.poll, self.delay = watcher, poll, poll
        self.gap = min(poll / 2, 0.5)
        self._looked = -math.inf

    def looking(self) -> None:
        """Call before looking for work: a commit during the look then ends the next rest."""
        self.watcher.clear()
        self._looked = asyncio.get_running_loop().time()

    async def rest(self, found: int) -> None:
        if found:
            self.delay = self.poll
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self.watcher.wait(), self.delay)
        woken = self.watcher.is_set()
        self.delay = self.poll if woken else min(self.delay * 2, self.poll * 10)
        if woken:  # let the wake-ups of the next moments share one look
            await asyncio.sleep(max(0.0, self._looked + self.gap - asyncio.get_running_loop().time()))
