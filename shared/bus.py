"""The message bus behind one interface: Apache Kafka (aiokafka) or an in-process bus for standalone mode.

Both deliver per-key in order, to consumer groups, with an explicit commit after processing. The
in-process bus acknowledges a publish only once every subscribed group has committed the message, so an
outbox row is marked sent only after its consumers have recorded it: standalone mode loses nothing either.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import ssl
import time
from abc import ABC, abstractmethod
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from shared.settings import ServiceSettings

log = logging.getLogger("assistance.bus")

SETTLE_SECONDS = 1.0
"""How long a Kafka consumer may hold back the offsets of processed messages before committing them."""


@dataclass(frozen=True)
class Record:
    """A message to publish."""

    topic: str
    key: str | None
    value: bytes
    headers: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class Message:
    """A message received by a consumer group."""

    topic: str
    partition: int
    offset: int
    key: str | None
    value: bytes
    headers: dict[str, str]


class Subscription(ABC):
    @abstractmethod
    async def start(self) -> None: ...

    @abstractmethod
    async def stop(self) -> None: ...

    @abstractmethod
    async def fetch(self, timeout: float) -> list[Message]:  # noqa: ASYNC109 - a long poll: empty after the wait
        """The next messages, in order per partition; empty after ``timeout`` seconds."""

    @abstractmethod
    async def commit(self, message: Message) -> None:
        """Mark ``message`` (and everything before it in its partition) processed."""

    async def fetch_partitions(self, timeout: float) -> dict[tuple[str, int], list[Message]]:  # noqa: ASYNC109
        """The next messages grouped by (topic, partition), each list in partition order."""
        grouped: dict[tuple[str, int], list[Message]] = {}
        for message in await self.fetch(timeout):
            grouped.setdefault((message.topic, message.partition), []).append(message)
        return grouped

    async def commit_last(self, messages: Sequence[Message]) -> None:
        """Mark each given message, the last processed of its partition, processed (one request for all
        partitions where the broker allows it)."""
        for message in messages:
            await self.commit(message)

    async def settle(self, messages: Sequence[Message]) -> None:
        """Mark the last processed message of each partition, as ``commit_last``, but a subscription may
        gather these into one later commit (its events are inbox-protected, so a redelivery after a crash
        is a no-op) as long as ``settle_due`` or ``stop`` commits them in time. Here: at once (the
        in-process bus acknowledges a publish only when every group has committed it)."""
        await self.commit_last(messages)

    async def settle_due(self) -> None:
        """Commit what ``settle`` has held back for too long (called on every fetch, empty ones too)."""
        return None  # noqa: B027 - nothing is held unless a subscription holds it

    async def lag(self) -> dict[tuple[str, int], int]:
        """Messages not yet processed (committed) per assigned (topic, partition); only what is known."""
        return {}


class Bus(ABC):
    @abstractmethod
    async def start(self, topics: Sequence[str] = ()) -> None: ...

    @abstractmethod
    async def stop(self) -> None: ...

    @abstractmethod
    async def publish(self, records: Sequence[Record]) -> None:
        """Publish and wait until every record is durably accepted (acks=all for Kafka)."""

    @abstractmethod
    def subscribe(self, group: str, topics: Sequence[str]) -> Subscription: ...

    @abstractmethod
    async def ping(self) -> bool: ...


# ---------------------------------------------------------------- in-process


class _MemorySubscription(Subscription):
    def __init__(self, bus: InProcessBus, group: str, topics: Sequence[str]) -> None:
        self.bus, self.group, self.topics = bus, group, set(topics)
        self.queue: asyncio.Queue[tuple[Message, asyncio.Future[None]]] = asyncio.Queue()
        self.pending: dict[tuple[str, int, int], asyncio.Future[None]] = {}
        self.outstanding: dict[str, int] = {}

    async def start(self) -> None:
        self.bus._subscriptions.append(self)

    async def stop(self) -> None:
        if self in self.bus._subscriptions:
            self.bus._subscriptions.remove(self)
        for fut in self.pending.values():
            if not fut.done():
                fut.set_exception(ConnectionError(f"consumer group {self.group} stopped"))
        while not self.queue.empty():
            _, fut = self.queue.get_nowait()
            if not fut.done():
                fut.set_exception(ConnectionError(f"consumer group {self.group} stopped"))

    async def fetch(self, timeout: float) -> list[Message]:  # noqa: ASYNC109 - Consumer.fetch
        try:
            message, fut = await asyncio.wait_for(self.queue.get(), timeout)
        except TimeoutError:
            return []
        self.pending[(message.topic, message.partition, message.offset)] = fut
        batch = [message]
        while not self.queue.empty() and len(batch) < 100:
            message, fut = self.queue.get_nowait()
            self.pending[(message.topic, message.partition, message.offset)] = fut
            batch.append(message)
        return batch

    async def commit(self, message: Message) -> None:
        """Settle ``message`` and every earlier one of its partition, as Kafka's offset commit does: a
        consumer that commits only the last message of a batch must not leave the earlier publishers
        waiting (their outbox relay holds its transaction until every consumer has recorded the row)."""
        settled = [
            key
            for key in self.pending
            if key[0] == message.topic and key[1] == message.partition and key[2] <= message.offset
        ]
        for key in settled:
            fut = self.pending.pop(key)
            if not fut.done():
                fut.set_result(None)

    def deliver(self, message: Message, fut: asyncio.Future[None]) -> None:
        self.queue.put_nowait((message, fut))
        self.outstanding[message.topic] = self.outstanding.get(message.topic, 0) + 1
        fut.add_done_callback(lambda _: self._settled(message.topic))

    def _settled(self, topic: str) -> None:
        self.outstanding[topic] -= 1

    async def lag(self) -> dict[tuple[str, int], int]:
        """Messages delivered to this group and not yet committed, per topic (one partition each)."""
        return {(topic, 0): self.outstanding.get(topic, 0) for topic in sorted(self.topics)}


class InProcessBus(Bus):
    """One partition per topic; offsets count per topic. For standalone mode and unit tests."""

    def __init__(self) -> None:
        self._subscriptions: list[_MemorySubscription] = []
        self._offsets: dict[str, int] = {}

    async def start(self, topics: Sequence[str] = ()) -> None:
        return None

    async def stop(self) -> None:
        return None

    async def publish(self, records: Sequence[Record]) -> None:
        waits: list[asyncio.Future[None]] = []
        loop = asyncio.get_running_loop()
        for record in records:
            offset = self._offsets.get(record.topic, 0)
            self._offsets[record.topic] = offset + 1
            message = Message(record.topic, 0, offset, record.key, record.value, dict(record.headers))
            for sub in self._subscriptions:
                if record.topic in sub.topics:
                    fut: asyncio.Future[None] = loop.create_future()
                    sub.deliver(message, fut)
                    waits.append(fut)
        if waits:
            await asyncio.gather(*waits)

    def subscribe(self, group: str, topics: Sequence[str]) -> Subscription:
        return _MemorySubscription(self, group, topics)

    async def ping(self) -> bool:
        return True


# ---------------------------------------------------------------- Kafka


def kafka_client_options(settings: ServiceSettings) -> dict[str, object]:
    options: dict[str, object] = {
        "bootstrap_servers": settings.kafka_bootstrap_servers,
        "security_protocol": settings.kafka_security_protocol,
    }
    if settings.kafka_security_protocol in ("SSL", "SASL_SSL"):
        options["ssl_context"] = ssl.create_default_context(cafile=settings.kafka_ssl_cafile)
    if settings.kafka_security_protocol.startswith("SASL"):
        options.update(
            sasl_mechanism=settings.kafka_sasl_mechanism or "PLAIN",
            sasl_plain_username=settings.kafka_sasl_username,
            sasl_plain_password=settings.kafka_sasl_password,
        )
    return options


class _KafkaSubscription(Subscription):
    def __init__(self, settings: ServiceSettings, group: str, topics: Sequence[str]) -> None:
        from aiokafka import AIOKafkaConsumer

        self.consumer = AIOKafkaConsumer(
            *topics,
            group_id=group,
            enable_auto_commit=False,
            auto_offset_reset="earliest",
            max_poll_records=200,
            # a long poll: the broker answers as soon as a record arrives, so waiting longer adds no
            # latency, and an idle consumer sends a fetch every 2 s instead of every 0.5 s
            fetch_max_wait_ms=2000,
            session_timeout_ms=settings.consumer_session_timeout_ms,
            heartbeat_interval_ms=max(1000, settings.consumer_session_timeout_ms // 3),
            group_instance_id=settings.consumer_group_instance_id,
            metadata_max_age_ms=5000,
            **kafka_client_options(settings),
        )
        self._committed: dict[tuple[str, int], int] = {}
        self._held: dict[tuple[str, int], int] = {}
        """Next offsets of processed messages not yet committed (``settle``), per partition."""
        self._held_since: float | None = None

    async def start(self) -> None:
        await self.consumer.start()

    async def stop(self) -> None:
        try:
            await self._commit({})
        except Exception as exc:  # noqa: BLE001 - stopping anyway: the inbox makes a redelivery a no-op
            log.info("held offsets not committed at stop", extra={"error": repr(exc)[:300]})
        await self.consumer.stop()

    async def fetch(self, timeout: float) -> list[Message]:  # noqa: ASYNC109 - Consumer.fetch
        batches = await self.consumer.getmany(timeout_ms=int(timeout * 1000))
        return [
            Message(
                m.topic,
                m.partition,
                m.offset,
                m.key.decode() if m.key else None,
                m.value,
                {k: v.decode() for k, v in (m.headers or ())},
            )
            for msgs in batches.values()
            for m in msgs
        ]

    async def commit(self, message: Message) -> None:
        await self.commit_last([message])

    async def commit_last(self, messages: Sequence[Message]) -> None:
        """One offset commit for every partition of a processed batch, with the held ones (``settle``)."""
        if messages:
            await self._commit({(m.topic, m.partition): m.offset + 1 for m in messages})

    async def settle(self, messages: Sequence[Message]) -> None:
        """Held, not committed each: one offset commit per fetched batch (one or two events at a time
        under load) was a large part of the broker's work. They go with an explicit ``commit_last``, after
        ``SETTLE_SECONDS`` (``settle_due``), or at ``stop``; a member that takes a partition over re-reads
        at most that much, and its inbox turns each event into a no-op."""
        for m in messages:
            key = (m.topic, m.partition)
            self._held[key] = max(self._held.get(key, 0), m.offset + 1)
        if self._held_since is None:
            self._held_since = time.monotonic()
        await self.settle_due()

    async def settle_due(self) -> None:
        if self._held_since is not None and time.monotonic() - self._held_since >= SETTLE_SECONDS:
            await self._commit({})

    async def _commit(self, offsets: dict[tuple[str, int], int]) -> None:
        from aiokafka import TopicPartition

        assigned = {(tp.topic, tp.partition) for tp in self.consumer.assignment()}
        merged = {k: v for k, v in self._held.items() if k in assigned}  # a revoked one is re-read elsewhere
        for key, offset in offsets.items():
            merged[key] = max(offset, merged.get(key, 0))
        self._held.clear()
        self._held_since = None
        if not merged:
            return
        await self.consumer.commit({TopicPartition(t, p): offset for (t, p), offset in merged.items()})
        self._committed.update(merged)

    async def lag(self) -> dict[tuple[str, int], int]:
        """High watermark minus the group's committed offset, per partition assigned to this consumer
        (partitions not fetched from yet have no known high watermark and are left out)."""
        assigned = {(tp.topic, tp.partition): tp for tp in self.consumer.assignment()}
        for gone in set(self._committed) - set(assigned):
            del self._committed[gone]  # moved to another member; re-read if it comes back
        lags: dict[tuple[str, int], int] = {}
        for key, tp in assigned.items():
            highwater = self.consumer.highwater(tp)
            if highwater is None:
                continue
            committed = self._committed.get(key)
            if key in self._held:  # processed messages whose offsets are held back are not waiting
                committed = max(committed or 0, self._held[key])
            if committed is None:
                try:
                    committed = await asyncio.wait_for(self.consumer.committed(tp), 2)
                    if committed is None:  # nothing committed by the group yet: from the fetch position
                        committed = await asyncio.wait_for(self.consumer.position(tp), 2)
                except Exception:  # noqa: S112 - a scrape reports what it can
                    continue
            lags[key] = max(0, highwater - committed)
        return lags


class KafkaBus(Bus):
    """Idempotent producer with acks=all; consumers in groups with manual commit after processing."""

    def __init__(self, settings: ServiceSettings) -> None:
        self.settings = settings
        self._producer = None

    async def start(self, topics: Sequence[str] = ()) -> None:
        await self.ensure_topics(topics)
        await self._producer_started()

    async def _producer_started(self) -> Any:  # AIOKafkaProducer (aiokafka ships no types)
        from aiokafka import AIOKafkaProducer

        if self._producer is None:
            producer = AIOKafkaProducer(
                enable_idempotence=True,
                acks="all",
                linger_ms=5,
                request_timeout_ms=30000,
                **kafka_client_options(self.settings),
            )
            try:
                await producer.start()
            except BaseException:
                await producer.stop()
                raise
            self._producer = producer
        return self._producer

    async def ensure_topics(self, topics: Sequence[str]) -> None:
        """Create missing topics with the configured partition count (replication from the broker default)."""
        if not topics:
            return
        from aiokafka.admin import AIOKafkaAdminClient, NewTopic
        from aiokafka.errors import TopicAlreadyExistsError

        admin = AIOKafkaAdminClient(**kafka_client_options(self.settings))
        await admin.start()
        try:
            existing = set(await admin.list_topics())
            missing = [t for t in dict.fromkeys(topics) if t not in existing]
            if missing:
                with contextlib.suppress(TopicAlreadyExistsError):
                    await admin.create_topics(
                        [
                            NewTopic(
                                t, self.settings.topic_partitions, self.settings.topic_replication_factor
                            )
                            for t in missing
                        ]
                    )
        finally:
            await admin.close()

    async def stop(self) -> None:
        producer, self._producer = self._producer, None
        if producer is not None:
            try:
                await asyncio.wait_for(producer.stop(), 10)
            except Exception:  # a broker that is gone cannot be flushed to
                log.warning("producer did not stop cleanly")

    async def publish(self, records: Sequence[Record]) -> None:
        """On any failure the producer is replaced: after a broker restart an idempotent producer can be
        left failing for good (OutOfOrderSequenceNumber); a new one gets a new producer id. The caller
        (the outbox relay) retries, and consumers' inboxes absorb any record sent twice."""
        producer = await self._producer_started()
        try:
            futures = [
                await producer.send(
                    r.topic,
                    r.value,
                    key=r.key.encode() if r.key else None,
                    headers=[(k, v.encode()) for k, v in r.headers.items()],
                )
                for r in records
            ]
            await asyncio.gather(*futures)
        except Exception:
            await self.stop()
            raise

    def subscribe(self, group: str, topics: Sequence[str]) -> Subscription:
        return _KafkaSubscription(self.settings, group, topics)

    async def ping(self) -> bool:
        try:
            producer = await asyncio.wait_for(self._producer_started(), 5)
            await asyncio.wait_for(producer.client.fetch_all_metadata(), 3)
            return True
        except Exception:  # readiness reports, never raises
            return False


def make_bus(settings: ServiceSettings) -> Bus:
    return KafkaBus(settings) if settings.bus == "kafka" else InProcessBus()
