"""The one event envelope (CloudEvents 1.0, structured JSON) and the registry of typed payloads.

Every payload is a versioned Pydantic model registered under its CloudEvents ``type``, e.g.
``gov.assistance.intake.application-submitted.v1``. Consumers parse the envelope, look the type up and
validate ``data`` into the model; an invalid payload is a poison event (dead-lettered, never retried).
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from datetime import datetime
from typing import Any, ClassVar, Literal, TypeVar

from pydantic import BaseModel, ConfigDict, Field

from shared import clock

CLOUDEVENTS_CONTENT_TYPE = "application/cloudevents+json"


class Event(BaseModel):
    """Base of every event payload. Subclasses set ``event_type`` and are registered with ``@event``."""

    model_config = ConfigDict(frozen=True, extra="forbid")
    event_type: ClassVar[str]


E = TypeVar("E", bound=type[Event])
REGISTRY: dict[str, type[Event]] = {}


def event(type_: str) -> Callable[[E], E]:
    """Register a payload model under its CloudEvents type."""

    def register(cls: E) -> E:
        if type_ in REGISTRY and REGISTRY[type_] is not cls:
            raise ValueError(f"event type {type_} registered twice")
        cls.event_type = type_
        REGISTRY[type_] = cls
        return cls

    return register


class Envelope(BaseModel):
    """CloudEvents 1.0 attributes plus ``data``; ``traceparent`` is the W3C distributed-tracing extension."""

    model_config = ConfigDict(extra="allow")

    specversion: Literal["1.0"] = "1.0"
    id: str = Field(default_factory=lambda: str(uuid.uuid4()), min_length=1)
    source: str = Field(min_length=1)
    type: str = Field(min_length=1)
    subject: str | None = None
    time: datetime = Field(default_factory=lambda: clock.now())
    datacontenttype: Literal["application/json"] = "application/json"
    dataschema: str | None = None
    traceparent: str | None = None
    data: dict[str, Any]

    @classmethod
    def wrap(
        cls, payload: Event, *, source: str, subject: str | None, traceparent: str | None = None
    ) -> Envelope:
        return cls(
            source=source,
            type=payload.event_type,
            subject=subject,
            traceparent=traceparent,
            dataschema=f"urn:assistance:schema:{payload.event_type}",
            data=payload.model_dump(mode="json"),
        )

    def payload(self) -> Event:
        """Validate ``data`` into the registered model; raises KeyError (unknown) or ValidationError."""
        return REGISTRY[self.type].model_validate(self.data)

    def to_bytes(self) -> bytes:
        return self.model_dump_json(exclude_none=True).encode()
