"""Checkpoints of the audit chain kept outside its database, so a cut-off tail or a truncation shows.

A checkpoint ``{service, last_id, last_mac, count, at, key_id, signature}`` states "the chain had ``count``
entries, the last one ``last_id`` with MAC ``last_mac``"; ``signature`` is the HMAC-SHA256 (audit key
``key_id``) over the other fields. Where it goes:
- distributed mode (Kafka bus): the topic ``<prefix>.<service>.audit-checkpoints.v1``, one partition,
  created with ``retention.ms`` from ``AUDIT_CHECKPOINT_RETENTION_MS`` (-1: forever; at least six months);
- standalone (in-process bus): an append-only JSON-lines file ``<AUDIT_CHECKPOINT_DIR>/<service>.jsonl``.
A checkpoint is written every ``AUDIT_CHECKPOINT_INTERVAL_SECONDS`` when the chain has grown, and on demand
(``POST /<service>/v1/audit/checkpoints``). ``verify`` reads the latest one.
"""

from __future__ import annotations

import asyncio
import contextlib
import hmac
import json
import logging
import os
from abc import ABC, abstractmethod
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import Table
from sqlalchemy.ext.asyncio import AsyncSession

from shared import audit
from shared.bus import Bus, Record, kafka_client_options
from shared.settings import ServiceSettings

log = logging.getLogger("assistance.audit")
SIGNED_FIELDS = ("service", "last_id", "last_mac", "count", "at", "key_id")


def _signed_bytes(checkpoint: dict[str, Any]) -> bytes:
    return json.dumps(
        {k: checkpoint[k] for k in SIGNED_FIELDS}, sort_keys=True, separators=(",", ":")
    ).encode()


def sign(keys: audit.AuditKeys, checkpoint: dict[str, Any]) -> dict[str, Any]:
    return {**checkpoint, "signature": keys.mac(checkpoint["key_id"], _signed_bytes(checkpoint))}


def signature_valid(keys: audit.AuditKeys, checkpoint: dict[str, Any]) -> bool:
    try:
        expected = keys.mac(checkpoint["key_id"], _signed_bytes(checkpoint))
    except (KeyError, TypeError):
        return False
    return hmac.compare_digest(expected, str(checkpoint.get("signature", "")))


async def make_checkpoint(
    session: AsyncSession, table: Table, keys: audit.AuditKeys, service: str
) -> dict[str, Any] | None:
    """A signed checkpoint of the chain's head, or None while the log is empty."""
    last = await audit.head(session, table)
    if last is None:
        return None
    at = datetime.now(UTC).isoformat(timespec="microseconds")
    fields = {"service": service, "last_id": last[0], "last_mac": last[2], "count": last[1], "at": at}
    return sign(keys, {**fields, "key_id": keys.primary})


class Anchor(ABC):
    """Somewhere outside the database that keeps checkpoints."""

    @abstractmethod
    async def write(self, checkpoint: dict[str, Any]) -> None: ...

    @abstractmethod
    async def latest(self) -> dict[str, Any] | None: ...


class FileAnchor(Anchor):
    """An append-only JSON-lines file (opened O_APPEND; one line per checkpoint, fsynced)."""

    def __init__(self, directory: str, service: str) -> None:
        self.path = Path(directory) / f"{service}.jsonl"

    def _append(self, line: bytes) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(self.path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o640)
        try:
            os.write(fd, line)
            os.fsync(fd)
        finally:
            os.close(fd)

    def _last_line(self) -> bytes | None:
        if not self.path.exists():
            return None
        with self.path.open("rb") as f:
            f.seek(0, os.SEEK_END)
            f.seek(max(0, f.tell() - 65536))
            lines = [line for line in f.read().splitlines() if line.strip()]
        return lines[-1] if lines else None

    async def write(self, checkpoint: dict[str, Any]) -> None:
        await asyncio.to_thread(self._append, json.dumps(checkpoint, sort_keys=True).encode() + b"\n")

    async def latest(self) -> dict[str, Any] | None:
        line = await asyncio.to_thread(self._last_line)
        return json.loads(line) if line else None


class KafkaAnchor(Anchor):
    """The service's checkpoint topic: one partition, long retention; the latest record is the last one."""

    def __init__(self, settings: ServiceSettings, bus: Bus) -> None:
        self.settings, self.bus = settings, bus
        self.topic = settings.audit_checkpoint_topic()
        self._ensured = False

    async def _ensure_topic(self) -> None:
        if self._ensured:
            return
        from aiokafka.admin import AIOKafkaAdminClient, NewTopic
        from aiokafka.errors import TopicAlreadyExistsError

        admin = AIOKafkaAdminClient(**kafka_client_options(self.settings))
        await admin.start()
        try:
            if self.topic not in set(await admin.list_topics()):
                configs = {"retention.ms": str(self.settings.audit_checkpoint_retention_ms)}
                topic = NewTopic(self.topic, 1, self.settings.topic_replication_factor, topic_configs=configs)
                with contextlib.suppress(TopicAlreadyExistsError):
                    await admin.create_topics([topic])
        finally:
            await admin.close()
        self._ensured = True

    async def write(self, checkpoint: dict[str, Any]) -> None:
        await self._ensure_topic()
        value = json.dumps(checkpoint, sort_keys=True).encode()
        await self.bus.publish([Record(self.topic, checkpoint["service"], value)])

    async def latest(self) -> dict[str, Any] | None:
        from aiokafka import AIOKafkaConsumer, TopicPartition

        await self._ensure_topic()
        consumer = AIOKafkaConsumer(enable_auto_commit=False, **kafka_client_options(self.settings))
        await consumer.start()
        try:
            tp = TopicPartition(self.topic, 0)
            consumer.assign([tp])
            end = (await consumer.end_offsets([tp]))[tp]
            if end == 0:
                return None
            consumer.seek(tp, end - 1)
            message = await asyncio.wait_for(consumer.getone(tp), 10)
            checkpoint: dict[str, Any] = json.loads(message.value)
            return checkpoint
        finally:
            await consumer.stop()


def make_anchor(settings: ServiceSettings, bus: Bus) -> Anchor:
    if settings.bus == "kafka":
        return KafkaAnchor(settings, bus)
    return FileAnchor(settings.audit_checkpoint_dir, settings.service_name)
