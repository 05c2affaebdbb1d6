"""OpenTelemetry traces: one case's path through the five services is one trace (standalone, in-memory
exporter), and with an OTLP endpoint configured the spans are POSTed to it as OTLP/HTTP protobuf."""

from __future__ import annotations

import threading
import uuid
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import httpx
import pytest
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceRequest
from opentelemetry.sdk.trace import ReadableSpan
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from opentelemetry.trace import SpanKind

from shared import telemetry
from tests.factories import application, eventually, officer

pytestmark = pytest.mark.asyncio(loop_scope="session")

SERVICES = ("intake", "assessment", "approval", "disbursement", "referral", "household")


@pytest.fixture
def spans() -> Iterator[InMemorySpanExporter]:
    exporter = InMemorySpanExporter()
    processor = SimpleSpanProcessor(exporter)
    telemetry.attach(processor)
    try:
        yield exporter
    finally:
        telemetry.detach(processor)


def _service(span: ReadableSpan) -> str:
    return str(span.resource.attributes["service.name"]).removeprefix("assistance-")


def _by_id(found: list[ReadableSpan]) -> dict[int, ReadableSpan]:
    return {s.context.span_id: s for s in found}


async def test_one_submission_is_one_trace_through_the_five_services(standalone, spans, db):
    trace_id = uuid.uuid4().hex
    traceparent = f"00-{trace_id}-{uuid.uuid4().hex[:16]}-01"
    created = await standalone.post(
        "/intake/v1/applications", json=application(), headers={"traceparent": traceparent}
    )
    assert created.status_code == 201, created.text
    case_id = created.json()["id"]

    def in_trace() -> list[ReadableSpan]:
        return [s for s in spans.get_finished_spans() if s.context.trace_id == int(trace_id, 16)]

    async def every_service_consumed():
        # every consuming service, and approval's consumer of CaseAssessed in particular: approval also
        # consumes intake's archive event, which on a busy machine comes well before the assessment
        found = [s for s in in_trace() if s.kind == SpanKind.CONSUMER]
        consumers = {_service(s) for s in found}
        of_submitted = {
            _service(s)
            for s in found
            if s.attributes["cloudevents.event_type"] == "gov.assistance.intake.application-submitted.v1"
        }
        if of_submitted != {"assessment", "disbursement", "referral", "household"}:
            return None
        assessed = any(
            _service(s) == "approval"
            and s.attributes["cloudevents.event_type"] == "gov.assistance.assessment.case-assessed.v1"
            for s in found
        )
        return consumers if assessed and consumers >= set(SERVICES) - {"intake"} else None

    await eventually(every_service_consumed, what="a consumer span in each consuming service")
    found = in_trace()
    assert {_service(s) for s in found} == set(SERVICES)

    # The intake request: a server span, child of the caller's span, named by its route (no URL, no body).
    server = [s for s in found if s.kind == SpanKind.SERVER]
    assert len(server) == 1 and server[0].name == "POST /intake/v1/applications"
    assert server[0].parent.span_id == int(traceparent.split("-")[2], 16)
    assert server[0].attributes["http.response.status_code"] == 201
    assert _service(server[0]) == "intake"

    # Each event: a producer span where it is written, consumers' spans as its children, the relay's send too.
    spans_by_id = _by_id(found)
    written = [s for s in found if s.kind == SpanKind.PRODUCER and s.name == "create assistance.intake.v1"]
    assert {s.attributes["cloudevents.event_type"] for s in written} == {
        "gov.assistance.intake.application-submitted.v1",
        "gov.assistance.intake.archive-completeness.v1",  # the archive's state, in the same transaction
    }
    assert all(s.parent.span_id == server[0].context.span_id for s in written)
    submitted = [s for s in written if "application-submitted" in s.attributes["cloudevents.event_type"]]
    assert len(submitted) == 1
    consumers_of_submitted = {
        _service(s)
        for s in found
        if s.kind == SpanKind.CONSUMER and s.parent.span_id == submitted[0].context.span_id
    }
    assert consumers_of_submitted == {"assessment", "disbursement", "referral", "household"}
    assert any(
        s.name == "send assistance.intake.v1" and s.parent.span_id == submitted[0].context.span_id
        for s in found
    )
    approval = [
        s
        for s in found
        if s.kind == SpanKind.CONSUMER
        and _service(s) == "approval"
        and s.attributes["cloudevents.event_type"] == "gov.assistance.assessment.case-assessed.v1"
    ]
    assert len(approval) == 1
    assessed = spans_by_id[approval[0].parent.span_id]  # approval continues assessment's producer span
    assert assessed.kind == SpanKind.PRODUCER and _service(assessed) == "assessment"
    assert spans_by_id[assessed.parent.span_id].kind == SpanKind.CONSUMER  # ... inside its consumer span
    assert all(
        s.attributes.get("assistance.outcome") == "applied" for s in found if s.kind == SpanKind.CONSUMER
    )

    # The carrier: the event's envelope names its producer span (and is sent as the Kafka header too).
    carried = await db.fetchval(
        "SELECT envelope->>'traceparent' FROM intake.outbox WHERE key = $1 AND event_type = $2",
        case_id,
        "gov.assistance.intake.application-submitted.v1",
    )
    assert carried == f"00-{trace_id}-{submitted[0].context.span_id:016x}-01"
    text = " ".join(f"{k}={v}" for s in found for k, v in s.attributes.items())
    assert "张小明" not in text and "6222020200112233445" not in text


