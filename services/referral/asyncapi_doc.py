"""The partner-facing AsyncAPI document: the Kafka partner topic and the signed webhook, both carrying the
same CloudEvents (the pull feed serves them too, see the OpenAPI document)."""

from __future__ import annotations

from typing import Any

from services.referral.exchange import PARTNER_TOPIC
from shared.asyncapi import Channel, build
from shared.contracts.referral import PARTNER_EVENT_TYPES
from shared.runtime import Runtime

KAFKA_DESCRIPTION = (
    "Partner-facing topic. Consume it with your own consumer group. Events addressed to one partner carry "
    "`data.partner_id` and have the partner id as Kafka key: process only those with your id (and the "
    "`NeedsRecordPublished`/`NeedsRecordWithdrawn` announcements without a partner id). Headers: "
    "`content-type: application/cloudevents+json`, `ce_type`, `ce_id`, `traceparent`.")
WEBHOOK_DESCRIPTION = (
    "HTTPS POST of one CloudEvent to the partner's registered URL, signed per Standard Webhooks: headers "
    "`webhook-id` (= the CloudEvent id, the same on every retry: deduplicate by it), `webhook-timestamp` "
    "(unix seconds) and `webhook-signature: v1,<base64 HMAC-SHA256 of '{id}.{timestamp}.{body}'>` keyed with "
    "the base64-decoded part of your `whsec_` secret. Answer 2xx; anything else is retried with exponential "
    "backoff, then dead-lettered (redelivery on request).")


def partner_asyncapi(runtime: Runtime) -> dict[str, Any]:
    s = runtime.settings
    topic = runtime.topic(PARTNER_TOPIC)
    return build(
        title="Temporary assistance — partner charity referral events",
        version="1.0.0",
        description="Consented, minimised needs records (R-CHA-2) and the referral loop (FHIR SDOH Task: "
                    "requested → accepted | rejected → in-progress → completed | cancelled). Answer offers "
                    "through the REST API (`/referral/v1/partners/{partner_id}/referrals/...`).",
        servers={
            "kafka": {"host": s.kafka_bootstrap_servers, "protocol": "kafka",
                      "description": f"security protocol {s.kafka_security_protocol}"},
            "webhook": {"host": "partner-registered-host", "protocol": "https",
                        "description": "your own receiver (the URL registered for you)"},
        },
        channels=[
            Channel(key="partnerTopic", address=topic, description=KAFKA_DESCRIPTION,
                    event_types=PARTNER_EVENT_TYPES, servers=("kafka",),
                    bindings={"kafka": {"topic": topic, "bindingVersion": "0.5.0"}},
                    message_bindings={"kafka": {"key": {"type": "string",
                                                         "description": "partner id, or case_ref on announcements"},
                                                 "bindingVersion": "0.5.0"}}),
            Channel(key="partnerWebhook", address=None, description=WEBHOOK_DESCRIPTION,
                    event_types=PARTNER_EVENT_TYPES, servers=("webhook",),
                    bindings={"http": {"method": "POST", "bindingVersion": "0.3.0"}}),
        ],
    )
