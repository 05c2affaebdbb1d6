"""Tracing and scrape-time gauge mechanisms without infrastructure: context carried through an event's
traceparent, log lines taking the active span's ids, the OTLP URL, snapshot gauges, in-process bus lag."""

from __future__ import annotations

import asyncio
import json
import logging

import pytest
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from opentelemetry.trace import SpanKind
from prometheus_client import CollectorRegistry, generate_latest

from shared import telemetry
from shared.bus import InProcessBus, Record
from shared.logging import JsonFormatter, log_context
from shared.observability import SnapshotGauge
from shared.settings import ServiceSettings


@pytest.fixture
def spans():
    exporter = InMemorySpanExporter()
    processor = SimpleSpanProcessor(exporter)
    telemetry.attach(processor)
    yield exporter
    telemetry.detach(processor)


def _log_line(message: str = "hello") -> dict:
    record = logging.LogRecord("t", logging.INFO, __file__, 1, message, (), None)
    return json.loads(JsonFormatter().format(record))


def test_an_event_written_in_a_request_carries_a_producer_span_its_consumer_continues(spans):
    caller = "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01"
    with telemetry.server_span("intake", "POST", {"traceparent": caller}) as server:
        telemetry.finish_server_span(server, "POST", "/intake/v1/applications", 201)
        carried = telemetry.producer_traceparent("intake", topic="t.intake.v1", event_id="e1", event_type="x")
    assert carried is not None and carried.split("-")[1] == "0af7651916cd43dd8448eb211c80319c"
    with telemetry.consumer_span(
        "assessment",
        topic="t.intake.v1",
        partition=2,
        offset=7,
        group="g",
        event_id="e1",
        event_type="x",
        traceparent=carried,
    ):
        line = _log_line()
    server_span, producer, consumer = _ordered(spans.get_finished_spans())
    assert server_span.kind == SpanKind.SERVER and server_span.name == "POST /intake/v1/applications"
    assert server_span.parent.span_id == int("b7ad6b7169203331", 16)
    assert producer.parent.span_id == server_span.context.span_id
    assert consumer.parent.span_id == producer.context.span_id
    assert consumer.attributes["messaging.destination.partition.id"] == "2"
    assert consumer.resource.attributes["service.name"] == "assistance-assessment"
    # The log line written while handling the event names the consumer span.
    assert line["trace_id"] == "0af7651916cd43dd8448eb211c80319c"
    assert line["span_id"] == f"{consumer.context.span_id:016x}"


def test_without_an_exporter_no_span_is_recorded_yet_one_trace_runs_through_the_event():
    """Export off (nothing attached): spans are bare contexts, free of SDK work, and ids still propagate."""
    caller = "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01"
    with telemetry.server_span("intake", "POST", {"traceparent": caller}) as server:
        assert not server.is_recording()
        server_id = server.get_span_context().span_id
        carried = telemetry.producer_traceparent("intake", topic="t.intake.v1", event_id="e1", event_type="x")
    assert carried is not None
    _, trace_id, producer_id, flags = carried.split("-")
    assert trace_id == "0af7651916cd43dd8448eb211c80319c" and flags == "01"
    assert int(producer_id, 16) not in (server_id, int("b7ad6b7169203331", 16))
    with telemetry.consumer_span(
        "assessment",
        topic="t.intake.v1",
        partition=2,
        offset=7,
        group="g",
        event_id="e1",
        event_type="x",
        traceparent=carried,
    ) as consumer:
        line = _log_line()
    assert not consumer.is_recording()
    assert line["trace_id"] == trace_id and line["span_id"] != producer_id
    with telemetry.server_span("intake", "GET", {}) as fresh:  # no caller: a trace of its own
        assert fresh.get_span_context().is_valid
        assert f"{fresh.get_span_context().trace_id:032x}" != trace_id


