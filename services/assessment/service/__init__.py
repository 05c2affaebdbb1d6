"""Assessment's use cases: assess a submitted application against the policy in force (frozen inputs, pinned
policy version); record a county-government raise (R-AMT-4); manage policies."""

from __future__ import annotations

import uuid
from dataclasses import replace
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from services.assessment import repository as repo
from services.assessment.domain.errors import (
    AssessmentChanged,
    AssessmentNotFound,
    CaseAlreadyDecided,
    InvalidRaise,
    NotEligible,
    PolicyVersionExists,
)
from services.assessment.domain.means_test import Raised, Result, assess, raised_amount
from services.assessment.domain.model import Assessment
from services.assessment.domain.policy import Policy
from services.assessment.schemas import RaiseIn
from services.assessment.service import verification
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
from shared.inbox import PoisonEvent
from shared.runtime import Runtime


async def assess_application(runtime: Runtime, session: AsyncSession, app: ApplicationSubmitted) -> None:
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
    outcome = outcome_of(app, policy, result)
    assessment = Assessment(
        id=str(uuid.uuid4()),
        case_id=app.case_id,
        revision=await repo.next_revision(session, app.case_id),
        application_revision=app.revision,
        county_code=app.county_code,
        eligible=result.eligible,
        amount=result.amount,
        policy_version=policy.version,
        inputs=app.model_dump(mode="json", exclude=INPUTS_EXCLUDED),
        result=outcome,
        created_at=now,
    )
    if await repo.add_assessment(session, assessment):
        await runtime.outbox.add(session, event_of(assessment), subject=app.case_id)
        await verification.open_requests(runtime, session, app, policy)  # R-CAT-3, R-CAT-4


INPUTS_EXCLUDED = {"payee", "payee_sealed", "members_sealed"}
"""Never in the frozen inputs: the account and the ID numbers (ciphertext kept by its own use only)."""


def outcome_of(app: ApplicationSubmitted, policy: Policy, result: Result, **extra: Any) -> dict[str, Any]:
    """The stored result of an assessment: every reason and figure, and which figures it used."""
    return {
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
        "figure_source": "declared",
        "status_source": "declared",
        **extra,
    }


async def remember_decision(session: AsyncSession, ev: CaseDecided) -> None:
    """Remember that approval decided the case: a raise after the decision is refused (R-AMT-4)."""
    await repo.record_decided(session, ev.case_id, ev.decision.value, ev.decided_at)


def event_of(a: Assessment) -> CaseAssessed:
    inputs, result = a.inputs, a.result
    return CaseAssessed(
        case_id=a.case_id,
        assessment_id=a.id,
        revision=a.revision,
        county_code=a.county_code,
        township_code=inputs["township_code"],
        category=inputs["category"],
        subtype=inputs["subtype"],
        eligible=a.eligible,
        reasons=[Reason.model_validate(r) for r in result["reasons"]],
        priority_verification=result["priority_verification"],
        household_size=result["household_size"],
        persons_helped=result["persons_helped"],
        months=result["months"],
        monthly_standard=result["monthly_standard"],
        amount=a.amount,
        needs=[Need.model_validate(n) for n in result["needs"]],
        policy_version=a.policy_version,
        assessed_at=a.created_at,
        application_revision=a.application_revision,
        self_paid=result["self_paid"],
        per_capita_income=result["per_capita_income"],
        raise_decision=RaiseDecision.model_validate(a.raise_decision) if a.raise_decision else None,
        extended_duration=_extended(result),
        submitted_at=inputs.get("submitted_at"),  # when intake received it, for time to decision (R-OVS-2)
        figure_source=result.get("figure_source", "declared"),
        registry_confirmed=True if result.get("status_source") == "registry" else None,
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


async def record_raise(runtime: Runtime, case_id: str, body: RaiseIn) -> Assessment:
    """R-AMT-4: a new assessment revision carrying the county government's raise; the same frozen inputs and
    pinned policy version as the assessment it raises, which stays as it was."""
    if body.decided_on > clock.local_today():
        raise InvalidRaise("decided_on", "the decision cannot be dated in the future")
    async with runtime.transaction() as session:
        await repo.lock_case(session, case_id)
        current = await repo.latest(session, case_id)
        if current is None:
            raise AssessmentNotFound(case_id)
        guard(current.county_code, current.township_code)
        decided = await repo.decided(session, case_id)
        if decided is not None:
            raise CaseAlreadyDecided(
                f"case {case_id} was already {decided.decision.value} on "
                f"{clock.local_date(decided.decided_at)}: "
                "a raise (R-AMT-4) is recorded before the approval decision, so that approval takes it; "
                "after the decision it would change nothing and is refused",
                rule="R-AMT-4",
            )
        if not current.eligible:
            raise NotEligible("only an eligible case's amount can be raised (R-AMT-4)", rule="R-AMT-4")
        policy = await repo.policy_version(session, current.policy_version)
        if policy is None:
            raise RuntimeError("the assessment's policy version is missing; versions are never deleted")
        raised = _raised(current, policy, body)  # R-AMT-2/R-AMT-4 refusals: RaiseNotAllowed (409)
        stored = await _add_raise(runtime, session, current, raised, body)
    return stored


def _raised(current: Assessment, policy: Policy, body: RaiseIn) -> Raised:
    return raised_amount(
        monthly_standard=policy.parameters.monthly_standard,
        persons=current.result["persons_helped"],
        current_months=current.result["months"],
        current_amount=current.amount,
        absolute_max=policy.parameters.months.absolute_max,
        months=body.months,
        amount=body.amount,
        reference=body.reference,
    )


async def _add_raise(
    runtime: Runtime, session: AsyncSession, current: Assessment, raised: Raised, body: RaiseIn
) -> Assessment:
    decision = RaiseDecision(
        decided_by=body.decided_by, decided_on=body.decided_on, reference=body.reference, reason=body.reason
    )
    result: dict[str, Any] = {
        **current.result,
        "months": raised.months,
        "amount": str(raised.amount),
        "reasons": [*current.result["reasons"], raised.reason.model_dump()],
        "raised_from_revision": current.revision,
    }
    assessment = replace(
        current,
        id=str(uuid.uuid4()),
        revision=current.revision + 1,
        eligible=True,
        amount=raised.amount,
        result=result,
        created_at=clock.now(),
        raise_decision=decision.model_dump(mode="json"),
        recorded_by=body.recorded_by,
    )
    if not await repo.add_assessment(session, assessment):
        raise AssessmentChanged("the assessment changed meanwhile; retry")
    await runtime.outbox.add(session, event_of(assessment), subject=current.case_id)
    stored = await repo.latest(session, current.case_id)
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
            raise PolicyVersionExists(
                f"policy version {policy.version} exists; versions are never edited, add a new one"
            )
        await publish_coverage(runtime, session)
    return policy


async def seed(runtime: Runtime) -> None:
    async with runtime.transaction() as session:
        await repo.seed_policies(session)
        await publish_coverage(runtime, session)  # on every start: a new intake learns the coverage too
