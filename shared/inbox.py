"""Idempotent consumption: a handler's effects and the record of its event commit in one transaction,
and the bus offset is committed only after that, so a redelivered event never applies twice.

A payload that does not parse, or a handler that keeps failing for a reason other than an outage, sends
the event to the dead-letter topic (and the service's ``dead_letter`` table) after bounded attempts; the
partition moves on. Outages (database or broker unreachable) are retried without limit and never
dead-lettered, since the event is not at fault.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass

from opentelemetry.trace import Span, Status, StatusCode
from pydantic import ValidationError
from sqlalchemy import Table, bindparam
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.exc import DBAPIError, InterfaceError, OperationalError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from shared import telemetry
from shared.bus import Bus, Message, Record, Subscription
from shared.crypto import FieldCipher
from shared.events import Envelope, Event
from shared.logging import log_context, trace_context
from shared.observability import DEAD_LETTERS, EVENTS_CONSUMED
from shared.outbox import wrote_events

log = logging.getLogger("assistance.inbox")

Handler = Callable[[AsyncSession, Envelope, Event], Awaitable[None]]
DeadLetterHook = Callable[[AsyncSession, Envelope, str], Awaitable[None]]
"""Runs in the dead-letter record's transaction: makes the failure visible on the case (needs_attention)."""


def dead_letter_context(service: str) -> str:
    """The associated data a dead letter's stored payload is sealed with (one per service's table)."""
    return f"{service}.dead_letter.value"


def open_dead_letter(cipher: FieldCipher, service: str, stored: str) -> str:
    """A dead letter's payload as received. Rows written before payloads were sealed hold it in the clear
    until ``python -m services <service> reencrypt`` seals them; DecryptionError for a sealed one no
    configured key opens."""
    if not FieldCipher.is_sealed(stored):
        return stored
    return cipher.decrypt(stored, context=dead_letter_context(service))


def _without_input(exc: ValidationError) -> str:
    """A validation error without the values it refused (a payload's personal data)."""
    problems = "; ".join(
        f"{'.'.join(str(p) for p in e['loc']) or '(root)'}: {e['msg']}"
        for e in exc.errors(include_url=False, include_input=False, include_context=False)
    )
    return f"{exc.error_count()} validation error(s) for {exc.title}: {problems}"


class PoisonEvent(Exception):
    """Raised by a handler when an event can never be applied: dead-letter it at once."""


OUTAGE_SQLSTATES = ("08", "53", "57P")
"""Connection exceptions, insufficient resources, operator intervention (shutting down, starting up)."""


def is_outage(exc: BaseException) -> bool:
    """True when the database or broker is unreachable: the event is not at fault, so retry forever."""
    seen: BaseException | None = exc
    while seen is not None:
        if isinstance(seen, (OSError, ConnectionError, TimeoutError, InterfaceError, OperationalError)):
            return True
        if isinstance(seen, DBAPIError) and seen.connection_invalidated:
            return True
        state = getattr(getattr(seen, "orig", None), "sqlstate", None) or getattr(seen, "sqlstate", None)
        if isinstance(state, str) and state.startswith(OUTAGE_SQLSTATES):
            return True
        seen = seen.__cause__
    return False


