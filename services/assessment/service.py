"""Assessment's use cases: assess a submitted application against the policy in force (frozen inputs, pinned
policy version); record a county-government raise (R-AMT-4); manage policies."""

from __future__ import annotations

import uuid
from datetime import date
from typing import Any

from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy.engine import RowMapping
from sqlalchemy.ext.asyncio import AsyncSession

from services.assessment import repository as repo
from services.assessment.domain.means_test import RaiseRefused, assess, raised_amount
from services.assessment.domain.policy import Policy
from shared import clock
from shared.access import guard
from shared.contracts.approval import CaseDecided
from shared.contracts.assessment import (
    CaseAssessed,
    ExtendedDuration,
    PolicyCoverage,
    PolicyPeriod,
    RaiseDecision,
    Reason,
)
from shared.contracts.common import Need
from shared.contracts.intake import ApplicationSubmitted
from shared.errors import BusinessRuleViolated, Conflict, InvalidField, NotFound
from shared.events import Envelope
from shared.inbox import PoisonEvent
from shared.money import Money
from shared.runtime import Runtime

NO_NUL = r"^[^\x00]*$"


class RaiseIn(BaseModel):
    """R-AMT-4: the county government's decision to raise the amount, as recorded in its minutes. Give either
    ``months`` (up to the policy's absolute maximum) or an explicit ``amount``."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)
    decided_by: str = Field(min_length=1, max_length=200, pattern=NO_NUL, examples=["城区人民政府常务会议"])
    decided_on: date
    reference: str = Field(min_length=1, max_length=200, pattern=NO_NUL, examples=["城政纪〔2026〕12号"])
    reason: str = Field(min_length=1, max_length=2000, pattern=NO_NUL)
    months: int | None = Field(default=None, ge=1, le=6)
    amount: Money | None = None
    recorded_by: str | None = Field(
        default=None,
        min_length=1,
        max_length=100,
        pattern=NO_NUL,
        description="Ignored: the caller identified by the access token is recorded",
    )


async def on_application_submitted(
    runtime: Runtime, session: AsyncSession, envelope: Envelope, app: ApplicationSubmitted
) -> None:
    """Assess the application revision as submitted (frozen inputs) under the policy in force on the incident
    date; a new application revision gets a new assessment, a decided one is never changed."""
    await repo.lock_case(session, app.case_id)
    if await repo.assessed_application_revision(session, app.case_id, app.revision):
        return  # this application revision was assessed already
    policy = await repo.policy_in_force(session, app.county_code, app.incident_date)
    if policy is None:
        raise PoisonEvent(f"no policy for county {app.county_code} on {app.incident_date}")
    result = assess(app, policy)
    now = clock.now()
    outcome = {
        "eligible": result.eligible,
        "reasons": [r.model_dump() for r in result.reasons],
        "priority_verification": result.priority_verification,
        "months": result.months,
        "monthly_standard": str(policy.parameters.monthly_standard),
        "amount": str(result.amount),
        "self_paid": str(result.self_paid),
        "per_capita_income": str(result.per_capita_income),
        "previous_year_income_per_capita": str(policy.parameters.previous_year_income_per_capita),
        "asset_limits": policy.parameters.asset_limits.model_dump(mode="json"),
        "min_self_paid": str(policy.parameters.min_self_paid),
        "persons_helped": min(app.persons_helped, len(app.household)),
        "household_size": len(app.household),
        "application_revision": app.revision,
        "policy_version": policy.version,
        "needs": [n.model_dump(mode="json") for n in result.needs],
    }
    row = {
        "id": str(uuid.uuid4()),
        "case_id": app.case_id,
        "revision": await repo.next_revision(session, app.case_id),
        "application_revision": app.revision,
        "county_code": app.county_code,
        "eligible": result.eligible,
        "amount": result.amount,
        "policy_version": policy.version,
        "inputs": app.model_dump(mode="json", exclude={"payee", "payee_sealed"}),
        "result": outcome,
        "created_at": now,
    }
    if await repo.add_assessment(session, row):
        await runtime.outbox.add(session, _event(row), subject=app.case_id)


async def on_case_decided(
    runtime: Runtime, session: AsyncSession, envelope: Envelope, ev: CaseDecided
) -> None:
    """Remember that approval decided the case: a raise after the decision is refused (R-AMT-4)."""
    await repo.record_decided(session, ev.case_id, ev.decision.value, ev.decided_at)


def _event(row: dict[str, Any] | RowMapping) -> CaseAssessed:
    inputs, result = row["inputs"], row["result"]
    raise_decision = row.get("raise_decision")
    return CaseAssessed(
        case_id=row["case_id"],
        assessment_id=row["id"],
        revision=row["revision"],
        county_code=row["county_code"],
        township_code=inputs["township_code"],
        category=inputs["category"],
        subtype=inputs["subtype"],
        eligible=row["eligible"],
        reasons=[Reason.model_validate(r) for r in result["reasons"]],
        priority_verification=result["priority_verification"],
        household_size=result["household_size"],
        persons_helped=result["persons_helped"],
        months=result["months"],
        monthly_standard=result["monthly_standard"],
        amount=row["amount"],
        needs=[Need.model_validate(n) for n in result["needs"]],
        policy_version=row["policy_version"],
        assessed_at=row["created_at"],
        application_revision=row["application_revision"],
        self_paid=result["self_paid"],
        per_capita_income=result["per_capita_income"],
        raise_decision=RaiseDecision.model_validate(raise_decision) if raise_decision else None,
        extended_duration=_extended(result),
        submitted_at=inputs.get("submitted_at"),  # when intake received it, for time to decision (R-OVS-2)
    )


def _extended(result: dict[str, Any]) -> ExtendedDuration | None:
    """R-AMT-2: the county tier the assessment cites for going beyond the normal months, if any."""
    for reason in result["reasons"]:
        f = reason.get("figures", {})
        if reason["rule"] == "R-AMT-2" and f.get("extended_duration") == "true":
            return ExtendedDuration(
                tier_id=f["tier_id"],
                policy_version=f["policy_version"],
                normal_max=int(f["normal_max"]),
                months=int(f["months"]),
                min_burden_ratio=f["tier_min_burden_ratio"],
                burden_ratio=f["burden_ratio"],
            )
    return None


async def record_raise(runtime: Runtime, case_id: str, body: RaiseIn) -> RowMapping:
    """R-AMT-4: a new assessment revision carrying the county government's raise; the same frozen inputs and
    pinned policy version as the assessment it raises, which stays as it was."""
    if body.decided_on > clock.local_today():
        raise InvalidField("decided_on", "the decision cannot be dated in the future")
    async with runtime.transaction() as session:
        await repo.lock_case(session, case_id)
        current = await repo.latest(session, case_id)
        if current is None:
            raise NotFound(f"no assessment for case {case_id} (yet)")
        guard(current["county_code"], current["inputs"].get("township_code"))
        decided = await repo.decided(session, case_id)
        if decided is not None:
            raise BusinessRuleViolated(
                f"case {case_id} was already {decided['decision']} on "
                f"{clock.local_date(decided['decided_at'])}: "
                "a raise (R-AMT-4) is recorded before the approval decision, so that approval takes it; "
                "after the decision it would change nothing and is refused",
                slug="case-already-decided",
                rule="R-AMT-4",
            )
        if not current["eligible"]:
            raise BusinessRuleViolated(
                "only an eligible case's amount can be raised (R-AMT-4)", slug="not-eligible", rule="R-AMT-4"
            )
        policy = await repo.policy_version(session, current["policy_version"])
        if policy is None:
            raise RuntimeError("the assessment's policy version is missing; versions are never deleted")
        result = dict(current["result"])
        try:
            raised = raised_amount(
                monthly_standard=policy.parameters.monthly_standard,
                persons=result["persons_helped"],
                current_months=result["months"],
                current_amount=current["amount"],
                absolute_max=policy.parameters.months.absolute_max,
                months=body.months,
                amount=body.amount,
                reference=body.reference,
            )
        except RaiseRefused as refused:
            raise InvalidField(refused.field, refused.message) from refused
        decision = RaiseDecision(
            decided_by=body.decided_by,
            decided_on=body.decided_on,
            reference=body.reference,
            reason=body.reason,
        )
        result.update(
            months=raised.months,
            amount=str(raised.amount),
            reasons=[*result["reasons"], raised.reason.model_dump()],
            raised_from_revision=current["revision"],
        )
        row = {
            "id": str(uuid.uuid4()),
            "case_id": case_id,
            "revision": current["revision"] + 1,
            "application_revision": current["application_revision"],
            "county_code": current["county_code"],
            "eligible": True,
            "amount": raised.amount,
            "policy_version": current["policy_version"],
            "inputs": current["inputs"],
            "result": result,
            "created_at": clock.now(),
            "raise_decision": decision.model_dump(mode="json"),
            "recorded_by": body.recorded_by,
        }
        if not await repo.add_assessment(session, row):
            raise Conflict("the assessment changed meanwhile; retry", slug="assessment-changed")
        await runtime.outbox.add(session, _event(row), subject=case_id)
        stored = await repo.latest(session, case_id)
    if stored is None:
        raise RuntimeError("the row just written is missing from its own transaction")
    return stored


COVERAGE_SUBJECT = "policy-coverage"
"""One key for every coverage event: one partition, so consumers see them in order."""


async def publish_coverage(runtime: Runtime, session: AsyncSession) -> None:
    """Every policy version's period, for intake to refuse what nobody would assess (in the caller's
    transaction, so a new version and its announcement commit together)."""
    periods = [
        PolicyPeriod(
            county_code=p.county_code,
            version=p.version,
            effective_from=p.effective_from,
            effective_to=p.effective_to,
        )
        for p in await repo.list_policies(session, None)
    ]
    await runtime.outbox.add(
        session, PolicyCoverage(periods=periods, published_at=clock.now()), subject=COVERAGE_SUBJECT
    )


async def add_policy(runtime: Runtime, policy: Policy, *, created_by: str) -> Policy:
    async with runtime.transaction() as session:
        if not await repo.add_policy(session, policy, created_by=created_by):
            raise Conflict(
                f"policy version {policy.version} exists; versions are never edited, add a new one",
                slug="policy-version-exists",
            )
        await publish_coverage(runtime, session)
    return policy


async def seed(runtime: Runtime) -> None:
    async with runtime.transaction() as session:
        await repo.seed_policies(session)
        await publish_coverage(runtime, session)  # on every start: a new intake learns the coverage too
