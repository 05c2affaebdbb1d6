"""The partner-facing AsyncAPI document: each partner's own topic (a channel with a ``partnerId``
parameter, the default), the shared Kafka partner topic (announcements; partner events only in the
explicitly enabled shared mode) and the signed webhook, all carrying the same CloudEvents (the pull feed
serves them too, see the OpenAPI document)."""

from __future__ import annotations

from typing import Any

from services.referral.adapters.partner_topics import OWN_TOPIC_PARAMETER, PARTNER_TOPIC, own_topic_address
from shared.asyncapi import Channel, build
from shared.contracts.referral import PARTNER_ADDRESSED_EVENT_TYPES, PARTNER_EVENT_TYPES
from shared.runtime import Runtime

KAFKA_DESCRIPTION = (
    "Shared partner topic. By default (`REFERRAL_PARTNER_KAFKA_TOPIC_DEFAULT=own`) it carries only the "
    "announcements without a partner (`NeedsRecordPublished`, the `NeedsRecordWithdrawn` announcement) "
    "for the "
    "bureau's own consumers, and no partner is granted READ on it: every partner reads its own topic "
    "(`partnerOwnTopic`). Only where the operator explicitly enabled the shared mode "
    "(`REFERRAL_PARTNER_KAFKA_TOPIC_DEFAULT=shared`) do partners registered with `kafka_topic: shared` read "
    "it — and then each of them can read the offers made to all others (R-CHA-2). Events addressed to one "
    "partner carry `data.partner_id` and have the partner id as Kafka key. Headers: "
    "`content-type: application/cloudevents+json`, `ce_type`, `ce_id`, `traceparent`."
)
OWN_TOPIC_DESCRIPTION = (
    "Your own topic (the default for every partner): only events addressed to you (`data.partner_id` is "
    "your id, so is the Kafka key) — offers, expiries, cancellations and withdrawals. You are granted READ "
    "on this topic alone (Kafka ACLs), with your own consumer group. Headers as on the shared topic."
)
WEBHOOK_DESCRIPTION = (
    "HTTPS POST of one CloudEvent to the partner's registered URL, signed per Standard Webhooks: headers "
    "`webhook-id` (= the CloudEvent id, the same on every retry: deduplicate by it), `webhook-timestamp` "
    "(unix seconds) and `webhook-signature: v1,<base64 HMAC-SHA256 of '{id}.{timestamp}.{body}'>` keyed with "
    "the base64-decoded part of your `whsec_` secret. Answer 2xx; anything else is retried with exponential "
    "backoff, then dead-lettered (redelivery on request)."
)


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
            "kafka": {
                "host": s.kafka_bootstrap_servers,
                "protocol": "kafka",
                "description": f"security protocol {s.kafka_security_protocol}",
            },
            "webhook": {
                "host": "partner-registered-host",
                "protocol": "https",
                "description": "your own receiver (the URL registered for you)",
            },
        },
        channels=[
            Channel(
                key="partnerTopic",
                address=topic,
                description=KAFKA_DESCRIPTION,
                event_types=PARTNER_EVENT_TYPES,
                servers=("kafka",),
                bindings={"kafka": {"topic": topic, "bindingVersion": "0.5.0"}},
                message_bindings={
                    "kafka": {
                        "key": {"type": "string", "description": "partner id, or case_ref on announcements"},
                        "bindingVersion": "0.5.0",
                    }
                },
            ),
            Channel(
                key="partnerOwnTopic",
                address=own_topic_address(s.topic_prefix),
                description=OWN_TOPIC_DESCRIPTION,
                event_types=PARTNER_ADDRESSED_EVENT_TYPES,
                servers=("kafka",),
                parameters={
                    OWN_TOPIC_PARAMETER: {
                        "description": "your partner id (a UUID), as returned at registration",
                        "examples": ["3f1c1f9e-6d8a-4a53-9a51-2f0e8f7c9b10"],
                    }
                },
                bindings={"kafka": {"bindingVersion": "0.5.0"}},
                message_bindings={
                    "kafka": {
                        "key": {"type": "string", "description": "partner id"},
                        "bindingVersion": "0.5.0",
                    }
                },
            ),
            Channel(
                key="partnerWebhook",
                address=None,
                description=WEBHOOK_DESCRIPTION,
                event_types=PARTNER_EVENT_TYPES,
                servers=("webhook",),
                bindings={"http": {"method": "POST", "bindingVersion": "0.3.0"}},
            ),
        ],
    )
