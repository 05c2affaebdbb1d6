"""OpenTelemetry tracing: a server span per HTTP request, a producer span per event written to the outbox
(and one when the relay sends it), a consumer span per event handled, all joined through the envelope's
W3C ``traceparent`` (also sent as a Kafka header), so one case's path through the five services is one
trace.

Trace ids always propagate and appear in the logs; spans are recorded only while a processor is attached
(the exporter, or a test's in-memory one): without one, a span is a bare context with fresh ids (no SDK
span, no attributes, no timestamps), so tracing costs next to nothing when export is off. Spans are
exported only when an OTLP endpoint is configured (``OTEL_EXPORTER_OTLP_ENDPOINT``, per service prefix or
``ASSISTANCE_``, or the standard unprefixed variable): OTLP/HTTP protobuf to ``<endpoint>/v1/traces``.
The standard ``OTEL_SERVICE_NAME``, ``OTEL_RESOURCE_ATTRIBUTES``, ``OTEL_TRACES_SAMPLER`` and
``OTEL_SDK_DISABLED`` are honoured by the SDK.

Span names and attributes carry routes, topics, event types and ids — never personal data: no URL query,
no request or event body.
"""

from __future__ import annotations

import logging
import os
import threading
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager

from opentelemetry import context as otel_context
from opentelemetry import trace
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import ReadableSpan, Span, SpanProcessor, TracerProvider
from opentelemetry.sdk.trace.id_generator import RandomIdGenerator
from opentelemetry.trace import NonRecordingSpan, SpanContext, SpanKind, Status, StatusCode, TraceFlags
from opentelemetry.trace.propagation.tracecontext import TraceContextTextMapPropagator

from shared.settings import ServiceSettings

log = logging.getLogger("assistance.telemetry")

PROPAGATOR = TraceContextTextMapPropagator()
NAMESPACE = "assistance"
TRACES_PATH = "/v1/traces"


class _Fanout(SpanProcessor):
    """The one processor every provider of this process has: it forwards to the processors attached now
    (the OTLP exporter of a running app, an in-memory exporter in tests), so they can come and go."""

    def __init__(self) -> None:
        self._processors: tuple[SpanProcessor, ...] = ()
        self._lock = threading.Lock()

    def attach(self, processor: SpanProcessor) -> None:
        with self._lock:
            self._processors = (*self._processors, processor)

    def detach(self, processor: SpanProcessor) -> None:
        with self._lock:
            self._processors = tuple(p for p in self._processors if p is not processor)

    @property
    def active(self) -> bool:
        return bool(self._processors)

    def on_start(self, span: Span, parent_context: otel_context.Context | None = None) -> None:
        for processor in self._processors:
            processor.on_start(span, parent_context=parent_context)

    def on_end(self, span: ReadableSpan) -> None:
        for processor in self._processors:
            processor.on_end(span)

    def shutdown(self) -> None:
        return None  # attached processors are shut down by whoever attached them

    def force_flush(self, timeout_millis: int = 30000) -> bool:
        return all(p.force_flush(timeout_millis) for p in self._processors)


_FANOUT = _Fanout()
_IDS = RandomIdGenerator()
Attributes = Mapping[str, str | int]
_providers: dict[str, TracerProvider] = {}
_providers_lock = threading.Lock()


def service_name(service: str) -> str:
    """``OTEL_SERVICE_NAME`` when set (one service per process in Kubernetes), else
    ``assistance-<service>``."""
    return os.environ.get("OTEL_SERVICE_NAME") or f"{NAMESPACE}-{service}"


def provider(service: str) -> TracerProvider:
    """The tracer provider of ``service`` in this process (standalone mode has one per service, so each
    service's spans carry its own ``service.name``; they share the exporters attached to the process)."""
    with _providers_lock:
        found = _providers.get(service)
        if found is None:
            resource = Resource.create(
                {"service.name": service_name(service), "service.namespace": NAMESPACE}
            )
            found = TracerProvider(resource=resource, shutdown_on_exit=False)
            found.add_span_processor(_FANOUT)
            _providers[service] = found
        return found


def tracer(service: str) -> trace.Tracer:
    return provider(service).get_tracer(f"{NAMESPACE}.{service}")


def attach(processor: SpanProcessor) -> None:
    """Send every span of this process (all services) to ``processor`` from now on."""
    _FANOUT.attach(processor)


def detach(processor: SpanProcessor) -> None:
    _FANOUT.detach(processor)


# ---------------------------------------------------------------- export


def otlp_endpoint(settings: ServiceSettings) -> str | None:
    """The configured OTLP/HTTP base endpoint: the service's setting, else the standard variable."""
    endpoint = settings.otel_exporter_otlp_endpoint or os.environ.get("OTEL_EXPORTER_OTLP_ENDPOINT") or ""
    return endpoint.strip() or None


def traces_url(endpoint: str) -> str:
    """``http://collector:4318`` -> ``http://collector:4318/v1/traces`` (a URL already ending so is kept)."""
    endpoint = endpoint.rstrip("/")
    return endpoint if endpoint.endswith(TRACES_PATH) else endpoint + TRACES_PATH


def start_export(settings: Iterable[ServiceSettings]) -> list[SpanProcessor]:
    """Attach one batching OTLP/HTTP exporter per distinct configured endpoint; none by default."""
    from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter
    from opentelemetry.sdk.trace.export import BatchSpanProcessor

    started: list[SpanProcessor] = []
    for endpoint in dict.fromkeys(e for s in settings if (e := otlp_endpoint(s))):
        processor = BatchSpanProcessor(OTLPSpanExporter(endpoint=traces_url(endpoint)))
        attach(processor)
        started.append(processor)
        log.info("exporting traces", extra={"otlp_endpoint": traces_url(endpoint)})
    return started


