"""AsyncAPI 3.0 documents built from the event registry: each channel lists the CloudEvents types it
carries, each message's ``data`` schema is the payload model's own JSON Schema (pydantic), so the document
cannot drift from the code."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from shared.events import CLOUDEVENTS_CONTENT_TYPE, REGISTRY, Event

REF_TEMPLATE = "#/components/schemas/{model}"

CLOUD_EVENT_SCHEMA: dict[str, Any] = {
    "type": "object",
    "description": "CloudEvents 1.0 structured JSON envelope",
    "required": ["specversion", "id", "source", "type", "data"],
    "properties": {
        "specversion": {"const": "1.0"},
        "id": {"type": "string", "description": "unique per event: deduplicate by it"},
        "source": {"type": "string"},
        "type": {"type": "string"},
        "subject": {"type": "string"},
        "time": {"type": "string", "format": "date-time"},
        "datacontenttype": {"const": "application/json"},
        "dataschema": {"type": "string"},
        "traceparent": {"type": "string", "description": "W3C trace context"},
        "data": {"type": "object"},
    },
}


@dataclass(frozen=True)
class Channel:
    key: str
    address: str | None
    description: str
    event_types: Sequence[str]
    servers: Sequence[str] = ()
    bindings: Mapping[str, Any] = field(default_factory=dict)
    message_bindings: Mapping[str, Any] = field(default_factory=dict)
    parameters: Mapping[str, Any] = field(default_factory=dict)
    """AsyncAPI 3 parameter objects for ``{name}`` placeholders in ``address``."""


def payload_schema(model: type[Event]) -> tuple[dict[str, Any], dict[str, Any]]:
    """The model's JSON Schema with references into ``components.schemas``, and the definitions to hoist."""
    schema = model.model_json_schema(ref_template=REF_TEMPLATE)
    defs = schema.pop("$defs", {})
    return schema, defs


def build(
    *, title: str, version: str, description: str, channels: Sequence[Channel], servers: Mapping[str, Any]
) -> dict[str, Any]:
    schemas: dict[str, Any] = {"CloudEvent": CLOUD_EVENT_SCHEMA}
    messages: dict[str, Any] = {}
    doc_channels: dict[str, Any] = {}
    operations: dict[str, Any] = {}
    for channel in channels:
        refs: dict[str, Any] = {}
        for event_type in channel.event_types:
            model = REGISTRY[event_type]
            name = model.__name__
            schema, defs = payload_schema(model)
            schemas.update(defs)
            schemas[name] = schema
            messages.setdefault(
                name,
                {
                    "name": name,
                    "title": name,
                    "summary": (model.__doc__ or name).strip().splitlines()[0],
                    "contentType": CLOUDEVENTS_CONTENT_TYPE,
                    "payload": {
                        "allOf": [
                            {"$ref": "#/components/schemas/CloudEvent"},
                            {
                                "type": "object",
                                "properties": {
                                    "type": {"const": event_type},
                                    "dataschema": {"const": f"urn:assistance:schema:{event_type}"},
                                    "data": {"$ref": f"#/components/schemas/{name}"},
                                },
                            },
                        ]
                    },
                    **({"bindings": dict(channel.message_bindings)} if channel.message_bindings else {}),
                },
            )
            refs[name] = {"$ref": f"#/components/messages/{name}"}
        doc_channels[channel.key] = {
            "address": channel.address,
            "description": channel.description,
            "messages": refs,
            **({"parameters": dict(channel.parameters)} if channel.parameters else {}),
            **({"servers": [{"$ref": f"#/servers/{s}"} for s in channel.servers]} if channel.servers else {}),
            **({"bindings": dict(channel.bindings)} if channel.bindings else {}),
        }
        operations[f"receive_{channel.key}"] = {
            "action": "receive",
            "channel": {"$ref": f"#/channels/{channel.key}"},
            "messages": [{"$ref": f"#/channels/{channel.key}/messages/{n}"} for n in refs],
        }
    return {
        "asyncapi": "3.0.0",
        "info": {"title": title, "version": version, "description": description},
        "defaultContentType": CLOUDEVENTS_CONTENT_TYPE,
        "servers": dict(servers),
        "channels": doc_channels,
        "operations": operations,
        "components": {"messages": messages, "schemas": schemas},
    }
