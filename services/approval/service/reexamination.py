"""Re-examination (复核, R-REX-1..3): within the county's window after the decision notice the applicant
(through the township, or a government system on their behalf) asks for a re-examination of a refusal or of
the amount; an officer who took no part in the decision, at the same level or higher, upholds it or changes
it with reasons. One transaction each: the record, the case's status and CaseRedecided together, which
disbursement turns into exactly the difference (never a second full payment, never a claw-back)."""

from __future__ import annotations

import json
import uuid
from datetime import date
from pathlib import Path
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from services.approval import repository as repo
from services.approval.domain.errors import (
    AboveTownshipLimit,
    CaseNotDecided,
    ChangeWithoutEffect,
    GroundDoesNotFit,
    InvalidValue,
    ReexaminationAlreadyOpen,
    ReexaminationLevelTooLow,
    ReexaminationNotFound,
    ReexaminationWindowClosed,
    ReexaminerTookPart,
)
from services.approval.domain.model import (
    Case,
    CaseStatus,
    CurrentDecision,
    Ground,
    Opinion,
    Reexamination,
    ReexaminationPolicy,
    ReexaminationStatus,
    Step,
)
from services.approval.domain.reexamination_rules import (
    difference,
    due_on,
    ground_fits,
    in_window,
    level_suffices,
    took_part,
    window_closes_on,
)
from services.approval.domain.tiers import Level, approval_level, may_decide
from services.approval.schemas import ReexaminationDecisionIn, ReexaminationIn, ReexaminationPolicyIn
from services.approval.service import contesting
from services.approval.service.contesting import case_in_reach, policy_in_force
from services.approval.service.review import check_amount
from shared import clock
from shared.access import guard_county_level
from shared.contracts.approval import AidForm, CaseRedecided, Decision, Reexamined
from shared.runtime import Runtime

SEED = Path(__file__).resolve().parents[1] / "domain" / "reexamination_policy.json"


async def seed_policies(session: AsyncSession) -> None:
    """The illustrative county versions of the seed (R-REX-1, R-REX-4), once."""
    await repo.seed_reexamination_policies(session, json.loads(SEED.read_text(encoding="utf-8")))


async def add_policy(runtime: Runtime, county_code: str, body: ReexaminationPolicyIn) -> ReexaminationPolicy:
    async with runtime.transaction() as session:
        guard_county_level(county_code, "re-examination policy")
        return await repo.add_reexamination_policy(
            session, {**body.model_dump(exclude={"actor"}), "county_code": county_code, "actor": body.actor}
        )


async def policies(
    runtime: Runtime, county_code: str, on: date | None
) -> tuple[ReexaminationPolicy | None, list[ReexaminationPolicy]]:
    async with runtime.reading() as session:
        current = await repo.reexamination_policy_on(session, county_code, on or clock.local_today())
        return current, await repo.reexamination_policy_history(session, county_code)


async def decided_case(session: AsyncSession, case_id: str) -> Case:
    """The case, locked, within the caller's jurisdiction, and decided."""
    case = await case_in_reach(session, case_id, for_update=True)
    if not case.status.decided:
        raise CaseNotDecided(case_id, case.status)
    return case


async def current_decision(session: AsyncSession, case_id: str) -> CurrentDecision:
    """The decision as it stands: the final approval step, or the latest re-examination that changed it;
    and everyone who took part so far (R-REX-2)."""
    steps = await repo.decisions_for(session, case_id)
    finals = [d for d in steps if d.step is Step.approval and d.decision is not Opinion.returned]
    if not finals:
        raise CaseNotDecided(case_id, "without a recorded decision")
    final = finals[-1]
    earlier = await repo.reexaminations_for(session, case_id)
    involved = {d.actor for d in steps} | {r.decided_by for r in earlier if r.decided_by}
    acted_at = Level(final.role) if final.role else final.level  # the level that decided (R-FLOW-3)
    current = CurrentDecision(
        decision=final.decision,
        amount=final.amount,
        level=acted_at,
        form=final.form,
        decided_on=clock.local_date(final.at),
        took_part=frozenset(involved),
        window_days=final.reexamination_window_days,
    )
    for r in earlier:
        if r.status is ReexaminationStatus.changed and r.decision_after and r.amount_after is not None:
            current = CurrentDecision(
                decision=r.decision_after,
                amount=r.amount_after,
                level=acted_at,  # the first decision's level bounds every re-examination (R-REX-2)
                form=final.form,
                decided_on=clock.local_date(r.decided_at or r.requested_at),
                took_part=frozenset(involved),
            )
    return current


