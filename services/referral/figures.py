"""Referral's oversight figures (R-OVS-1, R-CHA-3), from referral's own records only: needs records shared
with partner charities, and per partner the offers made in the period, accepted, declined, expired,
fulfilled and the amounts fulfilled — the same counting as ``GET /referral/v1/performance``, with the
figures' place and period filters; and per township the referral fulfilment of the county's scorecard
(R-OVS-1): (offers fulfilled + scheme referrals granted) ÷ (offers accepted + scheme referrals with a final
outcome, granted or refused), both counted by the day they were made. A case's category is not kept
here: ``category``/``subtype`` are not applied (said in ``notes``).

Also its state gauges, read when /metrics is scraped: the cases referral knows of (R-CHA), each by where
its referral stands — ``awaiting_decision`` (no decision yet and nothing shared), ``not_shared`` (decided,
and no needs record shared: no consent, no health consent for a health need, or nothing left to meet), or
otherwise the match state of its latest needs record: ``unmatched``, ``offered``, ``accepted``,
``fulfilled`` or ``closed``. The queries are in the repository."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from services.referral import repository as repo
from shared.figures import Filters, money
from shared.observability import CASES_BY_STATE
from shared.runtime import Runtime

COUNTS = ("offered", "accepted", "declined", "expired", "fulfilled")


async def figures(session: AsyncSession, f: Filters) -> dict[str, Any]:
    records = await repo.records_by_need_type(session, f)
    rows = await repo.offers_by_partner(session, f)
    by_partner = [
        {
            "partner_id": r.partner_id,
            "name": r.name,
            "partner_status": r.partner_status.value,
            **{k: getattr(r, k) for k in COUNTS},
            "amount_fulfilled": money(r.amount_fulfilled),
        }
        for r in rows
        if r.offered
    ]
    return {
        "notes": ["category and subtype filters are not applied: referral does not keep a case's category"]
        if (f.category or f.subtype)
        else [],
        "totals": {
            "records_shared": sum(r.records for r in records),
            "remaining_amount": money(sum((r.remaining for r in records), Decimal(0))),
            **{k: sum(getattr(r, k) for r in rows) for k in COUNTS},
            "amount_fulfilled": money(sum((r.amount_fulfilled for r in rows), Decimal(0))),
        },
        "by_need_type": [
            {"need_type": r.need_type, "records": r.records, "remaining_amount": money(r.remaining)}
            for r in records
        ],
        "by_partner": by_partner,
        "by_township": [
            {
                "county_code": r.county_code,
                "township_code": r.township_code,
                "accepted_offers": r.accepted_offers,
                "fulfilled_offers": r.fulfilled_offers,
                "scheme_outcomes": r.scheme_outcomes,
                "schemes_granted": r.schemes_granted,
                "fulfilment": None if r.fulfilment is None else str(r.fulfilment),
            }
            for r in await repo.fulfilment_by_township(session, f)
        ],
    }


async def state_gauges(runtime: Runtime) -> None:
    """ServiceModule.state_gauges: cases by referral state."""
    async with runtime.sessions() as session:
        counts = await repo.cases_by_state(session)
    CASES_BY_STATE.replace(runtime.name, {(runtime.name, s): count for s, count in counts.items()})
