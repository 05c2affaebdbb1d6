"""Approval's use cases: take assessed cases in, record decisions, publish them (R-FLOW-1, R-FLOW-3)."""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal
from enum import StrEnum
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy.engine import RowMapping
from sqlalchemy.ext.asyncio import AsyncSession

from services.approval import repository as repo
from services.approval.domain.tiers import approval_level
from shared.contracts.approval import AidForm, CaseDecided, Decision, Stage
from shared.contracts.assessment import CaseAssessed
from shared.contracts.common import Need
from shared.errors import Conflict, InvalidField, NotFound
from shared.events import Envelope
from shared.money import Money
from shared.runtime import Runtime


class DecisionIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    decision: Decision
    actor: Annotated[str, Field(min_length=1, max_length=100)]
    reasons: Annotated[str, Field(min_length=1, max_length=2000)]
    amount: Money | None = None
    """Defaults to the assessed amount; more needs a recorded county-government decision (R-AMT-4)."""
    form: AidForm = AidForm.cash
    stages: list[Stage] | None = None
    """R-FLOW-4: staged help; defaults to one stage due today. Stage amounts must add up to the amount."""


class Status(StrEnum):
    pending = "pending"
    approved = "approved"
    rejected = "rejected"


async def on_case_assessed(runtime: Runtime, session: AsyncSession, envelope: Envelope, ev: CaseAssessed) -> None:
    await repo.upsert_assessed(session, {
        "case_id": ev.case_id, "revision": ev.revision, "county_code": ev.county_code,
        "township_code": ev.township_code, "category": ev.category.value, "subtype": ev.subtype.value,
        "status": Status.pending.value, "eligible": ev.eligible, "assessed_amount": ev.amount,
        "months": ev.months, "household_size": ev.household_size,
        "needs": [n.model_dump(mode="json") for n in ev.needs], "assessment": ev.model_dump(mode="json"),
        "created_at": datetime.now(UTC), "updated_at": datetime.now(UTC),
    })


def _stages(body: DecisionIn, amount: Decimal) -> list[Stage]:
    if body.decision is Decision.rejected:
        return []
    stages = body.stages or [Stage(seq=1, amount=amount, due_on=date.today())]
    if sum(s.amount for s in stages) != amount:
        raise InvalidField("stages", f"stage amounts must add up to the approved amount {amount}")
    if len({s.seq for s in stages}) != len(stages):
        raise InvalidField("stages", "stage numbers must be unique")
    return stages


async def decide(runtime: Runtime, case_id: str, body: DecisionIn) -> RowMapping:
    async with runtime.transaction() as session:
        case = await repo.get(session, case_id, for_update=True)
        if case is None:
            raise NotFound(f"case {case_id} is not (yet) awaiting approval")
        if case["status"] != Status.pending:
            raise Conflict(f"case {case_id} is already {case['status']}", slug="case-already-decided")
        amount = body.amount if body.amount is not None else case["assessed_amount"]
        if body.decision is Decision.rejected:
            amount = Decimal("0.00")
        elif amount > case["assessed_amount"]:
            raise InvalidField("amount", "above the assessed amount: needs a county-government raise (R-AMT-4)")
        stages = _stages(body, amount)
        limit = await repo.township_limit(session, case["township_code"], date.today())
        level = approval_level(amount, limit)
        now = datetime.now(UTC)
        await repo.add_decision(session, {
            "case_id": case_id, "step": "approval", "decision": body.decision.value, "level": level.value,
            "actor": body.actor, "reasons": body.reasons, "amount": amount, "form": body.form.value,
            "stages": [s.model_dump(mode="json") for s in stages], "at": now,
        })
        await repo.set_status(session, case_id, body.decision.value)
        await runtime.outbox.add(session, CaseDecided(
            case_id=case_id, decision=body.decision, level=level.value, county_code=case["county_code"],
            township_code=case["township_code"], category=case["category"], subtype=case["subtype"],
            form=body.form, amount=amount, stages=stages, household_size=case["household_size"],
            needs=[Need.model_validate(n) for n in case["needs"]], decided_at=now,
        ), subject=case_id)
        updated = await repo.get(session, case_id)
    assert updated is not None
    return updated


async def seed(runtime: Runtime) -> None:
    async with runtime.transaction() as session:
        await repo.seed_limits(session)
