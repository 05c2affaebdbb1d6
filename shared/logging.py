"""Structured JSON logs carrying request, case, event and trace ids from context variables; the trace and
span ids are those of the active OpenTelemetry span (shared/telemetry.py) when there is one.

Personal data never goes into a log: log ids and codes, not names, ID numbers or accounts.
"""

from __future__ import annotations

import contextlib
import contextvars
import json
import logging
import sys
from collections.abc import Iterator, Mapping
from datetime import UTC, datetime
from typing import Any

import orjson
from opentelemetry import trace

_CONTEXT: dict[str, contextvars.ContextVar[str | None]] = {
    name: contextvars.ContextVar(name, default=None)
    for name in ("service", "request_id", "case_id", "event_id", "event_type", "trace_id", "traceparent")
}

_RESERVED = set(logging.LogRecord("", 0, "", 0, "", (), None).__dict__) | {"message", "asctime", "taskName"}


@contextlib.contextmanager
def log_context(**values: str | None) -> Iterator[None]:
    """Bind ids (case_id=…, event_id=…) for every log line written inside the block."""
    tokens = [(_CONTEXT[k], _CONTEXT[k].set(v)) for k, v in values.items() if k in _CONTEXT]
    try:
        yield
    finally:
        for var, token in reversed(tokens):
            var.reset(token)


def current(name: str) -> str | None:
    return _CONTEXT[name].get()


def trace_context(traceparent: str | None) -> dict[str, str | None]:
    """W3C ``traceparent`` (00-<trace id>-<span id>-<flags>) as log context: the trace id is logged,
    the whole header travels on in events so one case's path through the services is one trace."""
    if not traceparent:
        return {"traceparent": None, "trace_id": None}
    parts = traceparent.split("-")
    trace_id = parts[1] if len(parts) == 4 and len(parts[1]) == 32 else None
    return {"traceparent": traceparent if trace_id else None, "trace_id": trace_id}


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, object] = {
            "ts": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname.lower(),
            "logger": record.name,
            "msg": record.getMessage(),
        }
        for name, var in _CONTEXT.items():
            value = var.get()
            if value is not None and name != "traceparent":
                entry[name] = value
        span = trace.get_current_span().get_span_context()
        if span.is_valid:
            entry["trace_id"] = trace.format_trace_id(span.trace_id)
            entry["span_id"] = trace.format_span_id(span.span_id)
        for key, value in record.__dict__.items():
            if key not in _RESERVED and not key.startswith("_"):
                entry[key] = value
        if record.exc_info:
            entry["exc"] = self.formatException(record.exc_info)
        try:  # orjson: the same JSON, several times faster (a log line per event handled)
            return orjson.dumps(entry, default=str, option=orjson.OPT_NON_STR_KEYS).decode()
        except TypeError:  # e.g. an integer beyond 64 bits
            return json.dumps(entry, default=str, ensure_ascii=False)


def configure_logging(level: str = "INFO") -> None:
    handler = logging.StreamHandler(sys.stdout)
    handler.setFormatter(JsonFormatter())
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level.upper())
    for noisy in ("aiokafka", "kafka", "uvicorn.access", "sqlalchemy.engine"):
        logging.getLogger(noisy).setLevel(max(logging.WARNING, root.level))


def route_template(scope: Mapping[str, Any]) -> str:
    """The matched route as a template with its full prefix
    (``/approval/v1/townships/{township_code}/limits``).

    A route of a router included in another router knows only its own part of the path, so the prefix is
    taken from the request path: what is left after the route's part, filled with the path parameters."""
    route = scope.get("route")
    template: str | None = getattr(route, "path", None)
    if template is None:
        return "unmatched"
    path: str = scope.get("path", "")
    try:
        filled = template.format(**{k: str(v) for k, v in scope.get("path_params", {}).items()})
    except (KeyError, IndexError, ValueError):
        return template
    if filled != path and path.endswith(filled):
        return path[: len(path) - len(filled)] + template
    return template
