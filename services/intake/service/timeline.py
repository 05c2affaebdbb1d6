"""The case's timeline at the single window (一门受理, R-OVS-2): its submission, the review and approval
opinions, and every referral to a government scheme as referral publishes it (R-AID-1) — created with its
due date, overdue, its outcome (accepted, applied, granted with the amount, refused with the reason). An
overdue referral also makes the case ``needs_attention`` (nothing silent) until the scheme's final outcome
arrives. The handlers are inbox-protected; each event is also kept once by its id."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from services.intake import repository as repo
from services.intake.domain.model import Application, ApplicationStatus, SchemeReferralEvent
from services.intake.repository import referral_events as events
from services.intake.schemas import TimelineEntryOut
from services.intake.service import mark_needs_attention
from shared.contracts.referral import SchemeOutcomeRecorded, SchemeReferralCreated, SchemeReferralOverdue
from shared.events import Envelope

__all__ = ["follow_scheme_event", "timeline"]
FINAL = ("granted", "refused")
SchemeEvent = SchemeReferralCreated | SchemeOutcomeRecorded | SchemeReferralOverdue


def _row(envelope: Envelope, application_id: str, ev: SchemeEvent) -> dict[str, object]:
    row: dict[str, object] = {
        "application_id": application_id,
        "event_id": envelope.id,
        "scheme_referral_id": ev.scheme_referral_id,
        "scheme": ev.scheme,
        "need_type": ev.need_type.value,
    }
    if isinstance(ev, SchemeReferralCreated):
        return row | {
            "kind": "scheme_referral",
            "status": "open",
            "amount": ev.requested_amount,
            "due_on": ev.due_on,
            "at": ev.created_at,
        }
    if isinstance(ev, SchemeReferralOverdue):
        return row | {"kind": "scheme_overdue", "status": ev.status, "due_on": ev.due_on, "at": ev.found_at}
    return row | {
        "kind": "scheme_outcome",
        "status": ev.outcome,
        "amount": ev.amount,
        "reason": ev.reason,
        "at": ev.recorded_at,
    }


def _still_overdue(kept: list[SchemeReferralEvent]) -> list[SchemeReferralEvent]:
    """Overdue referrals of the case that have no final outcome yet, oldest first."""
    final = {e.scheme_referral_id for e in kept if e.kind == "scheme_outcome" and e.status in FINAL}
    return [e for e in kept if e.kind == "scheme_overdue" and e.scheme_referral_id not in final]


def _overdue_reason(e: SchemeReferralEvent) -> str:
    return (
        f"R-AID-1: the referral to {e.scheme} ({e.need_type}) was due on "
        f"{e.due_on.isoformat() if e.due_on else ''} and has no outcome ({e.status}); ask the scheme or "
        "record its answer at the referral desk"
    )


async def follow_scheme_event(session: AsyncSession, envelope: Envelope, ev: SchemeEvent) -> None:
    """Keep the event on the case's timeline (once); an overdue referral makes the case ``needs_attention``
    and the last final outcome of the overdue ones resolves it."""
    row = await repo.get(session, ev.case_id, for_update=True)
    if row is None or row.status is ApplicationStatus.merged:
        return  # not one of intake's cases, or folded into another case
    if not await events.add_event(session, _row(envelope, row.id, ev)):
        return
    pending = _still_overdue(await events.events_of(session, row.id))
    flagged = (row.attention or {}).get("scheme_referral_id")
    if row.status is ApplicationStatus.needs_attention and flagged is None:
        return  # another service's problem is on the case: it stays shown first
    if pending and flagged != pending[0].scheme_referral_id:
        await mark_needs_attention(
            session,
            row.id,
            service="referral",
            reason=_overdue_reason(pending[0]),
            event_type=SchemeReferralOverdue.event_type,
            scheme_referral_id=pending[0].scheme_referral_id,
        )
    elif not pending and flagged is not None:
        await repo.set_status(session, row.id, row.flow_status)  # resolved: back where it was


async def timeline(session: AsyncSession, case: Application) -> list[TimelineEntryOut]:
    entries = [TimelineEntryOut(at=case.created_at, kind="submitted", status="submitted")]
    for s in await repo.steps_of(session, case.id):
        kind = "approval" if s.step == "approval" else "review"
        entries.append(
            TimelineEntryOut(at=s.at, kind=kind, status=s.opinion, amount=s.amount, reason=s.reasons)
        )
    for e in await events.events_of(session, case.id):
        entries.append(
            TimelineEntryOut(
                at=e.at,
                kind=e.kind,  # type: ignore[arg-type]
                status=e.status,
                scheme=e.scheme,
                need_type=e.need_type,
                amount=e.amount,
                reason=e.reason,
                due_on=e.due_on,
                ref=e.scheme_referral_id,
            )
        )
    return sorted(entries, key=lambda x: x.at)