def stop_export(processors: Sequence[SpanProcessor]) -> None:
    """Detach, flush what is queued and stop the exporters started by :func:`start_export`."""
    for processor in processors:
        detach(processor)
        try:
            processor.force_flush(5000)
            processor.shutdown()
        except Exception:  # a collector that is gone must not block shutdown
            log.warning("trace exporter did not stop cleanly")


# ---------------------------------------------------------------- context


def extract(traceparent: str | None, headers: Mapping[str, str] | None = None) -> otel_context.Context:
    """The remote parent carried by an envelope's ``traceparent`` (or, failing that, the Kafka headers)."""
    carrier: dict[str, str] = {}
    if headers:
        carrier.update(
            {k.lower(): v for k, v in headers.items() if k.lower() in ("traceparent", "tracestate")}
        )
    if traceparent:
        carrier["traceparent"] = traceparent
    return PROPAGATOR.extract(carrier)


def current_traceparent() -> str | None:
    """The W3C ``traceparent`` of the active span, to carry on in an event; None without a valid span."""
    carrier: dict[str, str] = {}
    PROPAGATOR.inject(carrier)
    return carrier.get("traceparent")


# ---------------------------------------------------------------- spans


def recording() -> bool:
    """Are spans recorded (a processor attached, or the SDK switched off, whose no-op spans it makes)?"""
    return _FANOUT.active or os.environ.get("OTEL_SDK_DISABLED", "").strip().lower() == "true"


def _bare_span(parent: otel_context.Context | None) -> trace.Span:
    """A span that is only a context: the parent's trace (or a new one) and a fresh span id."""
    above = trace.get_current_span(parent).get_span_context()
    if above.is_valid:
        trace_id, flags = above.trace_id, above.trace_flags
    else:
        trace_id, flags = _IDS.generate_trace_id(), TraceFlags(TraceFlags.SAMPLED)
    context = SpanContext(trace_id, _IDS.generate_span_id(), is_remote=False, trace_flags=flags)
    return NonRecordingSpan(context)


@contextmanager
def _current_span(
    service: str,
    name: str,
    *,
    kind: SpanKind,
    attributes: Callable[[], Attributes],
    context: otel_context.Context | None = None,
) -> Iterator[trace.Span]:
    """The active span for the block: recorded by the SDK while a processor listens, else a bare one."""
    if not recording():
        span = _bare_span(context)
        with trace.use_span(span, end_on_exit=False):
            yield span
        return
    with tracer(service).start_as_current_span(
        name, context=context, kind=kind, attributes=attributes()
    ) as recorded:
        yield recorded


@contextmanager
def server_span(service: str, method: str, headers: Mapping[str, str]) -> Iterator[trace.Span]:
    """The span of one HTTP request, child of the caller's ``traceparent`` if it sent one. The caller
    names it after the matched route once routing is done."""
    parent = extract(None, headers)
    with _current_span(
        service,
        method,
        context=parent,
        kind=SpanKind.SERVER,
        attributes=lambda: {"http.request.method": method},
    ) as span:
        yield span


def finish_server_span(span: trace.Span, method: str, route: str, status: int) -> None:
    span.update_name(f"{method} {route}")
    span.set_attribute("http.route", route)
    span.set_attribute("http.response.status_code", status)
    if status >= 500:
        span.set_status(Status(StatusCode.ERROR))


def _messaging_attributes(operation: str, topic: str, event_id: str, event_type: str) -> dict[str, str]:
    return {
        "messaging.system": "kafka",
        "messaging.operation.type": operation,
        "messaging.destination.name": topic,
        "messaging.message.id": event_id,
        "cloudevents.event_id": event_id,
        "cloudevents.event_type": event_type,
    }


def producer_traceparent(service: str, *, topic: str, event_id: str, event_type: str) -> str | None:
    """A producer span for an event being written (to the outbox, in the use case's transaction), child of
    the active span; returns the ``traceparent`` the event carries so its consumers continue this trace."""
    with _current_span(
        service,
        f"create {topic}",
        kind=SpanKind.PRODUCER,
        attributes=lambda: _messaging_attributes("create", topic, event_id, event_type),
    ):
        return current_traceparent()


def send_span(
    service: str, *, topic: str, event_id: str, event_type: str, traceparent: str | None
) -> trace.Span:
    """A producer span for the relay's send of one outbox row to the broker; the caller ends it."""
    if not recording():
        return trace.INVALID_SPAN  # nothing reads its ids: the record carries the event's traceparent
    return tracer(service).start_span(
        f"send {topic}",
        context=extract(traceparent),
        kind=SpanKind.PRODUCER,
        attributes=_messaging_attributes("send", topic, event_id, event_type),
    )


@contextmanager
def consumer_span(
    service: str,
    *,
    topic: str,
    partition: int,
    offset: int,
    group: str,
    event_id: str,
    event_type: str,
    traceparent: str | None,
    headers: Mapping[str, str] | None = None,
) -> Iterator[trace.Span]:
    """The span of one event handled by a consumer, child of the producer span named by the event's
    ``traceparent``; everything the handler logs and publishes is inside it."""

    def attributes() -> Attributes:
        return {
            **_messaging_attributes("process", topic, event_id, event_type),
            "messaging.consumer.group.name": group,
            "messaging.destination.partition.id": str(partition),
            "messaging.kafka.offset": offset,
        }

    with _current_span(
        service,
        f"process {topic}",
        context=extract(traceparent, headers),
        kind=SpanKind.CONSUMER,
        attributes=attributes,
    ) as span:
        yield span
