"""Approval's use cases: take assessed cases in, record the review (审核) and approval (审批) steps,
publish them (R-FLOW-1, R-FLOW-3, R-FLOW-4). Each use case is one transaction: state and events together."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Sequence
from datetime import datetime
from decimal import Decimal
from enum import StrEnum
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy.engine import RowMapping
from sqlalchemy.ext.asyncio import AsyncSession

from services.approval import repository as repo
from services.approval.domain.tiers import Level, approval_level, may_decide
from shared import clock
from shared.access import guard
from shared.api import UUID_PATTERN
from shared.contracts.approval import AidForm, CaseDecided, CaseReturned, CaseReviewed, Decision, Stage
from shared.contracts.assessment import CaseAssessed
from shared.contracts.common import Need
from shared.errors import BusinessRuleViolated, Conflict, InvalidField, NotFound, Problem
from shared.events import Envelope
from shared.inbox import PoisonEvent
from shared.money import ZERO, Money
from shared.runtime import Runtime

log = logging.getLogger("assistance.approval")

NO_NUL = r"^[^\x00]*$"
Actor = Annotated[
    str | None,
    Field(
        min_length=1,
        max_length=100,
        pattern=NO_NUL,
        description="Ignored: the caller identified by the access token is recorded",
    ),
]
Reasons = Annotated[str, Field(min_length=1, max_length=2000, pattern=NO_NUL)]
CaseRef = Annotated[str, Field(pattern=UUID_PATTERN)]


class Opinion(StrEnum):
    approved = "approved"
    rejected = "rejected"
    returned = "returned"
    """Sent back for revision with reasons: the case waits for a revised application (a new revision)."""


class Status(StrEnum):
    pending = "pending"
    reviewed = "reviewed"
    approved = "approved"
    rejected = "rejected"
    returned = "returned"


class ReviewIn(BaseModel):
    """R-FLOW-1 review (审核): the township (or county) checks the case and proposes an amount."""

    model_config = ConfigDict(extra="forbid")
    opinion: Opinion
    actor: Actor = None
    reasons: Reasons
    role: Level = Level.township
    amount: Money | None = None
    """The proposed amount; defaults to the assessed amount. It decides the approving level (R-FLOW-3)."""


class DecisionIn(BaseModel):
    """R-FLOW-1 approval (审批) by someone other than the reviewer."""

    model_config = ConfigDict(extra="forbid")
    decision: Opinion
    actor: Actor = None
    reasons: Reasons
    role: Level | None = None
    """township or county approver; a township cannot approve above its limit (R-FLOW-3)."""
    amount: Money | None = None
    """Defaults to the reviewed amount; more than assessed needs a county-government raise (R-AMT-4)."""
    form: AidForm = AidForm.cash
    stages: list[Stage] | None = None
    """R-FLOW-4: staged help; defaults to one stage due today. Stages cover the amount less any help
    already granted first (R-FLOW-2)."""
    confirm_extended_duration: bool = False
    """R-AMT-2: the approver confirms the county rule the assessment cites for more than the normal 3 months
    (else 409 ``extended-duration-unconfirmed``); not needed for a county-government raise (R-AMT-4)."""


class BatchItem(DecisionIn):
    case_id: CaseRef


class ReviewBatchItem(ReviewIn):
    case_id: CaseRef


async def on_case_assessed(
    runtime: Runtime, session: AsyncSession, envelope: Envelope, ev: CaseAssessed
) -> None:
    current = await repo.get(session, ev.case_id, for_update=True)
    if (
        current is not None
        and current["status"] in (Status.approved, Status.rejected)
        and ev.revision > current["revision"]
        and ev.raise_decision is not None
    ):
        # R-AMT-4: a raise recorded while the decision was on its way; never silently ignored: dead-lettered,
        # so the case shows needs_attention in intake and an operator (or a new decision) takes it up.
        raise PoisonEvent(
            f"the county-government raise {ev.raise_decision.reference} (assessment revision {ev.revision}, "
            f"amount {ev.amount}) arrived after the case was {current['status']} (R-AMT-4)"
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
            "status": Status.pending.value,
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


def _stages(body: DecisionIn, to_pay: Decimal) -> list[Stage]:
    if body.decision is not Opinion.approved:
        return []
    if body.stages is None:
        return [Stage(seq=1, amount=to_pay, due_on=clock.local_today())] if to_pay > 0 else []
    if sum(s.amount for s in body.stages) != to_pay:
        raise InvalidField(
            "stages",
            f"stage amounts must add up to {to_pay} (the approved amount less help already granted first)",
        )
    if len({s.seq for s in body.stages}) != len(body.stages) or any(
        s.seq < 1 or s.seq > 99 for s in body.stages
    ):
        raise InvalidField("stages", "stage numbers must be unique, from 1 to 99")
    return body.stages


async def _case(session: AsyncSession, case_id: str) -> RowMapping:
    case = await repo.get(session, case_id, for_update=True)
    if case is None:
        raise NotFound(f"case {case_id} is not (yet) awaiting approval")
    guard(case["county_code"], case["township_code"])
    if case["status"] in (Status.approved, Status.rejected):
        raise Conflict(f"case {case_id} is already {case['status']}", slug="case-already-decided")
    return case


def _extended_duration(case: RowMapping, amount: Decimal, body: DecisionIn) -> dict[str, Any] | None:
    """R-AMT-2: more than the normal months is never silent: the assessment names the county tier, and the
    approver confirms it explicitly. A county-government raise (R-AMT-4) is its own recorded reason."""
    assessed = case["assessment"] or {}
    extended = assessed.get("extended_duration")
    if body.decision is not Opinion.approved or not extended or assessed.get("raise_decision"):
        return None
    normal = Decimal(assessed["monthly_standard"]) * assessed["persons_helped"] * extended["normal_max"]
    if amount <= normal:
        return None  # what is approved stays within the normal months
    if not body.confirm_extended_duration:
        raise BusinessRuleViolated(
            f"{extended['months']} months is beyond the normal {extended['normal_max']} (R-AMT-2): the "
            f"assessment cites county rule {extended['tier_id']} of policy {extended['policy_version']} "
            f"(self-paid burden {extended['burden_ratio']} of income, tier from "
            f"{extended['min_burden_ratio']}); "
            "confirm it "
            "explicitly with confirm_extended_duration: true, or approve at most the normal months",
            slug="extended-duration-unconfirmed",
            rule="R-AMT-2",
            tier_id=extended["tier_id"],
            policy_version=extended["policy_version"],
            months=extended["months"],
            normal_max=extended["normal_max"],
        )
    return {**extended, "confirmed_by": body.actor}


def _check_amount(field: str, amount: Decimal, case: RowMapping) -> None:
    if amount > case["assessed_amount"]:
        raise InvalidField(field, "above the assessed amount: needs a county-government raise (R-AMT-4)")


async def review(runtime: Runtime, case_id: str, body: ReviewIn) -> RowMapping:
    async with runtime.transaction() as session:
        case = await _case(session, case_id)
        if case["status"] != Status.pending:
            raise Conflict(
                f"case {case_id} is {case['status']}, not awaiting review", slug="not-awaiting-review"
            )
        amount = body.amount if body.amount is not None else case["assessed_amount"]
        if body.opinion is Opinion.rejected:
            amount = ZERO
        _check_amount("amount", amount, case)
        level = approval_level(
            amount, await repo.township_limit(session, case["township_code"], clock.local_today())
        )
        now = clock.now()
        await repo.add_decision(
            session,
            {
                "case_id": case_id,
                "step": "review",
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
        if body.opinion is Opinion.returned:
            await _return(runtime, session, case, "review", body.actor, body.reasons, now)
        else:
            await repo.set_status(session, case_id, Status.reviewed)
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
        updated = await repo.get(session, case_id)
    if updated is None:
        raise RuntimeError("the row just written is missing from its own transaction")
    return updated


async def _return(
    runtime: Runtime,
    session: AsyncSession,
    case: RowMapping,
    step: str,
    actor: str | None,
    reasons: str,
    now: datetime,
) -> None:
    if actor is None:
        raise RuntimeError("a return names who made it (the API sets the actor from the token)")
    await repo.set_status(session, case["case_id"], Status.returned)
    await runtime.outbox.add(
        session,
        CaseReturned(
            case_id=case["case_id"],
            step=step,
            actor=actor,
            reasons=reasons,
            county_code=case["county_code"],
            township_code=case["township_code"],
            returned_at=now,
        ),
        subject=case["case_id"],
    )


async def _review_by_another(session: AsyncSession, case: RowMapping, approver: str | None) -> RowMapping:
    """R-FLOW-1, always (no setting turns it off): every decision (审批) follows a recorded review (审核)
    by someone else. Help first (R-FLOW-2) is the one step taken before; its paperwork is this same pair."""
    if case["status"] != Status.reviewed:
        raise BusinessRuleViolated(
            f"case {case['case_id']} is {case['status']}: review (审核) comes before approval (审批), "
            "by another person (R-FLOW-1)",
            slug="review-required",
            rule="R-FLOW-1",
        )
    reviews = [d for d in await repo.decisions_for(session, case["case_id"]) if d["step"] == "review"]
    reviewed = reviews[-1]
    if approver is None or reviewed["actor"] == approver:
        raise BusinessRuleViolated(
            "the reviewer of a case cannot also approve it: separation of duties (R-FLOW-1)",
            slug="separation-of-duties",
            rule="R-FLOW-1",
        )
    return reviewed


async def decide(runtime: Runtime, case_id: str, body: DecisionIn) -> RowMapping:
    async with runtime.transaction() as session:
        case = await _case(session, case_id)
        reviewed = await _review_by_another(session, case, body.actor)
        grant = await repo.grant(session, case_id, for_update=True)
        help_first = grant["amount"] if grant else ZERO
        amount = (
            body.amount
            if body.amount is not None
            else (reviewed["amount"] if reviewed["decision"] == Opinion.approved else case["assessed_amount"])
        )
        if body.decision is not Opinion.approved:
            amount = ZERO
        else:
            _check_amount("amount", amount, case)
            if amount < help_first:
                raise InvalidField(
                    "amount", f"below the {help_first} already granted as help first (R-FLOW-2)"
                )
        extended = _extended_duration(case, amount, body)
        stages = _stages(body, amount - help_first if body.decision is Opinion.approved else ZERO)
        limit = await repo.township_limit(session, case["township_code"], clock.local_today())
        level = approval_level(amount, limit)
        if body.role is not None and not may_decide(body.role, level):
            raise BusinessRuleViolated(
                f"{amount} is above the township's approval limit {limit}: the county civil-affairs "
                "department approves (R-FLOW-3)",
                slug="county-approval-required",
                rule="R-FLOW-3",
                limit=str(limit),
            )
        now = clock.now()
        await repo.add_decision(
            session,
            {
                "case_id": case_id,
                "step": "approval",
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
            },
        )
        if body.decision is Opinion.returned:
            await _return(runtime, session, case, "approval", body.actor, body.reasons, now)
        else:
            await repo.set_status(session, case_id, body.decision.value)
            if grant is not None and grant["status"] == "open":
                await repo.update_grant(session, case_id, status="completed", completed_at=now)
            await runtime.outbox.add(
                session,
                CaseDecided(
                    case_id=case_id,
                    decision=Decision(body.decision.value),
                    level=level.value,
                    county_code=case["county_code"],
                    township_code=case["township_code"],
                    category=case["category"],
                    subtype=case["subtype"],
                    form=body.form,
                    amount=amount,
                    stages=stages,
                    household_size=case["household_size"],
                    needs=[Need.model_validate(n) for n in case["needs"]],
                    decided_at=now,
                    help_first_amount=help_first if body.decision is Opinion.approved else ZERO,
                    actor=body.actor,
                    reviewed_by=reviewed["actor"],
                ),
                subject=case_id,
            )
        updated = await repo.get(session, case_id)
    if updated is None:
        raise RuntimeError("the row just written is missing from its own transaction")
    return updated


BATCH_CONCURRENCY = 8


async def run_batch(
    items: Sequence[Any], one: Callable[[Any], Awaitable[RowMapping]]
) -> list[dict[str, Any]]:
    """Each item in its own transaction, a few at a time: one failure never holds back or undoes another."""
    gate = asyncio.Semaphore(BATCH_CONCURRENCY)

    async def run(item: Any) -> dict[str, Any]:
        async with gate:
            try:
                row = await one(item)
                return {"case_id": item.case_id, "status": 200, "case_status": row["status"]}
            except Problem as problem:
                return {"case_id": item.case_id, "status": problem.status, "problem": problem.body()}
            except Exception:  # reported per item, the batch goes on
                log.exception("batch item failed", extra={"case_id": item.case_id})
                return {
                    "case_id": item.case_id,
                    "status": 500,
                    "problem": {"title": "Internal error", "status": 500, "detail": "logged"},
                }

    return list(await asyncio.gather(*(run(i) for i in items)))


async def decide_batch(runtime: Runtime, items: Sequence[BatchItem]) -> list[dict[str, Any]]:
    return await run_batch(
        items, lambda i: decide(runtime, i.case_id, DecisionIn(**i.model_dump(exclude={"case_id"})))
    )


async def review_batch(runtime: Runtime, items: Sequence[ReviewBatchItem]) -> list[dict[str, Any]]:
    return await run_batch(
        items, lambda i: review(runtime, i.case_id, ReviewIn(**i.model_dump(exclude={"case_id"})))
    )


async def seed(runtime: Runtime) -> None:
    from services.approval.admin import seed_calendars

    async with runtime.transaction() as session:
        await repo.seed_limits(session)
        await seed_calendars(session)
