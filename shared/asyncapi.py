"""AsyncAPI 3.0 documents built from the event registry: each channel lists the CloudEvents types it
carries, each message's ``data`` schema is the payload model's own JSON Schema (pydantic), so the document
cannot drift from the code.

``build`` makes the partner and status documents (services/referral, services/household);
``system_asyncapi`` the one document of every topic of the six services (issue 18 part 6), served by every
app at ``GET /asyncapi.json`` and committed as docs/asyncapi.yaml (``python -m shared.asyncapi``)."""

from __future__ import annotations

import ast
import functools
import importlib
import inspect
import itertools
import sys
import textwrap
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Annotated, Any, cast

from fastapi import APIRouter, Depends
from pydantic import BaseModel

from shared.access import require
from shared.api import PROBLEM_RESPONSES
from shared.auth import Principal, Role
from shared.contracts.referral import PARTNER_ADDRESSED_EVENT_TYPES, PARTNER_EVENT_TYPES
from shared.events import CLOUDEVENTS_CONTENT_TYPE, REGISTRY, Event
from shared.runtime import Runtime, ServiceModule
from shared.settings import ServiceSettings

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


def attribute_docstrings(model: type[BaseModel]) -> dict[str, str]:
    """The docstrings written under a model's fields (a string literal right after ``field: T``), own and
    inherited: what a subscriber should know about a field (e.g. that ``payee_sealed`` is ciphertext)."""
    found: dict[str, str] = {}
    for cls in reversed(model.__mro__):
        if not (isinstance(cls, type) and issubclass(cls, BaseModel)) or cls.__module__.startswith(
            "pydantic"
        ):
            continue
        try:
            tree = ast.parse(textwrap.dedent(inspect.getsource(cls)))
        except (OSError, TypeError):
            continue
        body = tree.body[0].body if tree.body and isinstance(tree.body[0], ast.ClassDef) else []
        for node, following in itertools.pairwise(body):
            if (
                isinstance(node, ast.AnnAssign)
                and isinstance(node.target, ast.Name)
                and isinstance(following, ast.Expr)
                and isinstance(following.value, ast.Constant)
                and isinstance(following.value.value, str)
            ):
                found[node.target.id] = " ".join(following.value.value.split())
    return found


def described_schema(model: type[Event]) -> tuple[dict[str, Any], dict[str, Any]]:
    """``payload_schema`` with each field's docstring as its ``description``."""
    schema, defs = payload_schema(model)
    for name, text in attribute_docstrings(model).items():
        prop = schema.get("properties", {}).get(name)
        if prop is not None:
            prop.setdefault("description", text)
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


# --- the system document: every service's topics ----------------------------------------------------------

DOCUMENT_VERSION = "1.0.0"
"""Version of the system document; payload changes that break consumers get a new event type (``…v2``)."""
KAFKA_BINDING = "0.5.0"
CASE_KEY = "the case id (a UUID, also the CloudEvents `subject`): one case's events stay in order"
OWN_PARTNER_TOPIC = "referral.partner.{partnerId}"
"""A partner's own topic (``own_topic_address`` in services/referral/adapters/partner_topics.py), with
its channel parameter."""

OUTSIDE_PUBLISHERS: dict[str, str] = {
    "monitoring": "outside government systems (the low-income population monitoring platform "
    "低收入人口动态监测平台, the 12345 hotline, grid workers 网格员, hospitals, schools)",
}
"""Publishers that are not services of this system, by the third segment of their event types
(``gov.assistance.<publisher>.…``): they write to an inbound topic a service consumes (R-OVS-2)."""

EXTRA_CHANNELS: dict[str, tuple[str, ...]] = {
    "gov.assistance.household.case-status-changed.v1": ("household.status",),
    "gov.assistance.monitoring.lead-reported.v1": ("monitoring.leads",),
    **dict.fromkeys(PARTNER_EVENT_TYPES, ("referral.partner",)),
    **dict.fromkeys(PARTNER_ADDRESSED_EVENT_TYPES, ("referral.partner", OWN_PARTNER_TOPIC)),
}
"""Event types that do not go to their service's own topic ``<prefix>.<service>.v1`` (topic names without
prefix and version, as ``Runtime.topic`` takes them)."""

