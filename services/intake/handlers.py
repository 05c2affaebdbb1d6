"""Intake follows each case's progress (for its lists, the amendment window and duplicate flags) from the
assessment and approval events; inbox-protected, so each event applies once."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from services.intake import repository as repo
from shared.contracts.approval import CaseDecided, CaseReturned, CaseReviewed
from shared.contracts.assessment import CaseAssessed
from shared.events import Envelope
from shared.runtime import Runtime


async def on_case_assessed(
    runtime: Runtime, session: AsyncSession, envelope: Envelope, ev: CaseAssessed
) -> None:
    row = await repo.get(session, ev.case_id, for_update=True)
    if row is None or (ev.application_revision or ev.revision) != row["revision"]:
        return  # not ours, or an older revision's assessment
    if ev.raise_decision is not None and not row["raised"]:
        await repo.set_raised(session, ev.case_id)  # R-ARC-1: the raise's minutes join the checklist
    if row["status"] == "submitted":
        await repo.set_status(session, ev.case_id, "assessed")


async def on_case_reviewed(
    runtime: Runtime, session: AsyncSession, envelope: Envelope, ev: CaseReviewed
) -> None:
    row = await repo.get(session, ev.case_id, for_update=True)
    if row is not None and row["status"] in ("submitted", "assessed"):
        await repo.set_status(session, ev.case_id, "reviewed")


async def on_case_returned(
    runtime: Runtime, session: AsyncSession, envelope: Envelope, ev: CaseReturned
) -> None:
    row = await repo.get(session, ev.case_id, for_update=True)
    if row is not None and row["status"] in ("submitted", "assessed", "reviewed"):
        await repo.set_status(session, ev.case_id, "returned")


async def on_case_decided(
    runtime: Runtime, session: AsyncSession, envelope: Envelope, ev: CaseDecided
) -> None:
    row = await repo.get(session, ev.case_id, for_update=True)
    if row is not None and row["status"] not in ("merged", "approved", "rejected"):
        await repo.set_status(session, ev.case_id, ev.decision.value, decided_at=ev.decided_at)
