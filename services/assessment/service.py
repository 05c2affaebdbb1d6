"""Assessment's use cases: assess a submitted application against the policy in force; manage policies."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

from sqlalchemy.ext.asyncio import AsyncSession

from services.assessment import repository as repo
from services.assessment.domain.means_test import assess
from services.assessment.domain.policy import Policy
from shared.contracts.assessment import CaseAssessed
from shared.contracts.intake import ApplicationSubmitted
from shared.errors import Conflict
from shared.events import Envelope
from shared.inbox import PoisonEvent
from shared.runtime import Runtime


async def on_application_submitted(runtime: Runtime, session: AsyncSession, envelope: Envelope,
                                   app: ApplicationSubmitted) -> None:
    """Assess the application as submitted (frozen inputs) under the policy in force on the incident date."""
    policy = await repo.policy_in_force(session, app.county_code, app.incident_date)
    if policy is None:
        raise PoisonEvent(f"no policy for county {app.county_code} on {app.incident_date}")
    result = assess(app, policy)
    assessment_id = str(uuid.uuid4())
    now = datetime.now(UTC)
    inputs = app.model_dump(mode="json", exclude={"payee"})
    outcome = {
        "eligible": result.eligible, "reasons": [r.model_dump() for r in result.reasons],
        "priority_verification": result.priority_verification, "months": result.months,
        "monthly_standard": str(policy.parameters.monthly_standard), "amount": str(result.amount),
        "self_paid": str(result.self_paid), "per_capita_income": str(result.per_capita_income),
        "previous_year_income_per_capita": str(policy.parameters.previous_year_income_per_capita),
        "needs": [n.model_dump(mode="json") for n in result.needs],
    }
    created = await repo.add_assessment(session, {
        "id": assessment_id, "case_id": app.case_id, "revision": app.revision, "county_code": app.county_code,
        "eligible": result.eligible, "amount": result.amount, "policy_version": policy.version,
        "inputs": inputs, "result": outcome, "created_at": now,
    })
    if not created:
        return  # this revision was assessed already: a decided assessment is never silently changed
    await runtime.outbox.add(session, CaseAssessed(
        case_id=app.case_id, assessment_id=assessment_id, revision=app.revision, county_code=app.county_code,
        township_code=app.township_code, category=app.category, subtype=app.subtype, eligible=result.eligible,
        reasons=result.reasons, priority_verification=result.priority_verification,
        household_size=len(app.household), persons_helped=min(app.persons_helped, len(app.household)),
        months=result.months, monthly_standard=policy.parameters.monthly_standard, amount=result.amount,
        needs=result.needs, policy_version=policy.version, assessed_at=now, submitted_at=app.submitted_at,
    ), subject=app.case_id)


async def add_policy(runtime: Runtime, policy: Policy, *, created_by: str) -> Policy:
    async with runtime.transaction() as session:
        if not await repo.add_policy(session, policy, created_by=created_by):
            raise Conflict(f"policy version {policy.version} exists; versions are never edited, add a new one",
                           slug="policy-version-exists")
    return policy


async def seed(runtime: Runtime) -> None:
    async with runtime.transaction() as session:
        await repo.seed_policies(session)
