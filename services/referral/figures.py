"""Referral's oversight figures (R-OVS-1, R-CHA-3), from referral's own records only: needs records shared
with partner charities, and per partner the offers made in the period, accepted, declined, expired,
fulfilled and the amounts fulfilled — the same counting as ``GET /referral/v1/performance``, with the
figures' place and period filters. A case's category is not kept here: ``category``/``subtype`` are not
applied (said in ``notes``)."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from sqlalchemy import and_, func, select
from sqlalchemy import case as when
from sqlalchemy.ext.asyncio import AsyncSession

from services.referral.tables import needs_records as n
from services.referral.tables import partners
from services.referral.tables import tasks as t
from shared.figures import Filters, money

ACCEPTED = ("accepted", "in-progress", "completed")


async def figures(session: AsyncSession, f: Filters) -> dict[str, Any]:
    place = f.place(n.c.county_code, n.c.township_code)
    records = (
        (
            await session.execute(
                select(
                    n.c.need_type,
                    func.count().label("records"),
                    func.sum(n.c.remaining_amount).label("remaining"),
                )
                .where(and_(place, f.period(n.c.published_at)))
                .group_by(n.c.need_type)
                .order_by(n.c.need_type)
            )
        )
        .mappings()
        .all()
    )
    in_scope = select(n.c.id).where(place)
    on = and_(t.c.partner_id == partners.c.id, t.c.record_id.in_(in_scope), f.period(t.c.offered_at))
    fulfilled = t.c.status == "completed"
    rows = (
        (
            await session.execute(
                select(
                    partners.c.id.label("partner_id"),
                    partners.c.name,
                    partners.c.status.label("partner_status"),
                    func.count(t.c.id).label("offered"),
                    func.count(t.c.id).filter(t.c.status.in_(ACCEPTED)).label("accepted"),
                    func.count(t.c.id).filter(t.c.status == "rejected").label("declined"),
                    func.count(t.c.id)
                    .filter(and_(t.c.status == "cancelled", t.c.status_reason == "offer_expired"))
                    .label("expired"),
                    func.count(t.c.id).filter(fulfilled).label("fulfilled"),
                    func.coalesce(func.sum(when((fulfilled, t.c.fulfilled_amount), else_=None)), 0).label(
                        "amount_fulfilled"
                    ),
                )
                .select_from(partners.outerjoin(t, on))
                .group_by(partners.c.id)
                .order_by(partners.c.seq)
            )
        )
        .mappings()
        .all()
    )
    by_partner = [{**r, "amount_fulfilled": money(r["amount_fulfilled"])} for r in rows if r["offered"]]
    return {
        "notes": ["category and subtype filters are not applied: referral does not keep a case's category"]
        if (f.category or f.subtype)
        else [],
        "totals": {
            "records_shared": sum(r["records"] for r in records),
            "remaining_amount": money(sum((r["remaining"] for r in records), Decimal(0))),
            **{
                k: sum(r[k] for r in rows)
                for k in ("offered", "accepted", "declined", "expired", "fulfilled")
            },
            "amount_fulfilled": money(sum((r["amount_fulfilled"] for r in rows), Decimal(0))),
        },
        "by_need_type": [
            {"need_type": r["need_type"], "records": r["records"], "remaining_amount": money(r["remaining"])}
            for r in records
        ],
        "by_partner": by_partner,
    }
