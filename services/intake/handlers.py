"""Intake follows each case's progress (for its lists, the amendment window and duplicate flags) from the
assessment and approval events; inbox-protected, so each event applies once."""

from __future__ import annotations

from typing import Any

from sqlalchemy.engine import RowMapping
from sqlalchemy.ext.asyncio import AsyncSession

from services.intake import repository as repo
from shared import clock
from shared.contracts.approval import CaseDecided, CaseReturned, CaseReviewed
from shared.contracts.assessment import CaseAssessed, PolicyCoverage
from shared.contracts.processing import CaseProcessingFailed
from shared.events import Envelope
from shared.runtime import Runtime, is_case_id


def _status(row: RowMapping) -> str:
    """Where the case is in its flow; a ``needs_attention`` case is where it stopped, so a later event (after
    a replay or an amendment) still moves it on, which also resolves the attention."""
    if row["status"] == "needs_attention" and row["attention"]:
        return str(row["attention"].get("previous_status", "submitted"))
    return str(row["status"])


async def _needs_attention(
    session: AsyncSession, case_id: str, *, service: str, reason: str, event_type: str | None
) -> None:
    if not is_case_id(case_id):
        return  # not about a case: the dead letter itself is the record
    row = await repo.get(session, case_id, for_update=True)
    if row is None or row["status"] == "merged":
        return  # not one of intake's cases, or folded into another case
    attention: dict[str, Any] = {
        "service": service,
        "reason": reason,
        "failed_event_type": event_type,
        "at": clock.now().isoformat(),
        "previous_status": _status(row),
    }
    await repo.mark_attention(session, case_id, attention)


async def on_case_processing_failed(
    runtime: Runtime, session: AsyncSession, envelope: Envelope, ev: CaseProcessingFailed
) -> None:
    """A downstream service could not process the case: the case shows it (``needs_attention``)."""
    await _needs_attention(
        session, ev.case_id, service=ev.service, reason=ev.reason, event_type=ev.failed_event_type
    )


async def on_own_dead_letter(
    runtime: Runtime, session: AsyncSession, envelope: Envelope, reason: str
) -> None:
    """Intake itself could not apply an event about a case (in the dead-letter transaction)."""
    if envelope.subject:
        await _needs_attention(
            session, envelope.subject, service="intake", reason=reason, event_type=envelope.type
        )


async def on_policy_coverage(
    runtime: Runtime, session: AsyncSession, envelope: Envelope, ev: PolicyCoverage
) -> None:
    """Keep assessment's policy periods (the event carries all of them) for the coverage check."""
    await repo.replace_coverage(session, [p.model_dump() for p in ev.periods])


async def on_case_assessed(
    runtime: Runtime, session: AsyncSession, envelope: Envelope, ev: CaseAssessed
) -> None:
    row = await repo.get(session, ev.case_id, for_update=True)
    if row is None or (ev.application_revision or ev.revision) != row["revision"]:
        return  # not ours, or an older revision's assessment
    if ev.raise_decision is not None and not row["raised"]:
        await repo.set_raised(session, ev.case_id)  # R-ARC-1: the raise's minutes join the checklist
    if _status(row) == "submitted":
        await repo.set_status(session, ev.case_id, "assessed")


async def on_case_reviewed(
    runtime: Runtime, session: AsyncSession, envelope: Envelope, ev: CaseReviewed
) -> None:
    row = await repo.get(session, ev.case_id, for_update=True)
    if row is not None and _status(row) in ("submitted", "assessed"):
        await repo.set_status(session, ev.case_id, "reviewed")


async def on_case_returned(
    runtime: Runtime, session: AsyncSession, envelope: Envelope, ev: CaseReturned
) -> None:
    row = await repo.get(session, ev.case_id, for_update=True)
    if row is not None and _status(row) in ("submitted", "assessed", "reviewed"):
        await repo.set_status(session, ev.case_id, "returned")


async def on_case_decided(
    runtime: Runtime, session: AsyncSession, envelope: Envelope, ev: CaseDecided
) -> None:
    row = await repo.get(session, ev.case_id, for_update=True)
    if row is not None and _status(row) not in ("merged", "approved", "rejected"):
        await repo.set_status(session, ev.case_id, ev.decision.value, decided_at=ev.decided_at)