def _ordered(found):
    by_kind = {s.kind: s for s in found}
    return by_kind[SpanKind.SERVER], by_kind[SpanKind.PRODUCER], by_kind[SpanKind.CONSUMER]


def test_kafka_headers_are_the_fallback_carrier_and_garbage_starts_a_new_trace(spans):
    header = "00-11111111111111111111111111111111-2222222222222222-01"
    with telemetry.consumer_span(
        "referral",
        topic="t",
        partition=0,
        offset=0,
        group="g",
        event_id="e",
        event_type="x",
        traceparent=None,
        headers={"traceparent": header},
    ):
        assert telemetry.current_traceparent().split("-")[1] == "1" * 32
    with telemetry.consumer_span(
        "referral",
        topic="t",
        partition=0,
        offset=0,
        group="g",
        event_id="e",
        event_type="x",
        traceparent="not-a-traceparent",
    ):
        fresh = telemetry.current_traceparent()
    assert fresh is not None and fresh.split("-")[1] != "1" * 32
    assert [s.parent is None for s in spans.get_finished_spans()] == [False, True]


def test_without_a_span_logs_keep_the_context_trace_id():
    assert "trace_id" not in _log_line()
    with log_context(trace_id="abc"):
        assert _log_line()["trace_id"] == "abc"


def test_otlp_endpoint_from_settings_or_the_standard_variable(monkeypatch):
    monkeypatch.delenv("OTEL_EXPORTER_OTLP_ENDPOINT", raising=False)
    assert telemetry.otlp_endpoint(ServiceSettings()) is None
    monkeypatch.setenv("OTEL_EXPORTER_OTLP_ENDPOINT", "http://collector:4318")
    assert telemetry.otlp_endpoint(ServiceSettings()) == "http://collector:4318"
    assert telemetry.otlp_endpoint(ServiceSettings(otel_exporter_otlp_endpoint="http://own:4318/")) == (
        "http://own:4318/"
    )
    assert telemetry.traces_url("http://own:4318/") == "http://own:4318/v1/traces"
    assert telemetry.traces_url("http://own:4318/v1/traces") == "http://own:4318/v1/traces"


def test_service_name_honours_otel_service_name(monkeypatch):
    monkeypatch.delenv("OTEL_SERVICE_NAME", raising=False)
    assert telemetry.service_name("approval") == "assistance-approval"
    monkeypatch.setenv("OTEL_SERVICE_NAME", "approval-blue")
    assert telemetry.service_name("approval") == "approval-blue"


def test_snapshot_gauge_replaces_per_owner_and_reports_gone_series_as_zero():
    registry = CollectorRegistry()
    gauge = SnapshotGauge("t_cases", "cases", ["service", "state"], registry=registry)
    gauge.replace("a", {("a", "pending"): 2, ("a", "approved"): 1})
    gauge.replace("b", {("b", "pending"): 5})
    gauge.replace("a", {("a", "approved"): 3})
    assert gauge.samples() == {("a", "pending"): 0.0, ("a", "approved"): 3.0, ("b", "pending"): 5.0}
    text = generate_latest(registry).decode()
    assert 't_cases{service="a",state="approved"} 3.0' in text
    with pytest.raises(ValueError):
        gauge.replace("a", {("only-one",): 1})


async def test_in_process_bus_lag_counts_what_a_group_has_not_committed():
    bus = InProcessBus()
    sub = bus.subscribe("g", ["t1", "t2"])
    await sub.start()
    publishing = asyncio.create_task(bus.publish([Record("t1", "k", b"1"), Record("t1", "k", b"2")]))
    await asyncio.sleep(0)
    assert await sub.lag() == {("t1", 0): 2, ("t2", 0): 0}
    first, second = await sub.fetch(1)
    await sub.commit(first)
    await asyncio.sleep(0)
    assert await sub.lag() == {("t1", 0): 1, ("t2", 0): 0}
    await sub.commit(second)
    await publishing
    assert await sub.lag() == {("t1", 0): 0, ("t2", 0): 0}