@dataclass
class ConsumerWorker:
    service: str
    bus: Bus
    group: str
    topics: Sequence[str]
    handlers: Mapping[str, Handler]
    sessions: async_sessionmaker[AsyncSession]
    inbox: Table
    dead_letter: Table
    dead_letter_topic: str
    cipher: FieldCipher
    """Seals each dead letter's stored payload (the raw message: a lead's name and ID number, ...)."""
    max_attempts: int = 3
    backoff: float = 0.2
    after_commit: Callable[[], None] = lambda: None
    subscription: Subscription | None = None
    on_dead_letter: DeadLetterHook | None = None

    def __post_init__(self) -> None:
        self._record = (  # built once; each event only binds its values
            insert(self.inbox)
            .values({c: bindparam(c) for c in ("event_id", "event_type", "topic", "partition", "offset")})
            .on_conflict_do_nothing(index_elements=["event_id"])
            .returning(self.inbox.c.event_id)
        )

    async def run(self) -> None:
        subscription = self.subscription = self.bus.subscribe(self.group, self.topics)
        await self._start(subscription)
        try:
            while True:
                await self.process_batch(subscription, await subscription.fetch_partitions(timeout=1.0))
        finally:
            await subscription.stop()

    async def process_batch(
        self, subscription: Subscription, batch: Mapping[tuple[str, int], Sequence[Message]]
    ) -> None:
        """A fetched batch: partitions side by side, each in its own order, then their offsets settled
        (``Subscription.settle``) only after every event's inbox record has committed (events ignored or
        duplicate cost no commit of their own). Kafka's subscription gathers the offsets into one commit
        per ``SETTLE_SECONDS``; a crash before it redelivers those events, and the inbox turns each into a
        no-op: still at most one effect per event. Events of types this service ignores are told by their
        header and never parsed."""
        if len(batch) == 1:
            await self._partition(next(iter(batch.values())))
        elif batch:
            async with asyncio.TaskGroup() as group:
                for messages in batch.values():
                    group.create_task(self._partition(messages))
        done = [messages[-1] for messages in batch.values() if messages]
        if done:
            await subscription.settle(done)
        else:
            await subscription.settle_due()

    def _ignored(self, message: Message) -> bool:
        """An event this service does not act on, told by its CloudEvents type header without parsing it
        (a message without the header is parsed: an invalid envelope is dead-lettered)."""
        kind = message.headers.get("ce_type")
        return kind is not None and kind not in self.handlers

    async def _partition(self, messages: Sequence[Message]) -> None:
        if len(messages) > 1 and await self._together(messages):
            return
        for message in messages:
            await self.process(message)

    async def _together(self, messages: Sequence[Message]) -> bool:
        """Apply a partition's fetched events in order in one transaction: one commit for the lot, each
        event's effects beside its inbox record. Anything unusual (an envelope or payload that does not
        parse, a handler failing, an outage) rolls the whole transaction back and returns False: the
        caller then applies the events one by one, with their retries and dead letters, so it is still
        at most one effect per event. True when every event was applied, duplicate or ignored."""
        work: list[tuple[Message, Envelope, Handler, Event]] = []
        for message in messages:
            if self._ignored(message):
                continue
            try:
                envelope = Envelope.model_validate_json(message.value)
                handler = self.handlers.get(envelope.type)
                if handler is None:
                    continue  # an event this service does not act on
                work.append((message, envelope, handler, envelope.payload()))
            except ValidationError:
                return False
        if len(work) < 2:
            return not work
        outcomes: list[tuple[Message, Envelope, str]] = []
        try:
            async with self.sessions() as session, session.begin():
                for message, envelope, handler, payload in work:
                    with self._event_context(message, envelope) as span:
                        applied = await self._record_and_handle(session, message, envelope, payload, handler)
                        outcome = "applied" if applied else "duplicate"
                        _outcome(span, outcome)
                        outcomes.append((message, envelope, outcome))
        except asyncio.CancelledError:
            raise
        except Exception as exc:  # noqa: BLE001 - retried event by event, where each failure is handled
            log.info("batch applied one event at a time", extra={"error": repr(exc)[:300]})
            return False
        if wrote_events(session):
            self.after_commit()
        for message, envelope, outcome in outcomes:
            EVENTS_CONSUMED.labels(self.service, envelope.type, outcome).inc()
            with log_context(
                event_id=envelope.id,
                event_type=envelope.type,
                case_id=envelope.subject,
                **trace_context(envelope.traceparent),
            ):
                log.info("event %s", outcome, extra={"topic": message.topic, "offset": message.offset})
        return True

    async def _start(self, subscription: Subscription) -> None:
        delay = 0.5
        while True:
            try:
                await subscription.start()
                return
            except asyncio.CancelledError:
                raise
            except Exception as exc:  # broker not up yet: keep trying
                log.warning("consumer cannot start yet", extra={"error": repr(exc)[:300]})
                await asyncio.sleep(delay)
                delay = min(delay * 2, 10)

    async def process(self, message: Message) -> None:
        """Apply one message exactly once in effect; returns when it is applied, skipped or dead-lettered."""
        if self._ignored(message):
            return
        try:
            envelope = Envelope.model_validate_json(message.value)
        except ValidationError as exc:
            await self._dead_letter(message, None, f"invalid envelope: {_without_input(exc)}", 1)
            return
        handler = self.handlers.get(envelope.type)
        if handler is None:
            return  # an event this service does not act on
        with self._event_context(message, envelope) as span:
            await self._process(message, envelope, handler, span)

    @contextmanager
    def _event_context(self, message: Message, envelope: Envelope) -> Iterator[Span]:
        """A consumer span, child of the producer span named by the event's traceparent (one case's path
        through the services is one trace), and the event's ids on every log line inside."""
        with (
            telemetry.consumer_span(
                self.service,
                topic=message.topic,
                partition=message.partition,
                offset=message.offset,
                group=self.group,
                event_id=envelope.id,
                event_type=envelope.type,
                traceparent=envelope.traceparent,
                headers=message.headers,
            ) as span,
            log_context(
                event_id=envelope.id,
                event_type=envelope.type,
                case_id=envelope.subject,
                **trace_context(envelope.traceparent),
            ),
        ):
            yield span

    async def _process(self, message: Message, envelope: Envelope, handler: Handler, span: Span) -> None:
        try:
            payload = envelope.payload()
        except ValidationError as exc:
            _outcome(span, "dead_lettered")
            await self._dead_letter(message, envelope, f"invalid payload: {_without_input(exc)}", 1)
            return
        attempt = 0
        while True:
            attempt += 1
            try:
                applied = await self._apply(message, envelope, payload, handler)
                outcome = "applied" if applied else "duplicate"
                _outcome(span, outcome)
                EVENTS_CONSUMED.labels(self.service, envelope.type, outcome).inc()
                log.info("event %s", outcome, extra={"topic": message.topic, "offset": message.offset})
                return
            except asyncio.CancelledError:
                raise
            except PoisonEvent as exc:
                _outcome(span, "dead_lettered")
                await self._dead_letter(message, envelope, f"poison: {exc}", attempt)
                return
            except Exception as exc:
                span.record_exception(exc)
                if is_outage(exc):
                    log.warning("outage while applying event; will retry", extra={"error": repr(exc)[:300]})
                    await asyncio.sleep(min(10.0, self.backoff * 2 ** min(attempt, 6)))
                    attempt = 0
                    continue
                log.exception("handler failed", extra={"attempt": attempt})
                if attempt >= self.max_attempts:
                    _outcome(span, "dead_lettered")
                    await self._dead_letter(message, envelope, f"handler failed: {exc!r}", attempt)
                    return
                await asyncio.sleep(self.backoff * 2 ** (attempt - 1))

    async def _apply(self, message: Message, envelope: Envelope, payload: Event, handler: Handler) -> bool:
        async with self.sessions() as session, session.begin():
            applied = await self._record_and_handle(session, message, envelope, payload, handler)
        if wrote_events(session):  # an event that only changes state has nothing for the relay
            self.after_commit()
        return applied

    async def _record_and_handle(
        self, session: AsyncSession, message: Message, envelope: Envelope, payload: Event, handler: Handler
    ) -> bool:
        """The inbox record, then the handler's effects, in the caller's transaction; False: a duplicate."""
        recorded = await session.execute(
            self._record,
            {
                "event_id": envelope.id,
                "event_type": envelope.type,
                "topic": message.topic,
                "partition": message.partition,
                "offset": message.offset,
            },
        )
        if recorded.first() is None:
            return False
        await handler(session, envelope, payload)
        return True

    async def _dead_letter(
        self, message: Message, envelope: Envelope | None, error: str, attempts: int
    ) -> None:
        log.error(
            "event dead-lettered",
            extra={"topic": message.topic, "offset": message.offset, "error": error[:500]},
        )
        headers = dict(message.headers) | {
            "dlq_error": error[:1000],
            "dlq_source_topic": message.topic,
            "dlq_source_partition": str(message.partition),
            "dlq_source_offset": str(message.offset),
            "dlq_consumer": self.service,
        }
        stored = False
        while True:
            try:
                if not stored:
                    async with self.sessions() as session, session.begin():
                        await session.execute(
                            self.dead_letter.insert().values(
                                event_id=envelope.id if envelope else None,
                                event_type=envelope.type if envelope else None,
                                topic=message.topic,
                                partition=message.partition,
                                offset=message.offset,
                                key=message.key,
                                value=self.cipher.encrypt(  # personal data at rest: sealed
                                    message.value.decode(errors="replace"),
                                    context=dead_letter_context(self.service),
                                ),
                                error=error,
                                attempts=attempts,
                            )
                        )
                        if self.on_dead_letter is not None and envelope is not None:
                            await self.on_dead_letter(session, envelope, error)
                    stored = True
                    self.after_commit()
                await self.bus.publish([Record(self.dead_letter_topic, message.key, message.value, headers)])
                break
            except asyncio.CancelledError:
                raise
            except Exception as exc:  # the dead letter itself must not be lost
                log.warning("dead-lettering failed; retrying", extra={"error": repr(exc)[:300]})
                await asyncio.sleep(1.0)
        DEAD_LETTERS.labels(self.service).inc()
        EVENTS_CONSUMED.labels(self.service, envelope.type if envelope else "unknown", "dead_lettered").inc()


def _outcome(span: Span, outcome: str) -> None:
    span.set_attribute("assistance.outcome", outcome)
    if outcome == "dead_lettered":
        span.set_status(Status(StatusCode.ERROR, "dead-lettered"))