KEYS: dict[str, str] = {
    "gov.assistance.assessment.policy-coverage.v1": "`policy-coverage` (one ordered stream of coverage)",
    "gov.assistance.referral.needs-record-published.v1": "the pseudonymous case_ref",
    "gov.assistance.referral.needs-record-withdrawn.v1": "the partner id, or case_ref on the announcement",
    **{
        t: "the partner id" for t in PARTNER_ADDRESSED_EVENT_TYPES if t.endswith(("offered.v1", "expired.v1"))
    },
    "gov.assistance.referral.referral-cancelled.v1": "the partner id",
    "gov.assistance.monitoring.lead-reported.v1": "the reporting system's `lead_ref`",
    "gov.assistance.intake.lead-overdue.v1": "the lead id",
    "gov.assistance.intake.retention-policy-set.v1": "the county code (one ordered stream per county)",
}
"""The Kafka key of events without a ``case_id`` (every other event is keyed by its case id)."""

KAFKA_HEADERS: dict[str, Any] = {
    "type": "object",
    "description": "Kafka record headers set by the outbox relay (shared/outbox.py)",
    "required": ["content-type", "ce_type", "ce_id"],
    "properties": {
        "content-type": {"const": CLOUDEVENTS_CONTENT_TYPE},
        "ce_type": {"type": "string", "description": "the CloudEvents type (route without parsing the body)"},
        "ce_id": {"type": "string", "description": "the CloudEvents id: deduplicate by it"},
        "traceparent": {"type": "string", "description": "W3C trace context of the producing span"},
    },
}

DLQ_HEADERS = ("dlq_error", "dlq_source_topic", "dlq_source_partition", "dlq_source_offset", "dlq_consumer")
"""Headers a consumer adds to a dead letter (shared/inbox.py ``_dead_letter``)."""

AUDIT_CHECKPOINT_SCHEMA: dict[str, Any] = {
    "type": "object",
    "description": "A signed checkpoint of a service's audit chain (shared/audit_anchor.py): the chain had "
    "`count` entries, the last `last_id` with MAC `last_mac`; `signature` is the HMAC-SHA256 (audit key "
    "`key_id`) over the other fields as sorted compact JSON.",
    "required": ["service", "last_id", "last_mac", "count", "at", "key_id", "signature"],
    "additionalProperties": False,
    "properties": {
        "service": {"type": "string"},
        "last_id": {"type": "integer"},
        "last_mac": {"type": "string"},
        "count": {"type": "integer"},
        "at": {"type": "string", "format": "date-time"},
        "key_id": {"type": "string"},
        "signature": {"type": "string"},
    },
}


@dataclass(frozen=True)
class Topic:
    """One Kafka topic of the system and the events it carries."""

    name: str
    """Without prefix and version: ``intake``, ``referral.partner``, ``referral.partner.{partnerId}``."""
    producer: str
    event_types: list[str] = field(default_factory=list)

    @property
    def key(self) -> str:
        parts = self.name.replace("{partnerId}", "own").split(".")
        return parts[0] + "".join(p.title() for p in parts[1:]) + ("" if parts[1:] else "Events")


def producer_of(event_type: str) -> str:
    """``gov.assistance.<service>.<name>.v<n>``: the service that publishes it."""
    return event_type.split(".")[2]


def topics_of(event_type: str) -> tuple[str, ...]:
    return EXTRA_CHANNELS.get(event_type, (producer_of(event_type),))


def key_of(event_type: str) -> str:
    if event_type in KEYS:
        return KEYS[event_type]
    if "case_id" not in REGISTRY[event_type].model_fields:
        raise ValueError(f"{event_type} has no case_id: say what its Kafka key is in shared/asyncapi.KEYS")
    return CASE_KEY


def event_topics(services: Sequence[str]) -> list[Topic]:
    """Every topic carrying registered events, in the order of ``services``, then by name."""
    topics: dict[str, Topic] = {}
    for event_type in sorted(REGISTRY):
        for name in topics_of(event_type):
            topics.setdefault(name, Topic(name, producer_of(event_type))).event_types.append(event_type)
    unknown = {t.producer for t in topics.values()} - set(services) - set(OUTSIDE_PUBLISHERS)
    if unknown:
        raise ValueError(
            f"events registered for services not given: {sorted(unknown)} (an outside system's inbound "
            "topic: name its publisher in shared/asyncapi.OUTSIDE_PUBLISHERS)"
        )
    order = [*services, *OUTSIDE_PUBLISHERS]
    return sorted(topics.values(), key=lambda t: (order.index(t.producer), t.name))


