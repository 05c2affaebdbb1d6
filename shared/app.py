"""The app factory: one FastAPI application for one service (distributed mode) or all five (standalone).

Both modes run the same code: routers under their prefixes, the outbox relay and the inbox consumers of
every mounted service, the same health, readiness and metrics endpoints.
"""

from __future__ import annotations

import asyncio
import logging
import time
import uuid
from collections.abc import AsyncIterator, Mapping, Sequence
from contextlib import asynccontextmanager
from typing import Any

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse, Response
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest
from starlette.datastructures import Headers, MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from shared import clock
from shared.access import Authenticator
from shared.api import PROBLEM, PROBLEM_RESPONSES
from shared.asyncapi import asyncapi_router
from shared.audit_api import audit_router
from shared.audit_http import AuditTrail
from shared.bus import Bus, InProcessBus, make_bus
from shared.errors import install_problem_handlers, problem_response
from shared.guards import RequestGuard
from shared.logging import configure_logging, log_context, route_template, trace_context
from shared.migrations import runtime_role_of, upgrade
from shared.observability import MetricsMiddleware
from shared.observability import refresh as refresh_gauges
from shared.ops import ops_router
from shared.oversight import router as oversight_router
from shared.ratelimit import FailureLimiter
from shared.runtime import Runtime, ServiceModule
from shared.security_headers import SecurityHeaders
from shared.settings import ServiceSettings
from shared.telemetry import finish_server_span, server_span, start_export, stop_export

log = logging.getLogger("assistance.app")
QUIET_ROUTES = {"/healthz", "/readyz", "/metrics"}


