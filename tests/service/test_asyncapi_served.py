"""GET /asyncapi.json (issue 18 part 6): every app serves the one document of every topic, with the topic
prefix and broker of its deployment, to staff, oversight and government systems; a partner reads only its
partner document (R-CHA-2). The partner and status documents stay where they were."""

from __future__ import annotations

import re
from typing import Any

import httpx
import jsonschema_rs
from sqlalchemy import select

import shared.contracts  # noqa: F401 - registers every payload type
from services.registry import module
from shared.app import build_app
from shared.asyncapi import service_modules, system_asyncapi
from shared.events import REGISTRY
from tests.factories import application, auth, eventually, gov_system, officer, pending_case


def _expected(settings: Any) -> dict[str, Any]:
    return system_asyncapi(
        service_modules(),
        topic_prefix=settings.topic_prefix,
        kafka_host=settings.kafka_bootstrap_servers,
        security_protocol=settings.kafka_security_protocol,
    )


async def test_the_standalone_app_serves_every_topic_with_its_own_prefix(standalone):
    r = await standalone.get("/asyncapi.json", headers=officer())
    assert r.status_code == 200, r.text
    doc = r.json()
    settings = next(iter(standalone.app.state.runtimes.values())).settings
    assert doc == _expected(settings)
    assert {m["x-event-type"] for m in doc["components"]["messages"].values() if "x-event-type" in m} == set(
        REGISTRY
    )
    assert f"{settings.topic_prefix}.approval.v1" in {c["address"] for c in doc["channels"].values()}


async def test_a_government_system_may_read_it_and_a_partner_may_not(standalone):
    assert (
        await standalone.get("/asyncapi.json", headers=gov_system("gov-platform-12345"))
    ).status_code == 200
    r = await standalone.get("/asyncapi.json", headers=auth("a-partner", "partner"))
    assert r.status_code == 403
    assert r.headers["content-type"].startswith("application/problem+json")
    assert (await standalone.get("/asyncapi.json", headers={"Authorization": ""})).status_code == 401


async def test_the_partner_and_status_documents_are_still_served(standalone):
    partner = await standalone.get("/referral/v1/asyncapi.json")
    assert partner.status_code == 200 and "ReferralOffered" in partner.json()["components"]["messages"]
    status = await standalone.get("/household/v1/asyncapi.json", headers=gov_system("gov-platform-12345"))
    assert status.status_code == 200 and "CaseStatusChanged" in status.json()["components"]["messages"]


async def test_a_service_running_alone_serves_the_topics_of_all_services():
    app = build_app(
        [module("approval")],
        overrides={"approval": {"database_url": "postgresql+asyncpg://unused/x", "topic_prefix": "city-a"}},
    )
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app), base_url="http://approval"
    ) as client:
        r = await client.get("/asyncapi.json", headers=officer())
    assert r.status_code == 200, r.text
    addresses = {c["address"] for c in r.json()["channels"].values()}
    assert {
        f"city-a.{s}.v1" for s in ("intake", "assessment", "approval", "disbursement", "referral")
    } <= addresses
    assert {"city-a.household.status.v1", "city-a.household.dlq.v1"} <= addresses
    assert "/asyncapi.json" in app.openapi()["paths"]
    assert {"401", "403"} <= set(app.openapi()["paths"]["/asyncapi.json"]["get"]["responses"])


def _channel_of(doc: dict[str, Any], topic: str, message: str) -> str | None:
    for key, channel in doc["channels"].items():
        pattern = re.escape(channel["address"]).replace(re.escape("{partnerId}"), "[0-9a-f-]{36}")
        if re.fullmatch(pattern, topic) and message in channel["messages"]:
            return key
    return None


async def test_every_event_the_services_wrote_is_on_its_documented_channel_with_its_schema(standalone):
    """The outbox rows the running services wrote (topic, key, envelope) checked against the document: the
    channel, the key (case id where the payload has one) and the message's JSON Schema."""
    await pending_case(standalone, application())
    doc = (await standalone.get("/asyncapi.json")).json()
    runtimes = standalone.app.state.runtimes

    async def rows() -> list[tuple[str, Any]]:
        found = []
        for runtime in runtimes.values():
            t = runtime.outbox_table
            async with runtime.engine.connect() as conn:
                query = (
                    select(t.c.event_type, t.c.topic, t.c.key, t.c.envelope)
                    .order_by(t.c.id.desc())
                    .limit(500)
                )
                found += [(runtime.name, r) for r in await conn.execute(query)]
        return (
            found
            if {r.event_type.split(".")[2] for _, r in found} >= {"intake", "assessment", "household"}
            else []
        )

    written = await eventually(rows, what="events of intake, assessment and household")
    for service, row in written:
        name = REGISTRY[row.event_type].__name__
        assert row.event_type.split(".")[2] == service
        assert _channel_of(doc, row.topic, name), (row.event_type, row.topic)
        if "case_id" in REGISTRY[row.event_type].model_fields:
            assert row.key == row.envelope["data"]["case_id"] == row.envelope["subject"], row.event_type
        schema = jsonschema_rs.validator_for({**doc, "$ref": f"#/components/messages/{name}/payload"})
        assert schema.is_valid(row.envelope), (row.event_type, list(schema.iter_errors(row.envelope))[:1])
