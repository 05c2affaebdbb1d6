"""Queries of the disclosures of cases' data to partners: offers of needs records and scheme referrals
(PIPL arts. 23, 45)."""

from __future__ import annotations

from sqlalchemy import literal, select, union_all
from sqlalchemy.ext.asyncio import AsyncSession

from services.referral.domain.disclosure import NEEDS_RECORD, SCHEME_REFERRAL
from services.referral.domain.model import Disclosure
from services.referral.repository import _all
from services.referral.tables import needs_records, partners, scheme_referrals, tasks


async def disclosures_of(session: AsyncSession, case_ids: list[str]) -> list[Disclosure]:
    """Every offer of these cases' needs records and every scheme referral of them, oldest first."""
    offers = (
        select(
            tasks.c.case_id,
            tasks.c.partner_id,
            partners.c.name.label("partner_name"),
            partners.c.kind.label("partner_kind"),
            literal(NEEDS_RECORD).label("via"),
            needs_records.c.need_type,
            tasks.c.offered_at.label("shared_at"),
            tasks.c.status,
        )
        .join(partners, partners.c.id == tasks.c.partner_id)
        .join(needs_records, needs_records.c.id == tasks.c.record_id)
        .where(tasks.c.case_id.in_(case_ids))
    )
    schemes = (
        select(
            scheme_referrals.c.case_id,
            scheme_referrals.c.partner_id,
            partners.c.name.label("partner_name"),
            partners.c.kind.label("partner_kind"),
            literal(SCHEME_REFERRAL).label("via"),
            scheme_referrals.c.need_type,
            scheme_referrals.c.created_at.label("shared_at"),
            scheme_referrals.c.status,
        )
        .join(partners, partners.c.id == scheme_referrals.c.partner_id)
        .where(scheme_referrals.c.case_id.in_(case_ids))
    )
    both = union_all(offers, schemes).subquery()
    return await _all(session, Disclosure, select(both).order_by(both.c.shared_at, both.c.partner_id))
