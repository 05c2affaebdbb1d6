"""The AsyncAPI document of every topic (issue 18 part 6): generated from the registered payload models and
the services' modules, committed as docs/asyncapi.yaml, and structurally an AsyncAPI 3.0 document."""

from __future__ import annotations

import re
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import jsonschema_rs
import pytest
from sqlalchemy import MetaData, Table

import shared.contracts  # noqa: F401 - registers every payload type
from services.household.service import STATUS_TOPIC
from services.referral.adapters.partner_topics import PARTNER_TOPIC, own_topic_address
from shared import clock
from shared.asyncapi import (
    CASE_KEY,
    CLOUD_EVENT_SCHEMA,
    DLQ_HEADERS,
    EXTRA_CHANNELS,
    default_document,
    service_modules,
    to_yaml,
)
from shared.audit_anchor import SIGNED_FIELDS
from shared.contracts.household import CaseStatusChanged
from shared.contracts.intake import ConsentWithdrawn
from shared.contracts.referral import PARTNER_ADDRESSED_EVENT_TYPES, PARTNER_EVENT_TYPES
from shared.events import REGISTRY, Envelope
from shared.outbox import Outbox
from shared.settings import ServiceSettings

ROOT = Path(__file__).resolve().parents[2]
COMMITTED = ROOT / "docs" / "asyncapi.yaml"
PREFIX = "assistance"
KEY = re.compile(r"^[a-zA-Z0-9.\-_]+$")
EXTENSION = re.compile(r"^x-[\w.\-]+$")
# The fixed fields of AsyncAPI 3.0.0 objects (https://www.asyncapi.com/docs/reference/specification/v3.0.0)
CHANNEL_FIELDS = {"address", "messages", "title", "summary", "description", "servers", "parameters", "tags"}
CHANNEL_FIELDS |= {"externalDocs", "bindings"}
OPERATION_FIELDS = {
    "action",
    "channel",
    "title",
    "summary",
    "description",
    "security",
    "tags",
    "externalDocs",
}
OPERATION_FIELDS |= {"bindings", "traits", "messages", "reply"}
MESSAGE_FIELDS = {"headers", "payload", "correlationId", "contentType", "name", "title", "summary"}
MESSAGE_FIELDS |= {"description", "tags", "externalDocs", "bindings", "examples", "traits"}
SERVER_FIELDS = {"host", "protocol", "protocolVersion", "pathname", "description", "title", "summary"}
SERVER_FIELDS |= {"variables", "security", "tags", "externalDocs", "bindings"}


@pytest.fixture(scope="module")
def doc() -> dict[str, Any]:
    return default_document()


def _walk(node: Any, path: str = "#") -> Iterator[tuple[str, Any]]:
    if isinstance(node, dict):
        for key, value in node.items():
            yield f"{path}/{key}", value
            yield from _walk(value, f"{path}/{key}")
    elif isinstance(node, list):
        for i, value in enumerate(node):
            yield from _walk(value, f"{path}/{i}")


def _resolve(doc: dict[str, Any], ref: str) -> Any:
    assert ref.startswith("#/"), f"{ref} is not a local reference"
    node: Any = doc
    for part in ref[2:].split("/"):
        part = part.replace("~1", "/").replace("~0", "~")
        assert isinstance(node, dict) and part in node, f"{ref} does not resolve (at {part})"
        node = node[part]
    if isinstance(node, dict) and set(node) == {"$ref"}:
        return _resolve(doc, node["$ref"])  # a channel's message refers to the component
    return node


def _message_of(doc: dict[str, Any], event_type: str) -> str:
    (name,) = [n for n, m in doc["components"]["messages"].items() if m.get("x-event-type") == event_type]
    return name


def _extra(obj: dict[str, Any], allowed: set[str]) -> set[str]:
    return {k for k in obj if k not in allowed and not EXTENSION.match(k)}


def test_the_committed_document_is_the_one_the_code_generates(doc: dict[str, Any]) -> None:
    assert COMMITTED.read_text() == to_yaml(doc), (
        "docs/asyncapi.yaml is stale: regenerate it with `python -m shared.asyncapi > docs/asyncapi.yaml`"
    )