async def test_a_request_without_traceparent_starts_a_trace_its_events_continue(standalone, spans):
    created = await standalone.post("/intake/v1/applications", json=application())
    assert created.status_code == 201

    async def server_span():
        return next(
            (
                s
                for s in spans.get_finished_spans()
                if s.kind == SpanKind.SERVER and s.name == "POST /intake/v1/applications"
            ),
            None,
        )

    root = await eventually(server_span, what="the request span")
    assert root.parent is None

    async def assessment_consumed():
        return [
            s
            for s in spans.get_finished_spans()
            if s.kind == SpanKind.CONSUMER
            and _service(s) == "assessment"
            and s.context.trace_id == root.context.trace_id
        ] or None

    await eventually(assessment_consumed, what="assessment to continue the request's trace")


async def test_probes_and_scrapes_make_no_spans(standalone, spans):
    for path in ("/healthz", "/readyz", "/metrics"):
        assert (await standalone.get(path)).status_code == 200
    assert [s.name for s in spans.get_finished_spans() if s.kind == SpanKind.SERVER] == []


class _Receiver(BaseHTTPRequestHandler):
    received: list[tuple[str, str, bytes]] = []

    def do_POST(self) -> None:  # http.server's naming
        body = self.rfile.read(int(self.headers.get("content-length", "0")))
        self.received.append((self.path, self.headers.get("content-type", ""), body))
        self.send_response(200)
        self.send_header("content-type", "application/x-protobuf")
        self.end_headers()
        self.wfile.write(b"")

    def log_message(self, format: str, *args: object) -> None:  # quiet
        return None


@pytest.fixture
def otlp_receiver() -> Iterator[tuple[str, list[tuple[str, str, bytes]]]]:
    received: list[tuple[str, str, bytes]] = []
    handler = type("Receiver", (_Receiver,), {"received": received})
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}", received
    finally:
        server.shutdown()
        server.server_close()


async def test_with_an_otlp_endpoint_spans_are_exported_as_otlp_http_protobuf(database_url, otlp_receiver):
    from services.registry import module
    from shared.app import build_app

    endpoint, received = otlp_receiver
    intake = module("intake")
    app = build_app(
        [intake],
        migrate_on_start=True,
        overrides={
            "intake": {
                "database_url": database_url,
                "bus": "memory",
                "environment": "test",
                "otel_exporter_otlp_endpoint": endpoint,
            }
        },
    )
    trace_id = uuid.uuid4().hex
    async with (
        app.router.lifespan_context(app),
        httpx.AsyncClient(
            transport=httpx.ASGITransport(app=app), base_url="http://intake", headers=officer()
        ) as client,
    ):
        listed = await client.get(
            "/intake/v1/applications",
            headers={"traceparent": f"00-{trace_id}-{uuid.uuid4().hex[:16]}-01"},
        )
        assert listed.status_code == 200
    # Leaving the app flushed and stopped its exporter: the request's span has been POSTed by now.
    assert received, "nothing was exported"
    exported = []
    for path, content_type, body in received:
        assert path == "/v1/traces" and content_type == "application/x-protobuf"
        request = ExportTraceServiceRequest()
        request.ParseFromString(body)
        for resource_spans in request.resource_spans:
            service = {a.key: a.value.string_value for a in resource_spans.resource.attributes}[
                "service.name"
            ]
            exported += [
                (service, span.name, span.trace_id.hex())
                for scope in resource_spans.scope_spans
                for span in scope.spans
            ]
    assert ("assistance-intake", "GET /intake/v1/applications", trace_id) in exported


async def test_without_an_endpoint_nothing_is_exported(database_url, otlp_receiver, monkeypatch):
    monkeypatch.delenv("OTEL_EXPORTER_OTLP_ENDPOINT", raising=False)
    from services.registry import module
    from shared.app import build_app

    _, received = otlp_receiver
    app = build_app(
        [module("intake")],
        overrides={"intake": {"database_url": database_url, "bus": "memory", "environment": "test"}},
    )
    async with (
        app.router.lifespan_context(app),
        httpx.AsyncClient(
            transport=httpx.ASGITransport(app=app), base_url="http://intake", headers=officer()
        ) as client,
    ):
        assert (await client.get("/intake/v1/applications")).status_code == 200
    assert received == []
