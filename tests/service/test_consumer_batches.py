"""A consumer applies a partition's fetched events in one transaction, and falls back to one event at a
time (with its retries and dead letters) when anything in the batch fails: at most one effect per event,
partition order kept, ignored and duplicate events cost nothing."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator

import asyncpg
import pytest
from sqlalchemy import Column, Integer, MetaData, String, Table, insert
from sqlalchemy.ext.asyncio import AsyncSession, create_async_engine

from shared.bus import InProcessBus, Message
from shared.contracts.processing import AssessmentCaseProcessingFailed as Failed
from shared.crypto import FieldCipher
from shared.db import make_sessions
from shared.events import Envelope, Event
from shared.inbox import ConsumerWorker, PoisonEvent
from shared.messaging import add_messaging_tables
from shared.settings import DEV_BLIND_INDEX_KEY, DEV_ENCRYPTION_KEYS
from tests.conftest import _plain, create_database

pytestmark = pytest.mark.asyncio(loop_scope="session")

TYPE = "gov.assistance.assessment.case-processing-failed.v1"


def _event(case_id: str) -> bytes:
    payload = Failed(
        case_id=case_id,
        service="assessment",
        failed_event_type="x",
        failed_event_id="y",
        reason="poison" if case_id.startswith("poison") else "ok",
        failed_at="2026-12-01T00:00:00Z",
    )
    return Envelope.wrap(payload, source="/assistance/test", subject=case_id).model_dump_json().encode()


@pytest.fixture
async def worker(pg_server_url: str) -> AsyncIterator[tuple[ConsumerWorker, asyncpg.Connection]]:
    url = await create_database(pg_server_url, prefix="batch")
    metadata = MetaData(schema="public")
    inbox_outbox = add_messaging_tables(metadata)
    effects = Table("effects", metadata, Column("n", Integer, primary_key=True), Column("case_id", String))
    engine = create_async_engine(url)
    async with engine.begin() as conn:
        await conn.run_sync(metadata.create_all)

    async def handler(session: AsyncSession, envelope: Envelope, payload: Event) -> None:
        assert isinstance(payload, Failed)
        if payload.reason == "poison":
            raise PoisonEvent("never applies")
        await session.execute(insert(effects).values(case_id=payload.case_id))

    _, inbox, dead_letter = inbox_outbox
    consumer = ConsumerWorker(
        service="test",
        bus=InProcessBus(),
        group="g",
        topics=["t"],
        handlers={TYPE: handler},
        sessions=make_sessions(engine),
        inbox=inbox,
        dead_letter=dead_letter,
        dead_letter_topic="t.dlq",
        cipher=FieldCipher(DEV_ENCRYPTION_KEYS, DEV_BLIND_INDEX_KEY),
        backoff=0.01,
    )
    raw = await asyncpg.connect(_plain(url))
    try:
        yield consumer, raw
    finally:
        await raw.close()
        await engine.dispose()


def _messages(values: list[bytes]) -> list[Message]:
    return [Message("t", 0, i, None, v, {}) for i, v in enumerate(values)]


async def test_a_partitions_batch_commits_once_in_order_and_a_redelivery_changes_nothing(worker):
    consumer, raw = worker
    cases = [str(uuid.uuid4()) for _ in range(5)]
    ignored = Envelope.model_validate_json(_event(cases[0])).model_copy(update={"type": "other.v1"})
    batch = _messages([_event(c) for c in cases[:2]] + [ignored.model_dump_json().encode()])
    batch += _messages([_event(c) for c in cases[2:]])
    assert await consumer._together(batch)
    assert [r["case_id"] for r in await raw.fetch("SELECT case_id FROM effects ORDER BY n")] == cases
    assert await raw.fetchval("SELECT count(*) FROM inbox") == 5
    assert await consumer._together(batch)  # redelivered: every event is a duplicate
    assert await raw.fetchval("SELECT count(*) FROM effects") == 5


async def test_a_failing_event_rolls_the_batch_back_and_the_rest_apply_one_by_one(worker):
    consumer, raw = worker
    good = [str(uuid.uuid4()) for _ in range(3)]
    batch = _messages(
        [_event(good[0]), _event("poison-" + uuid.uuid4().hex), _event(good[1]), _event(good[2])]
    )
    assert not await consumer._together(batch)
    assert await raw.fetchval("SELECT count(*) FROM effects") == 0  # nothing half-written
    await consumer._partition(batch)
    assert [r["case_id"] for r in await raw.fetch("SELECT case_id FROM effects ORDER BY n")] == good
    assert await raw.fetchval("SELECT count(*) FROM dead_letter") == 1
    assert await raw.fetchval("SELECT count(*) FROM inbox") == 3