class RequestContextMiddleware:
    """A server span per request (child of the caller's W3C ``traceparent``), and the request id and trace
    id on every log line of the request; the request id is echoed. Probes and scrapes get no span.

    Pure ASGI (no ``BaseHTTPMiddleware``): the response streams through untouched, only the start message
    gains the ``X-Request-ID`` header."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    @staticmethod
    def _service(scope: Scope) -> str:
        """The mounted service the path belongs to (standalone mode serves all five)."""
        services = list(getattr(scope["app"].state, "runtimes", {}))
        first = scope["path"].lstrip("/").split("/", 1)[0]
        if first in services:
            return str(first)
        return services[0] if len(services) == 1 else "standalone"

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = Headers(scope=scope)
        request_id = (headers.get("x-request-id") or uuid.uuid4().hex)[:64]
        status = 500

        async def send_with_id(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                MutableHeaders(scope=message)["X-Request-ID"] = request_id
            await send(message)

        if scope["path"] in QUIET_ROUTES:
            with log_context(request_id=request_id, **trace_context(headers.get("traceparent", "")[:55])):
                await self.app(scope, receive, send_with_id)
            return
        method = scope["method"]
        with server_span(self._service(scope), method, headers) as span, log_context(request_id=request_id):
            started = time.perf_counter()
            await self.app(scope, receive, send_with_id)
            route = route_template(scope)
            finish_server_span(span, method, route, status)
            log.info(
                "request handled",
                extra={
                    "method": method,
                    "route": route,
                    "status": status,
                    "ms": round((time.perf_counter() - started) * 1000, 1),
                },
            )


def _settings_for(module: ServiceModule, overrides: Mapping[str, Any]) -> ServiceSettings:
    return module.settings_cls(**overrides)


async def start_runtime(
    module: ServiceModule, settings: ServiceSettings, bus: Bus, *, migrate: bool, start_bus: bool
) -> Runtime:
    if migrate:
        await migrate_as_owner(module, settings)
    runtime = Runtime(module=module, settings=settings, bus=bus)
    await refuse_privileged_role(runtime)
    if start_bus:
        await _start_bus(bus, runtime.topics_used())
    if module.on_start is not None:
        await module.on_start(runtime)
    return runtime


async def migrate_as_owner(module: ServiceModule, settings: ServiceSettings) -> None:
    """Migrations run as the owner role (MIGRATION_DATABASE_URL), then grant the runtime role its share."""
    owner_url = settings.migration_database_url or settings.database_url or ""
    await asyncio.to_thread(
        upgrade,
        module.migrations,
        url=owner_url,
        service=module.name,
        schema=settings.schema_name,
        runtime_role=runtime_role_of(settings.database_url, owner_url),
    )


async def refuse_privileged_role(runtime: Runtime) -> None:
    """Least privilege for the audit log: production refuses a runtime role that could rewrite it."""
    try:
        privileged = await runtime.database_role_is_privileged()
    except Exception as exc:  # noqa: BLE001 - not migrated or not reachable yet
        if runtime.settings.environment == "production":
            await runtime.close()
            raise RuntimeError(f"{runtime.name}: cannot check the database role's privileges") from exc
        log.warning("could not check the database role's privileges", extra={"service": runtime.name})
        return
    if not privileged:
        return
    message = (
        f"{runtime.name}: the database role of DATABASE_URL may rewrite the audit log (superuser, owner, or "
        "UPDATE/DELETE/TRUNCATE on it); use the runtime role and MIGRATION_DATABASE_URL for the owner"
    )
    if runtime.settings.environment == "production":
        await runtime.close()
        raise RuntimeError(message)
    log.warning(message)


async def _start_bus(bus: Bus, topics: list[str]) -> None:
    delay = 0.5
    for attempt in range(60):
        try:
            await bus.start(topics)
            return
        except Exception as exc:  # wait for the broker within the start-up budget
            log.warning("bus not reachable yet", extra={"attempt": attempt, "error": repr(exc)[:200]})
            await bus.stop()
            await asyncio.sleep(delay)
            delay = min(delay * 2, 5)
    raise RuntimeError("message bus unreachable at start-up")


def launch(runtime: Runtime) -> None:
    """Start the consumer (subscribed before any relay publishes), the relay and background tasks."""
    worker = runtime.worker = runtime.consumer()
    if worker is not None:
        runtime.tasks.append(asyncio.create_task(worker.run(), name=f"{runtime.name}-consumer"))
    runtime.tasks.append(asyncio.create_task(runtime.relay.run(), name=f"{runtime.name}-relay"))
    for job in runtime.module.background:
        runtime.tasks.append(asyncio.create_task(job(runtime), name=f"{runtime.name}-{job.__name__}"))
    checkpoints = runtime.checkpoint_periodically()  # anchors of the audit chain (shared/audit_anchor.py)
    runtime.tasks.append(asyncio.create_task(checkpoints, name=f"{runtime.name}-audit-checkpoints"))


def document_problems(app: FastAPI) -> None:
    """Every error answer is problem+json (shared/errors.py), so the OpenAPI document says so for every
    4xx and 5xx response, including those a route describes in words only
    (tests/unit/test_openapi_problems.py)."""
    plain = app.openapi

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            spec = plain()
            for operations in spec.get("paths", {}).values():
                for operation in operations.values():
                    for code, answer in operation.get("responses", {}).items():
                        if code[:1] in ("4", "5") and not answer.get("content"):
                            answer["content"] = PROBLEM["content"]
            app.openapi_schema = spec
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]


def build_app(
    modules: Sequence[ServiceModule],
    *,
    overrides: dict[str, dict[str, object]] | None = None,
    migrate_on_start: bool = False,
    title: str | None = None,
) -> FastAPI:
    """An app serving ``modules``; ``overrides`` gives settings per service name (tests, standalone)."""
    overrides = overrides or {}
    settings = [_settings_for(m, overrides.get(m.name, {})) for m in modules]
    configure_logging(settings[0].log_level if settings else "INFO")
    if settings and settings[0].time_zone:
        clock.set_zone(settings[0].time_zone)  # one clock for every service in this process

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        shared_memory_bus = InProcessBus()
        runtimes: list[Runtime] = []
        buses: list[Bus] = []
        exporters = start_export(settings)
        try:
            for module, s in zip(modules, settings, strict=True):
                bus = shared_memory_bus if s.bus == "memory" else make_bus(s)
                buses.append(bus)
                runtimes.append(
                    await start_runtime(module, s, bus, migrate=migrate_on_start, start_bus=s.bus == "kafka")
                )
            app.state.runtimes = {r.name: r for r in runtimes}
            # Subscribe every consumer before any relay may publish (matters for the in-process bus).
            for runtime in runtimes:
                launch(runtime)
            log.info("services started", extra={"services": [r.name for r in runtimes]})
            yield
        finally:
            for runtime in runtimes:
                await runtime.close()
            for bus in dict.fromkeys(buses):
                await bus.stop()
            await asyncio.to_thread(stop_export, exporters)

    app = FastAPI(
        title=title or ("Temporary assistance — " + ", ".join(m.name for m in modules)),
        version="0.1.0",
        lifespan=lifespan,
        description="Temporary assistance (临时救助) services. Errors are RFC 9457 problem+json.",
        swagger_ui_parameters={"validatorUrl": None},  # no third-party validator badge (CSP, privacy)
    )
    first = settings[0] if settings else ServiceSettings()
    app.add_middleware(AuditTrail)  # innermost: one audit entry per API request (shared/audit_http.py)
    app.add_middleware(RequestGuard)
    app.add_middleware(MetricsMiddleware)
    app.add_middleware(RequestContextMiddleware)
    app.add_middleware(SecurityHeaders, hsts_max_age=first.hsts_max_age_seconds)  # outermost: every answer
    install_problem_handlers(app)
    app.state.authenticator = Authenticator(settings[0]) if settings else None
    app.state.auth_limiter = FailureLimiter(
        attempts=first.auth_failure_attempts,
        window=first.auth_failure_window_seconds,
        lockout=first.auth_lockout_seconds,
    )
    app.include_router(oversight_router)  # the oversight page, /oversight/ (R-OVS-1)
    app.include_router(asyncapi_router(first))  # GET /asyncapi.json: every topic (docs/asyncapi.yaml)
    for module in modules:
        app.include_router(module.router)
        app.include_router(audit_router(module.name))
        if module.consumes:
            app.include_router(ops_router(module.name), responses=PROBLEM_RESPONSES)

    document_problems(app)

    @app.get("/healthz", tags=["operations"], summary="Liveness: the process is serving")
    async def healthz() -> dict[str, str]:
        return {"status": "ok"}

    @app.get("/readyz", tags=["operations"], summary="Readiness: database and (Kafka mode) broker reachable")
    async def readyz(request: Request) -> Response:
        checks: dict[str, dict[str, bool]] = {}
        for runtime in getattr(request.app.state, "runtimes", {}).values():
            check = {"database": await runtime.database_ready()}
            if runtime.settings.bus == "kafka":
                check["kafka"] = await runtime.bus.ping()
            checks[runtime.name] = check
        ready = bool(checks) and all(all(c.values()) for c in checks.values())
        if ready:
            return JSONResponse({"status": "ready", "checks": checks})
        return problem_response(
            503,
            {
                "type": "about:blank",
                "title": "Service unavailable",
                "status": 503,
                "detail": "a dependency is not reachable",
                "checks": checks,
            },
        )

    @app.get("/metrics", tags=["operations"], summary="Prometheus metrics", include_in_schema=False)
    async def metrics(request: Request) -> Response:
        runtimes = list(getattr(request.app.state, "runtimes", {}).values())
        await asyncio.gather(*(refresh_gauges(r) for r in runtimes))  # never raises: see refresh
        return Response(generate_latest(), media_type=CONTENT_TYPE_LATEST)

    return app
