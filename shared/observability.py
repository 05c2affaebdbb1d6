"""Prometheus metrics shared by the services (labels never carry personal data or case ids).

Counters and histograms are updated as things happen; gauges that describe stored state (outbox backlog,
dead letters waiting, consumer lag, cases by state, reserve-fund balances) are read when ``/metrics`` is
scraped (:func:`refresh`), each service from its own tables and its own consumer.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Iterator, Mapping, Sequence
from typing import TYPE_CHECKING

from prometheus_client import REGISTRY, CollectorRegistry, Counter, Gauge, Histogram
from prometheus_client.core import GaugeMetricFamily, Metric
from prometheus_client.registry import Collector
from sqlalchemy import func, select
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from shared.logging import route_template

HTTP_REQUESTS = Counter("assistance_http_requests_total", "HTTP requests", ["method", "route", "status"])
HTTP_LATENCY = Histogram(
    "assistance_http_request_duration_seconds", "HTTP request latency", ["method", "route"]
)
EVENTS_PUBLISHED = Counter("assistance_events_published_total", "Events published", ["service", "type"])
EVENTS_CONSUMED = Counter(
    "assistance_events_consumed_total", "Events consumed", ["service", "type", "outcome"]
)
DEAD_LETTERS = Counter("assistance_dead_letters_total", "Events sent to the dead-letter topic", ["service"])
OUTBOX_BACKLOG = Gauge("assistance_outbox_backlog", "Outbox rows not yet published", ["service"])
OUTBOX_OLDEST_AGE = Gauge(
    "assistance_outbox_oldest_age_seconds", "Age of the oldest unpublished row", ["service"]
)

if TYPE_CHECKING:
    from shared.runtime import Runtime

log = logging.getLogger("assistance.metrics")


class SnapshotGauge(Collector):
    """A gauge family whose series are replaced as a whole, per owner (service), at each refresh. A series
    seen before and absent from the new reading reports 0 (a state no case is in any more, a partition now
    consumed by another replica) rather than keeping its last value or vanishing from dashboards."""

    def __init__(
        self,
        name: str,
        documentation: str,
        labelnames: Sequence[str],
        registry: CollectorRegistry | None = REGISTRY,
    ) -> None:
        self.name, self.documentation, self.labelnames = name, documentation, tuple(labelnames)
        self._snapshots: dict[str, dict[tuple[str, ...], float]] = {}
        if registry is not None:
            registry.register(self)

    def replace(self, owner: str, samples: Mapping[tuple[str, ...], float]) -> None:
        for labels in samples:
            if len(labels) != len(self.labelnames):
                raise ValueError(f"{self.name}: labels {self.labelnames}, got {labels}")
        previous = dict.fromkeys(self._snapshots.get(owner, {}), 0.0)
        self._snapshots[owner] = previous | {tuple(str(v) for v in k): float(v) for k, v in samples.items()}

    def samples(self) -> dict[tuple[str, ...], float]:
        return {k: v for snapshot in self._snapshots.values() for k, v in snapshot.items()}

    def describe(self) -> Iterator[Metric]:
        yield GaugeMetricFamily(self.name, self.documentation, labels=self.labelnames)

    def collect(self) -> Iterator[Metric]:
        family = GaugeMetricFamily(self.name, self.documentation, labels=self.labelnames)
        for labels, value in sorted(self.samples().items()):
            family.add_metric(labels, value)
        yield family


DEAD_LETTERS_WAITING = SnapshotGauge(
    "assistance_dead_letters_waiting", "Dead letters recorded and not replayed", ["service"]
)
CONSUMER_LAG = SnapshotGauge(
    "assistance_consumer_lag",
    "Messages not yet processed by the consumer group: high watermark minus committed offset",
    ["service", "group", "topic", "partition"],
)
CASES_BY_STATE = SnapshotGauge(
    "assistance_cases_by_state",
    "Cases by state, as each service's own records hold them",
    ["service", "state"],
)
RESERVE_FUND_BALANCE = SnapshotGauge(
    "assistance_reserve_fund_balance_yuan",
    "Township reserve fund balance (R-RES)",
    ["county", "township", "year"],
)
RESERVE_REPORTS_OVERDUE = SnapshotGauge(
    "assistance_reserve_reports_overdue",
    "Township reserve-fund reports past their due day and not submitted (R-RES-2)",
    ["county", "township"],
)
RESERVE_FUND_ALLOCATED = SnapshotGauge(
    "assistance_reserve_fund_allocated_yuan",
    "Township reserve fund allocated for the year (R-RES)",
    ["county", "township", "year"],
)

SCRAPE_QUERY_TIMEOUT = 5.0


async def refresh(runtime: Runtime) -> None:
    """Read the state gauges of one service; a part that fails (database or broker hiccup) keeps its last
    value and never fails the scrape."""
    name = runtime.name
    try:
        count, age = await asyncio.wait_for(runtime.relay.backlog(), SCRAPE_QUERY_TIMEOUT)
        OUTBOX_BACKLOG.labels(name).set(count)
        OUTBOX_OLDEST_AGE.labels(name).set(age)
        t = runtime.dead_letter_table
        async with runtime.engine.connect() as conn:
            waiting = await asyncio.wait_for(
                conn.scalar(select(func.count()).select_from(t).where(t.c.replayed_at.is_(None))),
                SCRAPE_QUERY_TIMEOUT,
            )
        DEAD_LETTERS_WAITING.replace(name, {(name,): waiting or 0})
    except Exception as exc:
        log.debug("outbox/dead-letter gauges not refreshed", extra={"error": repr(exc)[:200]})
    worker = runtime.worker
    if worker is not None and worker.subscription is not None:
        try:
            lags = await asyncio.wait_for(worker.subscription.lag(), SCRAPE_QUERY_TIMEOUT)
            CONSUMER_LAG.replace(
                name,
                {
                    (name, worker.group, topic, str(partition)): lag
                    for (topic, partition), lag in lags.items()
                },
            )
        except Exception as exc:
            log.debug("consumer lag not refreshed", extra={"error": repr(exc)[:200]})
    if runtime.module.state_gauges is not None:
        try:
            await asyncio.wait_for(runtime.module.state_gauges(runtime), SCRAPE_QUERY_TIMEOUT)
        except Exception as exc:
            log.debug("state gauges not refreshed", extra={"error": repr(exc)[:200]})


class MetricsMiddleware:
    """Requests and latency by method, route template and status (pure ASGI: nothing is buffered)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        start = time.perf_counter()
        status = 500

        async def send_status(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        try:
            await self.app(scope, receive, send_status)
        finally:
            template = route_template(scope)
            HTTP_REQUESTS.labels(scope["method"], template, str(status)).inc()
            HTTP_LATENCY.labels(scope["method"], template).observe(time.perf_counter() - start)
