"""Approval (审批, R-FLOW-1, R-FLOW-3, R-FLOW-4): a reviewed case is approved, rejected or sent back by
someone other than its reviewer, at the level its amount requires, in stages. One transaction: the step,
the case's status, the help-first paperwork it completes (R-FLOW-2) and CaseDecided together."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from services.approval import repository as repo
from services.approval.domain.budget import CommitmentKind
from services.approval.domain.errors import (
    AboveTownshipLimit,
    BelowHelpFirst,
    ExtendedDurationUnconfirmed,
    InvalidValue,
    ReviewRequired,
    SeparationOfDuties,
)
from services.approval.domain.model import Case, CaseStatus, DecisionRecord, GrantStatus, Opinion, Step
from services.approval.domain.reexamination_rules import window_closes_on
from services.approval.domain.tiers import approval_level, may_decide
from services.approval.schemas import DecisionIn
from services.approval.service import budgets
from services.approval.service.archive import ensure_complete
from services.approval.service.review import CaseView, T, as_is, check_amount, open_case, send_back
from shared import clock
from shared.contracts.approval import AidForm, CaseDecided, Decision, Stage
from shared.contracts.common import Need
from shared.money import ZERO
from shared.runtime import Runtime


def _stages(body: DecisionIn, to_pay: Decimal) -> list[Stage]:
    """R-FLOW-4: the stages of the payload add up to what is to pay (payload validation, 422)."""
    if body.decision is not Opinion.approved:
        return []
    if body.stages is None:
        return [Stage(seq=1, amount=to_pay, due_on=clock.local_today())] if to_pay > 0 else []
    if sum(s.amount for s in body.stages) != to_pay:
        raise InvalidValue(
            "stages",
            f"stage amounts must add up to {to_pay} (the approved amount less help already granted first)",
        )
    if len({s.seq for s in body.stages}) != len(body.stages) or any(
        s.seq < 1 or s.seq > 99 for s in body.stages
    ):
        raise InvalidValue("stages", "stage numbers must be unique, from 1 to 99")
    return body.stages


async def _reexamination_window(session: AsyncSession, case: Case, body: DecisionIn) -> int | None:
    """R-REX-1: the county's re-examination window in force today, fixed with the decision: the figure the
    household's letter states (CaseDecided) and the one a request is checked against."""
    if body.decision is Opinion.returned:
        return None
    policy = await repo.reexamination_policy_on(session, case.county_code, clock.local_today())
    return policy.request_window_days if policy else None


def _extended_duration(case: Case, amount: Decimal, body: DecisionIn) -> dict[str, Any] | None:
    """R-AMT-2: more than the normal months is never silent: the assessment names the county tier, and the
    approver confirms it explicitly. A county-government raise (R-AMT-4) is its own recorded reason."""
    assessed = case.assessment or {}
    extended = assessed.get("extended_duration")
    if body.decision is not Opinion.approved or not extended or assessed.get("raise_decision"):
        return None
    normal = Decimal(assessed["monthly_standard"]) * assessed["persons_helped"] * extended["normal_max"]
    if amount <= normal:
        return None  # what is approved stays within the normal months
    if not body.confirm_extended_duration:
        raise ExtendedDurationUnconfirmed(extended)
    return {**extended, "confirmed_by": body.actor}


async def _review_by_another(session: AsyncSession, case: Case, approver: str | None) -> DecisionRecord:
    """R-FLOW-1, always (no setting turns it off): every decision (审批) follows a recorded review (审核)
    by someone else. Help first (R-FLOW-2) is the one step taken before; its paperwork is this same pair."""
    if case.status is not CaseStatus.reviewed:
        raise ReviewRequired(case.case_id, case.status)
    reviews = [d for d in await repo.decisions_for(session, case.case_id) if d.step is Step.review]
    reviewed = reviews[-1]
    if approver is None or reviewed.actor == approver:
        raise SeparationOfDuties()
    return reviewed


def _amount(body: DecisionIn, case: Case, reviewed: DecisionRecord, help_first: Decimal) -> Decimal:
    if body.decision is not Opinion.approved:
        return ZERO
    if body.amount is not None:
        amount = body.amount
    else:
        amount = reviewed.amount if reviewed.decision is Opinion.approved else case.assessed_amount
    check_amount("amount", amount, case)
    if amount < help_first:
        raise BelowHelpFirst(help_first)
    return amount


async def decide(runtime: Runtime, case_id: str, body: DecisionIn) -> Case:
    return await decide_then(runtime, case_id, body, as_is)


async def decide_then(runtime: Runtime, case_id: str, body: DecisionIn, view: CaseView[T]) -> T:
    """The decision, answered by ``view`` of the decided case in the same transaction."""
    async with runtime.transaction() as session:
        case = await open_case(session, case_id)
        reviewed = await _review_by_another(session, case, body.actor)
        if body.decision is Opinion.approved:
            await ensure_complete(session, case_id)  # R-ARC-1
        grant = await repo.grant(session, case_id, for_update=True)
        help_first = grant.amount if grant else ZERO
        amount = _amount(body, case, reviewed, help_first)
        extended = _extended_duration(case, amount, body)
        stages = _stages(body, amount - help_first if body.decision is Opinion.approved else ZERO)
        limit = await repo.township_limit(session, case.township_code, clock.local_today())
        level = approval_level(amount, limit)
        if body.role is not None and not may_decide(body.role, level):
            raise AboveTownshipLimit(amount, limit)
        now = clock.now()
        window = await _reexamination_window(session, case, body)
        if body.decision is Opinion.approved and body.form is not AidForm.referral:
            await budgets.commit(  # R-OVS-3: in the decision's transaction, or refused with it
                session,
                case,
                amount - help_first,
                kind=CommitmentKind.decision,
                level=body.role,
                actor=body.actor,
                now=now,
            )
        await repo.add_decision(
            session,
            {
                "case_id": case_id,
                "step": Step.approval.value,
                "decision": body.decision.value,
                "level": level.value,
                "role": (body.role or level).value,
                "actor": body.actor,
                "reasons": body.reasons,
                "amount": amount,
                "form": body.form.value,
                "stages": [s.model_dump(mode="json") for s in stages],
                "at": now,
                "extended_duration": extended,
                "reexamination_window_days": window,
            },
        )
        updated = None
        if body.decision is Opinion.returned:
            await send_back(runtime, session, case, Step.approval, body.actor, body.reasons, now)
        else:
            updated = await repo.set_status(session, case_id, CaseStatus(body.decision.value))
            if grant is not None and grant.status is GrantStatus.open:
                await repo.update_grant(
                    session, case_id, status=GrantStatus.completed.value, completed_at=now
                )
            await runtime.outbox.add(
                session,
                CaseDecided(
                    case_id=case_id,
                    decision=Decision(body.decision.value),
                    level=level.value,
                    county_code=case.county_code,
                    township_code=case.township_code,
                    category=case.category,
                    subtype=case.subtype,
                    form=body.form,
                    amount=amount,
                    stages=stages,
                    household_size=case.household_size,
                    needs=[Need.model_validate(n) for n in case.needs],
                    decided_at=now,
                    help_first_amount=help_first if body.decision is Opinion.approved else ZERO,
                    actor=body.actor,
                    reviewed_by=reviewed.actor,
                    reexamination_window_days=window,
                    reexamination_closes_on=(
                        window_closes_on(clock.local_date(now), window) if window is not None else None
                    ),
                ),
                subject=case_id,
            )
        updated = updated or await repo.get(session, case_id)  # sent back: re-read
        if updated is None:
            raise RuntimeError("the row just written is missing from its own transaction")
        return await view(session, updated)
