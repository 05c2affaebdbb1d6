"""Prometheus metrics shared by the services (labels never carry personal data or case ids)."""

from __future__ import annotations

import time

from prometheus_client import Counter, Gauge, Histogram
from starlette.middleware.base import BaseHTTPMiddleware, RequestResponseEndpoint
from starlette.requests import Request
from starlette.responses import Response

HTTP_REQUESTS = Counter("assistance_http_requests_total", "HTTP requests", ["method", "route", "status"])
HTTP_LATENCY = Histogram("assistance_http_request_duration_seconds", "HTTP request latency", ["method", "route"])
EVENTS_PUBLISHED = Counter("assistance_events_published_total", "Events published", ["service", "type"])
EVENTS_CONSUMED = Counter("assistance_events_consumed_total", "Events consumed", ["service", "type", "outcome"])
DEAD_LETTERS = Counter("assistance_dead_letters_total", "Events sent to the dead-letter topic", ["service"])
OUTBOX_BACKLOG = Gauge("assistance_outbox_backlog", "Outbox rows not yet published", ["service"])
OUTBOX_OLDEST_AGE = Gauge("assistance_outbox_oldest_age_seconds", "Age of the oldest unpublished row", ["service"])


class MetricsMiddleware(BaseHTTPMiddleware):
    async def dispatch(self, request: Request, call_next: RequestResponseEndpoint) -> Response:
        start = time.perf_counter()
        status = 500
        try:
            response = await call_next(request)
            status = response.status_code
            return response
        finally:
            route = request.scope.get("route")
            template = getattr(route, "path", "unmatched")
            HTTP_REQUESTS.labels(request.method, template, str(status)).inc()
            HTTP_LATENCY.labels(request.method, template).observe(time.perf_counter() - start)
