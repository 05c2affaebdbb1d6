"""A case's referral timeline (R-AID-1, R-CHA-3): its needs records, every offer and answer, every referral
to a government scheme and its outcome, the 低保 suggestion — oldest first. The same steps are published as
events on referral's topic (``SchemeReferralCreated``, ``SchemeOutcomeRecorded``, ``ReferralAccepted``...)
for the household and intake sides to show."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from services.referral import repository as repo
from services.referral.repository import scheme_queries as schemes_repo
from services.referral.schemas import TimelineEntry

__all__ = ["timeline"]


async def timeline(session: AsyncSession, case_id: str) -> list[TimelineEntry]:
    entries: list[TimelineEntry] = []
    for r in await repo.records_for(session, case_id):
        entries.append(
            TimelineEntry(
                at=r.published_at,
                kind="needs_record",
                need_type=r.need_type,
                status=r.match_state.value,
                amount=r.remaining_amount,
                ref=r.id,
            )
        )
    for h in await repo.case_history(session, case_id):
        entries.append(
            TimelineEntry(
                at=h.responded_at or h.offered_at,
                kind="offer",
                need_type=h.need_type,
                status=h.status.value,
                partner_id=h.partner_id,
                amount=h.fulfilled_amount if h.fulfilled_amount is not None else h.requested_amount,
                reason=h.status_reason,
                ref=h.id,
            )
        )
    for s in await schemes_repo.referrals_of_case(session, case_id):
        entries.append(
            TimelineEntry(
                at=s.created_at,
                kind="scheme_referral",
                need_type=s.need_type,
                status="open",
                partner_id=s.partner_id,
                scheme=s.scheme,
                amount=s.requested_amount,
                due_on=s.due_on,
                ref=s.id,
            )
        )
        if s.overdue_at is not None:
            entries.append(
                TimelineEntry(
                    at=s.overdue_at,
                    kind="scheme_overdue",
                    need_type=s.need_type,
                    status=s.status.value,
                    partner_id=s.partner_id,
                    scheme=s.scheme,
                    due_on=s.due_on,
                    ref=s.id,
                )
            )
        if s.outcome_at is not None:
            entries.append(
                TimelineEntry(
                    at=s.outcome_at,
                    kind="scheme_outcome",
                    need_type=s.need_type,
                    status=s.status.value,
                    partner_id=s.partner_id,
                    scheme=s.scheme,
                    amount=s.outcome_amount,
                    reason=s.outcome_reason,
                    due_on=s.due_on,
                    ref=s.id,
                )
            )
    for g in await schemes_repo.suggestions_of_case(session, case_id):
        entries.append(
            TimelineEntry(
                at=g.created_at,
                kind="suggestion",
                status=g.status.value,
                scheme=g.scheme,
                reason=g.reason,
                ref=g.id,
            )
        )
    return sorted(entries, key=lambda e: (e.at, e.kind, e.ref))
