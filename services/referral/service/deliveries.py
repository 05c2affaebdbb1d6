"""Webhook redelivery on request (staff or the partner itself): a delivered or dead-lettered delivery is
queued again with the same webhook-id, so receivers deduplicate it."""

from __future__ import annotations

from services.referral import repository as repo
from services.referral.domain.errors import DeliveryCancelled, DeliveryNotFound
from services.referral.domain.model import Delivery, DeliveryStatus
from services.referral.service.partners import partner_county
from shared.access import guard_county_level
from shared.runtime import Runtime


async def redeliver(runtime: Runtime, delivery_id: int, *, partner_id: str | None = None) -> Delivery:
    """Queue a delivered or dead-lettered delivery again (same webhook-id); a partner may ask only for its
    own. Deliveries cancelled by a consent withdrawal are never resent."""
    async with runtime.transaction() as session:
        row = await repo.get_delivery(session, delivery_id)
        if row is None or (partner_id is not None and row.partner_id != partner_id):
            raise DeliveryNotFound(delivery_id)
        if partner_id is None:  # staff: the partner's county (or the city) manages it
            partner = await repo.get_partner(session, row.partner_id)
            guard_county_level(partner_county(partner.service_areas) if partner else None, "delivery")
        if row.status is DeliveryStatus.cancelled:
            raise DeliveryCancelled()
        if row.status is DeliveryStatus.pending:
            return row
        return await repo.redeliver(session, delivery_id)
