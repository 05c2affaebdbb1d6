"""Where a partner's Kafka records go (R-CHA-2): by default each partner's own topic
``<prefix>.referral.partner.<partner_id>.v1``, so operations grant each partner READ on its topic only (Kafka
ACLs are per topic; see docs/partners.md) and no partner reads the offers made to another. Only when the
operator sets ``REFERRAL_PARTNER_KAFKA_TOPIC_DEFAULT=shared`` may a partner (``kafka_topic: shared``) read
the shared partner topic ``<prefix>.referral.partner.v1``, keyed by partner id. Own topics are created when
the partner is registered or switched, at start-up and, after a broker outage, by the offer sweep."""

from __future__ import annotations

import logging
from collections.abc import Iterable

from services.referral import repository as repo
from services.referral.domain.model import Partner
from shared.bus import KafkaBus
from shared.runtime import Runtime

log = logging.getLogger("assistance.referral.topics")

PARTNER_TOPIC = "referral.partner"
"""The shared partner topic (without prefix and version)."""
OWN_TOPIC_PARAMETER = "partnerId"
"""The AsyncAPI channel parameter naming a partner's own topic."""

_ensured: dict[int, set[str]] = {}
"""Own topics already known to exist, per runtime (so the sweep does not ask the broker every time)."""


def own_topic(runtime: Runtime, partner_id: str) -> str:
    """``<prefix>.referral.partner.<partner_id>.v1`` (a UUID: letters, digits and ``-``, valid in Kafka)."""
    return runtime.topic(f"{PARTNER_TOPIC}.{partner_id}")


def own_topic_address(topic_prefix: str) -> str:
    """The per-partner channel address with its AsyncAPI parameter."""
    return f"{topic_prefix}.{PARTNER_TOPIC}.{{{OWN_TOPIC_PARAMETER}}}.v1"


def shared_topic_enabled(runtime: Runtime) -> bool:
    """Partners may be on the shared topic only by the operator's explicit setting."""
    return runtime.settings.partner_kafka_topic_default == "shared"  # type: ignore[attr-defined]


def mode_of(runtime: Runtime, recorded: str | None) -> str:
    """The delivery mode in effect for a partner whose record says ``recorded``: ``shared`` only while the
    shared topic is enabled (a partner recorded as shared before is moved to its own topic otherwise)."""
    return "shared" if recorded == "shared" and shared_topic_enabled(runtime) else "own"


def topic_for(runtime: Runtime, partner: Partner) -> str:
    """The Kafka topic of events addressed to ``partner``."""
    if mode_of(runtime, partner.kafka_topic) == "own":
        return own_topic(runtime, partner.id)
    return runtime.topic(PARTNER_TOPIC)


async def ensure_own_topics(runtime: Runtime, partner_ids: Iterable[str]) -> bool:
    """Create the own topics of these partners if missing; False (logged) when the broker cannot be reached
    now: the sweep tries again. Nothing to do on the in-process bus."""
    if not isinstance(runtime.bus, KafkaBus):
        return True
    known = _ensured.setdefault(id(runtime), set())
    missing = [t for t in (own_topic(runtime, p) for p in partner_ids) if t not in known]
    if not missing:
        return True
    try:
        await runtime.bus.ensure_topics(missing)
    except Exception as exc:
        log.warning(
            "partner topics not created yet", extra={"topics": len(missing), "error": repr(exc)[:200]}
        )
        return False
    known.update(missing)
    return True


async def ensure_all_own_topics(runtime: Runtime) -> bool:
    """Every own-topic partner's topic (start-up hook and offer sweep)."""
    if not isinstance(runtime.bus, KafkaBus):
        return True
    async with runtime.reading() as session:
        ids = await repo.own_topic_partner_ids(session, include_shared=not shared_topic_enabled(runtime))
    return await ensure_own_topics(runtime, ids)


async def on_start(runtime: Runtime) -> None:
    """ServiceModule.on_start: own topics exist before the relay publishes to them (best effort)."""
    try:
        await ensure_all_own_topics(runtime)
    except Exception as exc:
        log.warning("partner topics not checked at start-up", extra={"error": repr(exc)[:200]})