def test_every_registered_event_type_has_a_message_on_a_channel_and_its_publisher(
    doc: dict[str, Any],
) -> None:
    sends = [op for op in doc["operations"].values() if op["action"] == "send"]
    for event_type, model in REGISTRY.items():
        name = _message_of(doc, event_type)
        assert name == model.__name__
        channels = [k for k, c in doc["channels"].items() if name in c["messages"]]
        assert channels, f"{event_type} is on no channel"
        producer = event_type.split(".")[2]
        for channel in channels:
            publishers = [op for op in sends if op["channel"]["$ref"] == f"#/channels/{channel}"]
            assert [op["tags"][0]["name"] for op in publishers] == [producer]
            assert f"#/channels/{channel}/messages/{name}" in {m["$ref"] for m in publishers[0]["messages"]}


def test_every_reference_in_the_document_resolves(doc: dict[str, Any]) -> None:
    refs = [value for path, value in _walk(doc) if path.endswith("/$ref")]
    assert len(refs) > 100
    for ref in refs:
        _resolve(doc, ref)


def test_the_document_has_what_asyncapi_3_requires(doc: dict[str, Any]) -> None:
    assert doc["asyncapi"] == "3.0.0"
    assert doc["info"]["title"] and doc["info"]["version"]
    for server in doc["servers"].values():
        assert server["host"] and server["protocol"] == "kafka" and not _extra(server, SERVER_FIELDS)
    for section in ("channels", "operations"):
        assert all(KEY.match(k) for k in doc[section])
    for section in ("messages", "schemas"):
        assert all(KEY.match(k) for k in doc["components"][section])
    for key, channel in doc["channels"].items():
        assert not _extra(channel, CHANNEL_FIELDS), key
        assert set(re.findall(r"{(\w+)}", channel["address"])) == set(channel.get("parameters", {})), key
    for key, operation in doc["operations"].items():
        assert not _extra(operation, OPERATION_FIELDS), key
        assert operation["action"] in {"send", "receive"}
        channel = operation["channel"]["$ref"]
        # an operation's messages must be messages of its own channel (AsyncAPI 3.0 operation object)
        assert all(m["$ref"].startswith(f"{channel}/messages/") for m in operation["messages"]), key
        assert operation["messages"], key
    for key, message in doc["components"]["messages"].items():
        assert not _extra(message, MESSAGE_FIELDS), key
        assert "payload" in message and message["name"] == key
        assert message["bindings"]["kafka"]["key"]["type"] == "string"


def test_every_schema_is_a_valid_json_schema(doc: dict[str, Any]) -> None:
    schemas = {**doc["components"]["schemas"]}
    schemas |= {f"{n}.payload": m["payload"] for n, m in doc["components"]["messages"].items()}
    schemas |= {
        f"{n}.headers": m["headers"] for n, m in doc["components"]["messages"].items() if "headers" in m
    }
    for name, schema in schemas.items():
        assert jsonschema_rs.meta.is_valid(schema), name


def _validator(doc: dict[str, Any], pointer: str) -> jsonschema_rs.Validator:
    return jsonschema_rs.validator_for({**doc, "$ref": pointer})


def _as_the_outbox_writes(payload: Any, service: str, subject: str) -> dict[str, Any]:
    outbox = Outbox(Table("outbox", MetaData()), service=service, topic="unused")
    envelope = Envelope.wrap(payload, source=outbox.source, subject=subject)
    return envelope.model_dump(mode="json", exclude_none=True)


def test_an_envelope_as_the_outbox_writes_it_matches_its_message_and_a_wrong_one_does_not(
    doc: dict[str, Any],
) -> None:
    case_id = str(uuid.uuid4())
    withdrawn = ConsentWithdrawn(case_id=case_id, consent="share_with_charities", withdrawn_at=clock.now())
    envelope = _as_the_outbox_writes(withdrawn, "intake", case_id)
    validator = _validator(doc, "#/components/messages/ConsentWithdrawn/payload")
    assert validator.is_valid(envelope)
    assert not validator.is_valid({**envelope, "type": CaseStatusChanged.event_type})
    assert not validator.is_valid({**envelope, "source": "/assistance/referral"})
    assert not validator.is_valid({**envelope, "data": {"case_id": case_id}})
    headers = {
        "content-type": "application/cloudevents+json",
        "ce_type": envelope["type"],
        "ce_id": envelope["id"],
    }
    assert _validator(doc, "#/components/messages/ConsentWithdrawn/headers").is_valid(headers)
    assert not _validator(doc, "#/components/messages/CaseDecided/headers").is_valid(headers)


