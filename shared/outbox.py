"""Transactional outbox: events are rows written in the same transaction as the state change; a relay
publishes them in order and marks them sent. One relay per service works at a time (advisory lock), so
per-case order holds even with several replicas."""

from __future__ import annotations

import asyncio
import logging
import zlib
from collections.abc import Sequence
from typing import Any

import orjson
from opentelemetry.trace import Status, StatusCode
from sqlalchemy import BigInteger, Table, any_, bindparam, delete, func, select, update
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession

from shared import telemetry
from shared.bus import Bus, Record
from shared.events import CLOUDEVENTS_CONTENT_TYPE, Envelope, Event
from shared.logging import current
from shared.observability import EVENTS_PUBLISHED

log = logging.getLogger("assistance.outbox")
LOCKED = -1
"""What ``relay_once`` returns when another relay of the same service holds the relay lock."""


WROTE_EVENTS = "assistance.outbox.wrote_events"
"""``session.info`` key set by :meth:`Outbox.add`: the transaction has events for the relay."""


def wrote_events(session: AsyncSession) -> bool:
    """Did this session's unit of work write outbox rows (so its commit should wake the relay)?"""
    return bool(session.info.get(WROTE_EVENTS))


class Outbox:
    """Writes events into the caller's transaction."""

    def __init__(self, table: Table, *, service: str, topic: str) -> None:
        self.table, self.service, self.topic = table, service, topic
        self.source = f"/assistance/{service}"
        self._insert = table.insert()
        """Built once: each event only binds its values (the compiled form is cached by SQLAlchemy)."""

    async def add(
        self,
        session: AsyncSession,
        payload: Event,
        *,
        subject: str | None,
        topic: str | None = None,
        key: str | None = None,
    ) -> Envelope:
        envelope, row = self._row(payload, subject=subject, topic=topic or self.topic, key=key)
        session.info[WROTE_EVENTS] = True
        await session.execute(self._insert, row)
        return envelope

    def _row(
        self, payload: Event, *, subject: str | None, topic: str, key: str | None
    ) -> tuple[Envelope, dict[str, Any]]:
        envelope = Envelope.wrap(payload, source=self.source, subject=subject)
        # A producer span, child of the request's or the consumed event's span: the event carries its
        # traceparent, so consumers continue the same trace.
        envelope.traceparent = telemetry.producer_traceparent(
            self.service, topic=topic, event_id=envelope.id, event_type=envelope.type
        ) or current("traceparent")
        return envelope, {
            "event_id": envelope.id,
            "event_type": envelope.type,
            "topic": topic,
            "key": key if key is not None else subject,
            "envelope": envelope.model_dump(mode="json", exclude_none=True),
        }