def consumers_by_type(modules: Sequence[ServiceModule]) -> dict[str, list[str]]:
    """Which services handle each event type: read from each module's handler table (the handlers are
    only bound here, never called, so no runtime is needed)."""
    consumers: dict[str, list[str]] = {}
    for module in modules:
        for event_type in module.handlers(cast(Runtime, None)):
            consumers.setdefault(event_type, []).append(module.name)
    return consumers


def _hoist(schemas: dict[str, Any], defs: Mapping[str, Any]) -> None:
    for name, schema in defs.items():
        if schemas.setdefault(name, schema) != schema:
            raise ValueError(f"two payload models define different schemas named {name}")


def _summary(event_type: str) -> str:
    """The model's first docstring line, else its type in words (``intake: application submitted``)."""
    doc = " ".join((REGISTRY[event_type].__doc__ or "").split())
    if doc:
        return doc.split(". ")[0].removesuffix(".")
    return f"{producer_of(event_type)}: {event_type.split('.')[3].replace('-', ' ')}"


def _event_message(event_type: str, consumers: Sequence[str]) -> dict[str, Any]:
    model = REGISTRY[event_type]
    name = model.__name__
    producer = producer_of(event_type)
    outside = OUTSIDE_PUBLISHERS.get(producer)
    source = {"type": "string", "description": f"the publishing system ({outside})"} if outside else None
    return {
        "name": name,
        "title": name,
        "summary": _summary(event_type),
        "description": (inspect.cleandoc(model.__doc__) + "\n\n" if model.__doc__ else "")
        + f"`{event_type}`, published by **{producer}**"
        + (f" ({outside}, outside this system)" if outside else "")
        + "; handled by "
        + (", ".join(f"**{c}**" for c in consumers) or "no service (for subscribers outside)"),
        "contentType": CLOUDEVENTS_CONTENT_TYPE,
        "headers": {
            "allOf": [
                {"$ref": "#/components/schemas/KafkaHeaders"},
                {"type": "object", "properties": {"ce_type": {"const": event_type}}},
            ]
        },
        "payload": {
            "allOf": [
                {"$ref": "#/components/schemas/CloudEvent"},
                {
                    "type": "object",
                    "properties": {
                        "type": {"const": event_type},
                        "source": source or {"const": f"/assistance/{producer}"},
                        "dataschema": {"const": f"urn:assistance:schema:{event_type}"},
                        "data": {"$ref": f"#/components/schemas/{name}"},
                    },
                },
            ]
        },
        "bindings": {
            "kafka": {
                "key": {"type": "string", "description": key_of(event_type)},
                "bindingVersion": KAFKA_BINDING,
            }
        },
        "x-event-type": event_type,
        "x-producer": producer,
        "x-consumers": list(consumers),
    }


def _infrastructure_messages() -> dict[str, Any]:
    return {
        "DeadLetter": {
            "name": "DeadLetter",
            "title": "Dead letter",
            "summary": "A record the service could not process, unchanged, with the reason in its headers",
            "description": "The value is the consumed record's bytes as they were (normally a CloudEvent "
            "of the source topic; possibly bytes that did not parse); the original headers are kept and "
            "`dlq_*` headers added. Key = the original key. The same record is kept in the service's "
            "`dead_letter` table, and a case-processing-failed event makes it visible on the case.",
            "headers": {
                "type": "object",
                "required": list(DLQ_HEADERS),
                "properties": {h: {"type": "string"} for h in DLQ_HEADERS},
            },
            "payload": {"description": "the original record value"},
            "bindings": {
                "kafka": {
                    "key": {"type": "string", "description": "the original key"},
                    "bindingVersion": KAFKA_BINDING,
                }
            },
        },
        "AuditCheckpoint": {
            "name": "AuditCheckpoint",
            "title": "Audit checkpoint",
            "summary": "A signed checkpoint of the service's audit chain (distributed mode)",
            "contentType": "application/json",
            "payload": {"$ref": "#/components/schemas/AuditCheckpoint"},
            "bindings": {
                "kafka": {
                    "key": {"type": "string", "description": "the service name"},
                    "bindingVersion": KAFKA_BINDING,
                }
            },
        },
    }


def _channel(address: str, description: str, messages: Sequence[str], **extra: Any) -> dict[str, Any]:
    return {
        "address": address,
        "description": description,
        "messages": {m: {"$ref": f"#/components/messages/{m}"} for m in messages},
        "servers": [{"$ref": "#/servers/kafka"}],
        "bindings": {"kafka": {"bindingVersion": KAFKA_BINDING}},
        **extra,
    }


