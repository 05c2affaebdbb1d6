"""The envelope and the in-process bus (the Kafka bus is proven against the real broker in tests/e2e)."""

import asyncio

import pytest
from pydantic import ValidationError

from shared.bus import InProcessBus, Record
from shared.contracts.intake import ConsentWithdrawn
from shared.events import Envelope


def test_envelope_carries_cloudevents_attributes_and_typed_payload():
    payload = ConsentWithdrawn(
        case_id="c1", consent="share_with_charities", withdrawn_at="2026-11-01T00:00:00Z"
    )
    env = Envelope.wrap(payload, source="/assistance/intake", subject="c1")
    parsed = Envelope.model_validate_json(env.to_bytes())
    assert parsed.specversion == "1.0" and parsed.type == "gov.assistance.intake.consent-withdrawn.v1"
    assert parsed.subject == "c1" and parsed.id == env.id
    assert parsed.payload() == payload


def test_an_invalid_payload_does_not_validate():
    env = Envelope(source="/x", type=ConsentWithdrawn.event_type, data={"case_id": "c1"})
    with pytest.raises(ValidationError):
        env.payload()


async def test_in_process_publish_returns_only_after_every_group_committed():
    bus = InProcessBus()
    a, b = bus.subscribe("a", ["t"]), bus.subscribe("b", ["t"])
    await a.start()
    await b.start()
    publish = asyncio.create_task(bus.publish([Record("t", "k", b"1"), Record("t", "k", b"2")]))
    got_a = await a.fetch(1)
    assert [m.value for m in got_a] == [b"1", b"2"]
    for m in got_a:
        await a.commit(m)
    await asyncio.sleep(0.01)
    assert not publish.done(), "group b has not committed yet"
    for m in await b.fetch(1):
        await b.commit(m)
    await asyncio.wait_for(publish, 1)


async def test_committing_the_last_message_of_a_batch_settles_every_earlier_one_of_its_partition():
    """As Kafka's offset commit does: a batched consumer commits only its batch's last offset, and the
    publishers of the earlier messages must not be left waiting (standalone stalled so once)."""
    bus = InProcessBus()
    sub = bus.subscribe("a", ["t"])
    await sub.start()
    first = asyncio.create_task(bus.publish([Record("t", "k", b"1")]))
    second = asyncio.create_task(bus.publish([Record("t", "k", b"2")]))
    third = asyncio.create_task(bus.publish([Record("t", "k", b"3")]))
    await asyncio.sleep(0)
    batch = await sub.fetch(1)
    assert [m.value for m in batch] == [b"1", b"2", b"3"]
    await sub.commit(batch[1])
    await asyncio.wait_for(asyncio.gather(first, second), 1)
    assert not third.done(), "a commit settles earlier offsets only, never a later one"
    assert await sub.lag() == {("t", 0): 1}
    await sub.commit(batch[2])
    await asyncio.wait_for(third, 1)
    assert await sub.lag() == {("t", 0): 0}


async def test_in_process_publish_fails_when_a_consumer_stops_before_committing():
    bus = InProcessBus()
    sub = bus.subscribe("a", ["t"])
    await sub.start()
    publish = asyncio.create_task(bus.publish([Record("t", None, b"x")]))
    await sub.fetch(1)
    await sub.stop()
    with pytest.raises(ConnectionError):
        await asyncio.wait_for(publish, 1)


class _PgError(Exception):
    def __init__(self, sqlstate: str) -> None:
        super().__init__(sqlstate)
        self.sqlstate = sqlstate


@pytest.mark.parametrize(
    "sqlstate,outage", [("57P03", True), ("08006", True), ("53300", True), ("23505", False), ("42P01", False)]
)
def test_database_outages_are_told_apart_from_faulty_events(sqlstate, outage):
    from sqlalchemy.exc import DBAPIError

    from shared.inbox import is_outage

    wrapped = DBAPIError("stmt", {}, _PgError(sqlstate))
    assert is_outage(wrapped) is outage
    assert is_outage(ConnectionRefusedError()) is True
    assert is_outage(ValueError("bad data")) is False