async def request(runtime: Runtime, case_id: str, body: ReexaminationIn, channel: str) -> Reexamination:
    async with runtime.transaction() as session:
        case = await decided_case(session, case_id)
        current = await current_decision(session, case_id)
        if not ground_fits(body.ground, current):
            raise GroundDoesNotFit(body.ground, current.decision)
        if await repo.open_reexamination(session, case_id) is not None:
            raise ReexaminationAlreadyOpen(case_id)
        policy = await policy_in_force(session, case.county_code)
        window = current.window_days if current.window_days is not None else policy.request_window_days
        today = clock.local_today()
        if not in_window(today, current.decided_on, window):
            raise ReexaminationWindowClosed(
                current.decided_on, window_closes_on(current.decided_on, window), window
            )
        if body.actor is None:
            raise RuntimeError("a request names who brought it (the API sets the actor from the token)")
        reexamination_id = str(uuid.uuid4())
        await repo.add_reexamination(
            session,
            {
                "id": reexamination_id,
                "case_id": case_id,
                "seq": len(await repo.reexaminations_for(session, case_id)) + 1,
                "county_code": case.county_code,
                "township_code": case.township_code,
                "ground": body.ground.value,
                "grounds_text": body.grounds,
                "channel": channel,
                "requested_by": body.actor,
                "requested_at": clock.now(),
                "notice_on": current.decided_on,
                "window_closes_on": window_closes_on(current.decided_on, window),
                "deadline": due_on(today, policy.decision_days),
                "status": ReexaminationStatus.open.value,
                "decision_before": current.decision.value,
                "amount_before": current.amount,
                "level_before": current.level.value,
            },
        )
        return await _one(session, case_id, reexamination_id)


async def _one(session: AsyncSession, case_id: str, reexamination_id: str) -> Reexamination:
    found = [r for r in await repo.reexaminations_for(session, case_id) if r.id == reexamination_id]
    if not found:
        raise RuntimeError("the row just written is missing from its own transaction")
    return found[0]


async def _changed_amount(session: AsyncSession, case: Case, rex: Reexamination, body: Any) -> Any:
    """The new total (R-REX-2): given, or for a refusal the assessed amount; within R-AMT-4."""
    amount = body.amount
    if amount is None:
        if rex.ground is not Ground.refusal:
            raise InvalidValue("amount", "a changed amount states the new amount")
        amount = case.assessed_amount
    check_amount("amount", amount, case)
    if rex.decision_before is Opinion.approved and amount == rex.amount_before:
        raise ChangeWithoutEffect()
    limit = await repo.township_limit(session, case.township_code, clock.local_today())
    if body.role is not None and not may_decide(body.role, approval_level(amount, limit)):
        raise AboveTownshipLimit(amount, limit)
    return amount


async def decide(runtime: Runtime, case_id: str, body: ReexaminationDecisionIn) -> Reexamination:
    async with runtime.transaction() as session:
        case = await decided_case(session, case_id)
        rex = await repo.open_reexamination(session, case_id)
        if rex is None:
            raise ReexaminationNotFound(f"case {case_id} has no open re-examination")
        current = await current_decision(session, case_id)
        officer, acting = body.actor, body.role or Level.township
        if officer is None or took_part(officer, current):
            raise ReexaminerTookPart(officer or "the caller")
        if not level_suffices(acting, rex.level_before):
            raise ReexaminationLevelTooLow(rex.level_before)
        now = clock.now()
        if body.outcome is Reexamined.upheld:
            after, amount = rex.decision_before, rex.amount_before
        else:
            after, amount = Opinion.approved, await _changed_amount(session, case, rex, body)
        delta, not_recovered = difference(rex.amount_before, amount)
        await repo.update_reexamination(
            session,
            rex.id,
            status=body.outcome.value,
            decision_after=after.value,
            amount_after=amount,
            difference=delta,
            not_recovered=not_recovered,
            level=acting.value,
            decided_by=officer,
            reasons=body.reasons,
            decided_at=now,
        )
        if after is not rex.decision_before:
            await repo.set_status(session, case_id, CaseStatus(after.value))
        await runtime.outbox.add(
            session,
            CaseRedecided(
                case_id=case_id,
                reexamination_id=rex.id,
                seq=rex.seq,
                outcome=body.outcome,
                county_code=case.county_code,
                township_code=case.township_code,
                form=AidForm(current.form),
                level=acting.value,
                decision_before=Decision(rex.decision_before.value),
                decision_after=Decision(after.value),
                amount_before=rex.amount_before,
                amount_after=amount,
                difference=delta,
                reasons=body.reasons,
                decided_by=officer,
                requested_at=rex.requested_at,
                decided_at=now,
            ),
            subject=case_id,
        )
        return await _one(session, case_id, rex.id)


async def for_case(runtime: Runtime, case_id: str) -> list[Reexamination]:
    async with runtime.reading() as session:
        await case_in_reach(session, case_id)
        return await repo.reexaminations_for(session, case_id)


async def overdue(
    runtime: Runtime, county_code: str | None, township_code: str | None, limit: int
) -> list[Reexamination]:
    """Open re-examinations past their deadline (R-REX-4), as of today (local)."""
    return await contesting.overdue(runtime, repo.overdue_reexaminations, county_code, township_code, limit)