def test_the_cloudevent_schema_names_every_envelope_attribute() -> None:
    assert set(CLOUD_EVENT_SCHEMA["properties"]) == set(Envelope.model_fields)


def test_each_consumer_subscribes_to_the_topic_the_event_is_on(doc: dict[str, Any]) -> None:
    modules = {m.name: m for m in service_modules()}
    settings = ServiceSettings.model_construct(topic_prefix=PREFIX)
    receives = [op for op in doc["operations"].values() if op["action"] == "receive"]
    assert receives
    for operation in receives:
        consumer = modules[operation["tags"][0]["name"]]
        address = _resolve(doc, operation["channel"]["$ref"])["address"]
        assert address in {settings.topic(t) for t in consumer.consumes}, (consumer.name, address)
        for ref in operation["messages"]:
            message = _resolve(doc, ref["$ref"])
            assert consumer.name in message["x-consumers"]
            assert message["x-event-type"] in consumer.handlers(None)  # type: ignore[arg-type]


def test_a_decision_lists_every_service_that_acts_on_it(doc: dict[str, Any]) -> None:
    decided = doc["components"]["messages"]["CaseDecided"]
    assert decided["x-producer"] == "approval"
    assert set(decided["x-consumers"]) == {"intake", "assessment", "disbursement", "referral", "household"}


def test_every_topic_a_service_writes_to_is_a_channel(doc: dict[str, Any]) -> None:
    addresses = {c["address"] for c in doc["channels"].values()}
    producers = {e.split(".")[2] for e in REGISTRY if e not in EXTRA_CHANNELS}  # on their own topic
    for module in service_modules():
        own = ServiceSettings.model_construct(topic_prefix=PREFIX, service_name=module.name)
        expected = {own.dead_letter_topic(), own.audit_checkpoint_topic()}
        expected |= {own.topic(t) for t in module.extra_topics}
        if module.name in producers:
            expected.add(own.topic(module.name))
        assert expected <= addresses, module.name
    assert own_topic_address(PREFIX) in addresses


def test_partner_and_status_events_are_on_their_own_topics(doc: dict[str, Any]) -> None:
    settings = ServiceSettings.model_construct(topic_prefix=PREFIX)
    on = {c["address"]: set(c["messages"]) for c in doc["channels"].values()}
    assert on[settings.topic(STATUS_TOPIC)] == {CaseStatusChanged.__name__}
    assert on[settings.topic(PARTNER_TOPIC)] == {REGISTRY[t].__name__ for t in PARTNER_EVENT_TYPES}
    assert on[own_topic_address(PREFIX)] == {REGISTRY[t].__name__ for t in PARTNER_ADDRESSED_EVENT_TYPES}
    assert not on[settings.topic("referral")] & on[settings.topic(PARTNER_TOPIC)]  # R-CHA-2


def test_events_about_a_case_are_keyed_by_the_case_id(doc: dict[str, Any]) -> None:
    for event_type, model in REGISTRY.items():
        key = doc["components"]["messages"][model.__name__]["bindings"]["kafka"]["key"]["description"]
        assert (key == CASE_KEY) == ("case_id" in model.model_fields), event_type


def test_dead_letters_and_checkpoints_are_described_as_the_code_writes_them(doc: dict[str, Any]) -> None:
    inbox = (ROOT / "shared" / "inbox.py").read_text()
    assert set(re.findall(r'"(dlq_\w+)"', inbox)) == set(DLQ_HEADERS)
    checkpoint = doc["components"]["schemas"]["AuditCheckpoint"]
    assert set(checkpoint["required"]) == {*SIGNED_FIELDS, "signature"}


def test_a_subscriber_reads_what_each_field_means_from_its_docstring(doc: dict[str, Any]) -> None:
    submitted = doc["components"]["schemas"]["ApplicationSubmitted"]["properties"]
    assert "encrypted" in submitted["payee_sealed"]["description"]
    failed = doc["components"]["schemas"]["ReferralCaseProcessingFailed"]["properties"]
    assert "never personal data" in failed["reason"]["description"]  # inherited from CaseProcessingFailed