def _operation(
    action: str, service: str, channel: str, messages: Sequence[str], summary: str
) -> dict[str, Any]:
    return {
        "action": action,
        "channel": {"$ref": f"#/channels/{channel}"},
        "summary": summary,
        "tags": [{"name": service}],
        "messages": [{"$ref": f"#/channels/{channel}/messages/{m}"} for m in messages],
    }


TOPIC_DESCRIPTIONS: dict[str, str] = {
    "referral.partner": "The shared partner topic: the announcements without a partner for the bureau's "
    "own consumers; partners read it only where the operator enabled the shared mode (R-CHA-2, "
    "docs/partners.md).",
    OWN_PARTNER_TOPIC: "One partner's own topic (the default): only the events addressed to that partner; "
    "the partner is granted READ on it alone (R-CHA-2).",
    "monitoring.leads": "Inbound: leads of proactive discovery (主动发现, R-OVS-2) written by outside "
    "government systems; intake consumes them once each through its inbox (a record that does not parse, "
    "or names a township that is not the city's, goes to intake's dead letters with the cause). Carries "
    "personal data: WRITE for the reporting systems, READ for intake alone.",
    "household.status": "Public-safe case status for government service platforms (办件状态推送): no "
    "name, no ID number, no phone.",
}


def system_asyncapi(
    modules: Sequence[ServiceModule], *, topic_prefix: str, kafka_host: str, security_protocol: str
) -> dict[str, Any]:
    """One AsyncAPI 3.0 document of every topic of the system: each service's event topic, the partner and
    status topics, each service's dead letters and audit checkpoints. Payload schemas come from the
    registered pydantic models, consumers from the modules' handler tables."""
    settings = ServiceSettings.model_construct(topic_prefix=topic_prefix)
    consumers = consumers_by_type(modules)
    schemas: dict[str, Any] = {
        "CloudEvent": CLOUD_EVENT_SCHEMA,
        "KafkaHeaders": KAFKA_HEADERS,
        "AuditCheckpoint": AUDIT_CHECKPOINT_SCHEMA,
    }
    messages: dict[str, Any] = _infrastructure_messages()
    channels: dict[str, Any] = {}
    operations: dict[str, Any] = {}
    for topic in event_topics([m.name for m in modules]):
        names = [REGISTRY[t].__name__ for t in topic.event_types]
        for event_type, name in zip(topic.event_types, names, strict=True):
            schema, defs = described_schema(REGISTRY[event_type])
            _hoist(schemas, {**defs, name: schema})
            messages[name] = _event_message(event_type, consumers.get(event_type, []))
        extra: dict[str, Any] = {}
        if topic.name == OWN_PARTNER_TOPIC:
            extra["parameters"] = {"partnerId": {"description": "the partner's id (a UUID)"}}
        channels[topic.key] = _channel(
            settings.topic(topic.name),
            TOPIC_DESCRIPTIONS.get(
                topic.name,
                f"Events of the {topic.producer} service; each message's Kafka binding names its key "
                "(the case id for events about a case).",
            ),
            names,
            **extra,
        )
        how = "outside systems publish" if topic.producer in OUTSIDE_PUBLISHERS else "transactional outbox"
        operations[f"{topic.producer}Sends{topic.key[0].upper()}{topic.key[1:]}"] = _operation(
            "send", topic.producer, topic.key, names, f"{topic.producer} publishes ({how})"
        )
        for module in modules:
            handled = [
                n
                for t, n in zip(topic.event_types, names, strict=True)
                if module.name in consumers.get(t, [])
            ]
            if handled:
                operations[f"{module.name}Receives{topic.key[0].upper()}{topic.key[1:]}"] = _operation(
                    "receive",
                    module.name,
                    topic.key,
                    handled,
                    f"{module.name} consumes (inbox, once per event id)",
                )
    for module in modules:
        own = ServiceSettings.model_construct(topic_prefix=topic_prefix, service_name=module.name)
        if module.consumes:
            key = f"{module.name}DeadLetters"
            channels[key] = _channel(
                own.dead_letter_topic(),
                f"Records {module.name} could not process (poison or after bounded attempts).",
                ["DeadLetter"],
            )
            operations[f"{module.name}SendsDeadLetters"] = _operation(
                "send", module.name, key, ["DeadLetter"], f"{module.name} dead-letters a record"
            )
        key = f"{module.name}AuditCheckpoints"
        channels[key] = _channel(
            own.audit_checkpoint_topic(),
            f"Signed checkpoints of {module.name}'s audit chain (one partition, kept at least six months).",
            ["AuditCheckpoint"],
        )
        operations[f"{module.name}SendsAuditCheckpoints"] = _operation(
            "send", module.name, key, ["AuditCheckpoint"], f"{module.name} anchors its audit chain"
        )
    return {
        "asyncapi": "3.0.0",
        "info": {
            "title": "Temporary assistance — every event topic",
            "version": DOCUMENT_VERSION,
            "description": SYSTEM_DESCRIPTION,
        },
        "defaultContentType": CLOUDEVENTS_CONTENT_TYPE,
        "servers": {
            "kafka": {
                "host": kafka_host,
                "protocol": "kafka",
                "description": f"security protocol {security_protocol}",
            }
        },
        "channels": channels,
        "operations": operations,
        "components": {"messages": messages, "schemas": schemas},
    }


