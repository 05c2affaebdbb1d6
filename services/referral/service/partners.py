"""The partner registry (Open Referral HSDS: organization, service = need types, service area) and partner
credentials: an API key (random, shown once, stored as a SHA-256 hash) and, for webhook receivers, a
Standard Webhooks ``whsec_`` secret (shown once, stored encrypted). Suspending a partner hands its open
referrals on to the next matching partners in the same transaction (R-CHA-1).

Scope: a partner belongs to the county all its service areas lie in (or to the city when they span
counties). Its county's policy admins register, change, suspend and rotate the keys of it; city admins
any partner; township staff none (county-level objects, shared/access.py)."""

from __future__ import annotations

import hashlib
import secrets
import uuid
from typing import Any

from services.referral import repository as repo
from services.referral.adapters.partner_topics import ensure_own_topics, mode_of, shared_topic_enabled
from services.referral.adapters.webhook_delivery import SECRET_CONTEXT
from services.referral.domain.errors import (
    OutsideRegistryScope,
    PartnerNotFound,
    PartnerSuspended,
    SharedTopicDisabled,
)
from services.referral.domain.model import Partner, PartnerStatus
from services.referral.service.exchange import reassign_open_tasks
from services.referral.settings import ReferralSettings
from shared.access import caller, guard_county_level, is_county_level
from shared.domain_errors import InvalidValue
from shared.runtime import Runtime
from shared.webhooks import new_secret, url_problem

KEY_PREFIX = "rpk_"


def new_api_key() -> str:
    return KEY_PREFIX + secrets.token_urlsafe(32)


def key_hash(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


def partner_county(service_areas: list[str]) -> str | None:
    """The county a partner is registered for: the one county all its service areas lie in; a partner
    serving several counties is the city's (None). Its county's staff manage it; city staff manage all."""
    counties = {area[:6] for area in service_areas}
    return counties.pop() if len(counties) == 1 else None


def ensure_may_register(service_areas: list[str]) -> None:
    """Registry scope: a county's policy admin registers (or moves) partners serving only that county; a
    partner serving several counties, or another county, is the city's to register; township staff none."""
    principal = caller()
    if principal is None or principal.county_code is None:
        return
    if not is_county_level(principal):
        raise OutsideRegistryScope("the partner registry is county-level: county (or city) staff manage it")
    county = partner_county(service_areas)
    if county != principal.county_code:
        raise OutsideRegistryScope(
            f"service_areas: county {principal.county_code} registers partners serving its own county only; "
            "partners of several counties are registered by the city",
            field="service_areas",
        )


def _check_url(runtime: Runtime, url: str | None) -> None:
    """SSRF: only https to a public host (loopback only by the development/test setting)."""
    if url is not None:
        s: ReferralSettings = runtime.settings  # type: ignore[assignment]
        problem = url_problem(
            url, allow_loopback_http=s.webhook_allow_loopback_http, refused_hosts=s.webhook_refused_hosts
        )
        if problem:
            raise InvalidValue("webhook_url", problem)


def _check_topic(runtime: Runtime, mode: str | None) -> None:
    if mode == "shared" and not shared_topic_enabled(runtime):
        raise SharedTopicDisabled()


async def register(runtime: Runtime, body: dict[str, Any]) -> tuple[Partner, str, str | None]:
    """Returns the partner, its API key and its webhook secret (both shown only now)."""
    ensure_may_register(body["service_areas"])
    _check_url(runtime, body.get("webhook_url"))
    _check_topic(runtime, body.get("kafka_topic"))
    key = new_api_key()
    secret = new_secret() if body.get("webhook_url") else None
    body = {**body, "kafka_topic": body.get("kafka_topic") or runtime.settings.partner_kafka_topic_default}  # type: ignore[attr-defined]
    async with runtime.transaction() as session:
        row = await repo.insert_partner(
            session,
            {
                **body,
                "id": str(uuid.uuid4()),
                "status": PartnerStatus.active.value,
                "api_key_hash": key_hash(key),
                "webhook_secret": runtime.cipher.encrypt(secret, context=SECRET_CONTEXT) if secret else None,
            },
        )
    if mode_of(runtime, row.kafka_topic) == "own":
        await ensure_own_topics(runtime, [row.id])
    return row, key, secret


async def update(runtime: Runtime, partner_id: str, changes: dict[str, Any]) -> tuple[Partner, str | None]:
    """Change a partner's details or status; a first webhook URL gets a new secret (returned once). Going from
    active to suspended cancels its open referrals and offers them to the next matching partners."""
    _check_url(runtime, changes.get("webhook_url"))
    _check_topic(runtime, changes.get("kafka_topic"))
    secret = None
    async with runtime.transaction() as session:
        current = await repo.get_partner(session, partner_id)
        if current is None:
            raise PartnerNotFound(partner_id)
        guard_county_level(partner_county(current.service_areas), "partner")
        if changes.get("service_areas") is not None:
            ensure_may_register(changes["service_areas"])
        if changes.get("webhook_url") and not current.webhook_secret:
            secret = new_secret()
            changes["webhook_secret"] = runtime.cipher.encrypt(secret, context=SECRET_CONTEXT)
        row = await repo.update_partner(session, partner_id, changes) if changes else current
        if row is None:
            raise RuntimeError("the row just written is missing from its own transaction")
        if current.status is PartnerStatus.active and row.status is PartnerStatus.suspended:
            await reassign_open_tasks(runtime, session, row)
    if mode_of(runtime, row.kafka_topic) == "own":
        await ensure_own_topics(runtime, [row.id])
    return row, secret


async def rotate(runtime: Runtime, partner_id: str) -> tuple[Partner, str, str | None]:
    """New API key (the old one stops working at once) and, with a webhook, a new signing secret."""
    key = new_api_key()
    async with runtime.transaction() as session:
        current = await repo.get_partner(session, partner_id)
        if current is None:
            raise PartnerNotFound(partner_id)
        guard_county_level(partner_county(current.service_areas), "partner")
        secret = new_secret() if current.webhook_url else None
        values: dict[str, Any] = {"api_key_hash": key_hash(key)}
        if secret:
            values["webhook_secret"] = runtime.cipher.encrypt(secret, context=SECRET_CONTEXT)
        row = await repo.update_partner(session, partner_id, values)
    if row is None:
        raise RuntimeError("the row just written is missing from its own transaction")
    return row, key, secret


async def authenticate(runtime: Runtime, key: str) -> Partner | None:
    """The partner holding this API key, or None (unknown or revoked: the router answers 401);
    ``PartnerSuspended`` (403) if it is suspended."""
    if not key.startswith(KEY_PREFIX):
        return None
    async with runtime.reading() as session:
        partner = await repo.partner_by_key(session, key_hash(key))
    if partner is not None and partner.status is not PartnerStatus.active:
        raise PartnerSuspended()
    return partner
