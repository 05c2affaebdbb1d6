"""The AsyncAPI document of the status pushes for government systems (办件状态推送): the Kafka topic
``<prefix>.household.status.v1`` and the signed webhook, both carrying the same CloudEvents."""

from __future__ import annotations

from typing import Any

from services.household.service import STATUS_TOPIC
from shared.asyncapi import Channel, build
from shared.contracts.household import CaseStatusChanged
from shared.runtime import Runtime

WEBHOOK_DESCRIPTION = (
    "HTTPS POST of one CloudEvent to the URL registered for the system, signed per Standard Webhooks: "
    "`webhook-id` (= the CloudEvent id, the same on every retry), `webhook-timestamp` and "
    "`webhook-signature: v1,<base64 HMAC-SHA256 of '{id}.{timestamp}.{body}'>` keyed with the base64-decoded "
    "part of the `whsec_` secret. Answer 2xx; anything else is retried with exponential backoff."
)


def status_asyncapi(runtime: Runtime) -> dict[str, Any]:
    s = runtime.settings
    types = (CaseStatusChanged.event_type,)
    return build(
        title="Temporary assistance — case status for government service platforms",
        version="1.0.0",
        description="Public-safe case status (no name, no ID number, no phone): stage, dates, what is "
        "missing, next step, office to contact. Key = case id, so one case's changes stay in order.",
        servers={
            "kafka": {"host": s.kafka_bootstrap_servers, "protocol": "kafka"},
            "webhook": {"host": "subscriber-registered-host", "protocol": "https"},
        },
        channels=[
            Channel(
                key="statusTopic",
                address=runtime.topic(STATUS_TOPIC),
                description="Status changes of every case (consume with your own group).",
                event_types=types,
                servers=("kafka",),
            ),
            Channel(
                key="statusWebhook",
                address=None,
                description=WEBHOOK_DESCRIPTION,
                event_types=types,
                servers=("webhook",),
            ),
        ],
    )