SYSTEM_DESCRIPTION = (
    "Every Kafka topic of the temporary-assistance services (intake, assessment, approval, disbursement, "
    "referral, household). Each event is one CloudEvents 1.0 structured JSON envelope whose `data` is the "
    "payload model's JSON Schema (shared/contracts); Kafka headers `content-type`, `ce_type`, `ce_id`, "
    "`traceparent`. Events about a case are keyed by the case id, so one case's events stay in order. "
    "Delivery is at least once: deduplicate by the CloudEvents `id`. Subscribe with your own consumer group; "
    "read access is granted per topic by the operators. A breaking change is a new type (`…v2`), never an "
    "edit of a published one. Topic names start with the deployment's prefix (`TOPIC_PREFIX`)."
)


def service_modules() -> list[ServiceModule]:
    """Every service module (services/registry.py), imported when first asked for: the document covers all
    services even in a process that runs one."""
    registry = importlib.import_module("services.registry")
    modules: list[ServiceModule] = registry.all_modules()
    return modules


def default_document() -> dict[str, Any]:
    """The document with the default settings: what docs/asyncapi.yaml holds."""
    fields = ServiceSettings.model_fields
    return system_asyncapi(
        service_modules(),
        topic_prefix=fields["topic_prefix"].default,
        kafka_host=fields["kafka_bootstrap_servers"].default,
        security_protocol=fields["kafka_security_protocol"].default,
    )


@functools.cache
def _served(topic_prefix: str, kafka_host: str, security_protocol: str) -> dict[str, Any]:
    return system_asyncapi(
        service_modules(),
        topic_prefix=topic_prefix,
        kafka_host=kafka_host,
        security_protocol=security_protocol,
    )


def document_for(settings: ServiceSettings) -> dict[str, Any]:
    """The system document with this deployment's topic prefix and broker (cached: it is the same for the
    life of the process: read it, never change it)."""
    return _served(settings.topic_prefix, settings.kafka_bootstrap_servers, settings.kafka_security_protocol)


READERS = tuple(r for r in Role if r is not Role.partner)
"""Who may read the system document: staff, oversight and government systems; a partner reads only its own
partner document (GET /referral/v1/asyncapi.json), which names no internal topic."""
Reader = Annotated[Principal, Depends(require(*READERS))]


def asyncapi_router(settings: ServiceSettings) -> APIRouter:
    """``GET /asyncapi.json`` on every app: the system document with this deployment's prefix and broker."""
    router = APIRouter(tags=["operations"], responses=PROBLEM_RESPONSES)

    @router.get("/asyncapi.json", summary="AsyncAPI 3 document of every service's Kafka topics and events")
    async def asyncapi(_: Reader) -> dict[str, Any]:
        return document_for(settings)

    return router


def to_yaml(document: Mapping[str, Any]) -> str:
    """YAML for the committed docs/asyncapi.yaml; PyYAML is a dev dependency (the apps serve JSON)."""
    import yaml

    return yaml.safe_dump(dict(document), sort_keys=False, allow_unicode=True, width=110)


if __name__ == "__main__":  # python -m shared.asyncapi > docs/asyncapi.yaml
    import shared.contracts  # noqa: F401 - registers every payload type

    sys.stdout.write(to_yaml(default_document()))