class OutboxRelay:
    def __init__(
        self,
        *,
        engine: AsyncEngine,
        table: Table,
        bus: Bus,
        service: str,
        poll_interval: float,
        batch_size: int,
        max_idle: float = 2.0,
    ) -> None:
        self.engine, self.table, self.bus, self.service = engine, table, bus, service
        self.poll_interval, self.batch_size = poll_interval, batch_size
        self.max_idle = max(max_idle, poll_interval)
        self._mark_sent = (  # one statement for any batch size (an IN list would be a new one per size)
            update(table)
            .where(table.c.id == any_(bindparam("ids", type_=ARRAY(BigInteger))))
            .values(published_at=func.now())
        )
        self._wake = asyncio.Event()
        self._lock_key = zlib.crc32(f"outbox:{table.schema}".encode())

    def wake(self) -> None:
        """Called after a commit that wrote outbox rows (same process): the relay sends them at once."""
        self._wake.set()

    async def run(self) -> None:
        """Relay until cancelled. Between batches it waits for a wake-up; without one it polls, backing off
        from ``poll_interval`` to ``max_idle`` (rows left by a crash or written by another process), so an
        idle service costs next to nothing. A wake-up does not shorten that fallback: the rows of this
        process's commits arrive with their wake-ups, so polling soon after them found nothing but cost a
        transaction each time a burst of work ended. Only a relay that found another replica's relay at work
        (``LOCKED``) looks again soon, since that replica may not know this one's rows."""
        idle = self.poll_interval
        while True:
            self._wake.clear()  # before reading: a commit that lands during the read wakes the next wait
            try:
                sent = await self.relay_once()
            except asyncio.CancelledError:
                raise
            except Exception as exc:  # keep relaying after broker/database outages
                log.warning("outbox relay failed; retrying", extra={"error": repr(exc)[:300]})
                sent = 0
                await asyncio.sleep(min(5.0, self.poll_interval * 10))
            if sent >= self.batch_size:
                continue
            if sent == LOCKED:  # another replica is relaying: look again soon, it may not know our rows
                idle = self.poll_interval
            try:
                await asyncio.wait_for(self._wake.wait(), idle)
            except TimeoutError:
                idle = min(self.max_idle, idle * 2)

    async def relay_once(self) -> int:
        """Publish one batch of unsent rows; returns how many were sent (``LOCKED`` when another relay of
        this service holds the lock). A poll that finds nothing rolls back: it never commits."""
        t = self.table
        async with self.engine.connect() as conn:
            got = await conn.scalar(select(func.pg_try_advisory_xact_lock(self._lock_key)))
            if not got:
                await conn.rollback()
                return LOCKED
            rows = (
                await conn.execute(
                    select(t.c.id, t.c.topic, t.c.key, t.c.envelope, t.c.event_type)
                    .where(t.c.published_at.is_(None))
                    .order_by(t.c.id)
                    .limit(self.batch_size)
                )
            ).all()
            if not rows:
                await conn.rollback()
                return 0
            spans = [
                telemetry.send_span(
                    self.service,
                    topic=r.topic,
                    event_id=r.envelope["id"],
                    event_type=r.event_type,
                    traceparent=r.envelope.get("traceparent"),
                )
                for r in rows
            ]
            try:
                await self.bus.publish([_record(r.topic, r.key, r.envelope) for r in rows])
            except BaseException as exc:
                for span in spans:
                    span.record_exception(exc)
                    span.set_status(Status(StatusCode.ERROR, type(exc).__name__))
                    span.end()
                raise
            for span in spans:
                span.end()
            await conn.execute(self._mark_sent, {"ids": [r.id for r in rows]})
            await conn.commit()
        for r in rows:
            EVENTS_PUBLISHED.labels(self.service, r.event_type).inc()
        return len(rows)

    async def backlog(self) -> tuple[int, float]:
        """Unsent rows and the age in seconds of the oldest one."""
        t = self.table
        async with self.engine.connect() as conn:
            row = (
                await conn.execute(
                    select(
                        func.count(),
                        func.coalesce(func.extract("epoch", func.now() - func.min(t.c.created_at)), 0),
                    ).where(t.c.published_at.is_(None))
                )
            ).one()
        return int(row[0]), float(row[1])


def _record(topic: str, key: str | None, envelope: dict[str, Any]) -> Record:
    headers = {"content-type": CLOUDEVENTS_CONTENT_TYPE, "ce_type": envelope["type"], "ce_id": envelope["id"]}
    if envelope.get("traceparent"):
        headers["traceparent"] = envelope["traceparent"]
    return Record(topic=topic, key=key, value=orjson.dumps(envelope), headers=headers)


async def purge_published(engine: AsyncEngine, table: Table, *, older_than_days: int) -> int:
    """Delete rows published long ago (the topic and the consumers' inboxes keep the history)."""
    cutoff = func.now() - func.make_interval(0, 0, 0, older_than_days)
    async with engine.begin() as conn:
        result = await conn.execute(delete(table).where(table.c.published_at < cutoff))
    return result.rowcount or 0


__all__: Sequence[str] = ("Outbox", "OutboxRelay", "purge_published", "wrote_events")
