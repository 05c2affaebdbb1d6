"""Review (审核, R-FLOW-1): assessed cases come in awaiting review; the township (or county) reviews them
with an opinion and a proposed amount, or sends them back. Each use case is one transaction: state and
events together."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import datetime
from decimal import Decimal
from typing import TypeVar

from sqlalchemy.ext.asyncio import AsyncSession

from services.approval import repository as repo
from services.approval.domain.errors import (
    AboveAssessedAmount,
    CaseAlreadyDecided,
    CaseNotFound,
    NotAwaitingReview,
)
from services.approval.domain.model import (
    ArchiveState,
    Case,
    CaseStatus,
    DecisionRecord,
    HelpFirstGrant,
    Opinion,
    Step,
)
from services.approval.domain.tiers import approval_level
from services.approval.schemas import ReviewIn
from services.approval.service.archive import ensure_complete
from shared import clock
from shared.access import guard
from shared.contracts.approval import AidForm, CaseReturned, CaseReviewed, Decision
from shared.contracts.assessment import CaseAssessed
from shared.inbox import PoisonEvent
from shared.money import ZERO
from shared.runtime import Runtime

T = TypeVar("T")
CaseView = Callable[[AsyncSession, Case], Awaitable[T]]
"""What a use case answers, read in its own write transaction (no second round trip after the commit)."""


async def as_is(session: AsyncSession, case: Case) -> Case:
    """The case as the use case left it."""
    return case


CaseDetails = tuple[Case, list[DecisionRecord], HelpFirstGrant | None, ArchiveState | None]


async def details(session: AsyncSession, case: Case) -> CaseDetails:
    """The case with its steps, help-first grant and archive state, read in the caller's session (a POST
    answers from its own write transaction)."""
    return (
        case,
        await repo.decisions_for(session, case.case_id),
        await repo.grant(session, case.case_id),
        await repo.archive_state(session, case.case_id),
    )


async def take_in(session: AsyncSession, ev: CaseAssessed) -> None:
    """A case as assessed (a newer revision replaces a pending or returned one) awaits review."""
    current = await repo.get(session, ev.case_id, for_update=True)
    if (
        current is not None
        and current.status.decided
        and ev.revision > current.revision
        and ev.raise_decision is not None
    ):
        # R-AMT-4: a raise recorded while the decision was on its way; never silently ignored: dead-lettered,
        # so the case shows needs_attention in intake and an operator (or a new decision) takes it up.
        raise PoisonEvent(
            f"the county-government raise {ev.raise_decision.reference} (assessment revision {ev.revision}, "
            f"amount {ev.amount}) arrived after the case was {current.status} (R-AMT-4)"
        )
    await repo.upsert_assessed(
        session,
        {
            "case_id": ev.case_id,
            "revision": ev.revision,
            "county_code": ev.county_code,
            "township_code": ev.township_code,
            "category": ev.category.value,
            "subtype": ev.subtype.value,
            "status": CaseStatus.pending.value,
            "eligible": ev.eligible,
            "assessed_amount": ev.amount,
            "months": ev.months,
            "household_size": ev.household_size,
            "needs": [n.model_dump(mode="json") for n in ev.needs],
            "assessment": ev.model_dump(mode="json"),
            "created_at": clock.now(),
            "updated_at": clock.now(),
            "submitted_at": ev.submitted_at,
        },
    )


async def open_case(session: AsyncSession, case_id: str) -> Case:
    """The case, locked, within the caller's jurisdiction and not yet decided."""
    case = await repo.get(session, case_id, for_update=True)
    if case is None:
        raise CaseNotFound(f"case {case_id} is not (yet) awaiting approval")
    guard(case.county_code, case.township_code)
    if case.status.decided:
        raise CaseAlreadyDecided(case_id, case.status)
    return case


def check_amount(field: str, amount: Decimal, case: Case) -> None:
    """R-AMT-4: never more than assessed; a raise is a new assessment revision."""
    if amount > case.assessed_amount:
        raise AboveAssessedAmount(
            field, "above the assessed amount: needs a county-government raise (R-AMT-4)"
        )


async def send_back(
    runtime: Runtime,
    session: AsyncSession,
    case: Case,
    step: Step,
    actor: str | None,
    reasons: str,
    now: datetime,
) -> None:
    """Returned for revision with reasons (R-FLOW-1): the case waits for a revised application."""
    if actor is None:
        raise RuntimeError("a return names who made it (the API sets the actor from the token)")
    await repo.set_status(session, case.case_id, CaseStatus.returned)
    await runtime.outbox.add(
        session,
        CaseReturned(
            case_id=case.case_id,
            step=step.value,
            actor=actor,
            reasons=reasons,
            county_code=case.county_code,
            township_code=case.township_code,
            returned_at=now,
        ),
        subject=case.case_id,
    )


async def review(runtime: Runtime, case_id: str, body: ReviewIn) -> Case:
    return await review_then(runtime, case_id, body, as_is)


async def review_then(runtime: Runtime, case_id: str, body: ReviewIn, view: CaseView[T]) -> T:
    """The review, answered by ``view`` of the reviewed case in the same transaction."""
    async with runtime.transaction() as session:
        case = await open_case(session, case_id)
        if case.status is not CaseStatus.pending:
            raise NotAwaitingReview(case_id, case.status)
        if body.opinion is Opinion.approved:
            await ensure_complete(session, case_id)  # R-ARC-1: a refusal or a return needs no full archive
        amount = body.amount if body.amount is not None else case.assessed_amount
        if body.opinion is Opinion.rejected:
            amount = ZERO
        check_amount("amount", amount, case)
        level = approval_level(
            amount, await repo.township_limit(session, case.township_code, clock.local_today())
        )
        now = clock.now()
        await repo.add_decision(
            session,
            {
                "case_id": case_id,
                "step": Step.review.value,
                "decision": body.opinion.value,
                "level": level.value,
                "role": body.role.value,
                "actor": body.actor,
                "reasons": body.reasons,
                "amount": amount,
                "form": AidForm.cash.value,
                "stages": [],
                "at": now,
            },
        )
        updated = None
        if body.opinion is Opinion.returned:
            await send_back(runtime, session, case, Step.review, body.actor, body.reasons, now)
        else:
            updated = await repo.set_status(session, case_id, CaseStatus.reviewed)
            await runtime.outbox.add(
                session,
                CaseReviewed(
                    case_id=case_id,
                    opinion=Decision(body.opinion.value),
                    level=level.value,
                    actor=body.actor,
                    reasons=body.reasons,
                    amount=amount,
                    reviewed_at=now,
                ),
                subject=case_id,
            )
        updated = updated or await repo.get(session, case_id)  # sent back: re-read
        if updated is None:
            raise RuntimeError("the row just written is missing from its own transaction")
        return await view(session, updated)
