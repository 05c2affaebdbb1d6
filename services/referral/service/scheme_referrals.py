"""Referral to government schemes and services (R-AID-1 转介服务, R-OVS-2 协同办理): the township refers a
case's need to a scheme (医疗救助, 教育救助, the 低保/特困 application, 残联, employment, housing, legal aid)
registered as a partner of kind ``government_scheme``; the referral is a task due by the county's date and
its outcome is recorded by the scheme (its API key) or by staff. Both are published on referral's topic for
the case's timeline. A decided case whose hardship outlasts temporary help is put on the desk's list for a
低保 application (``suggest_dibao``, the county rule in ``domain.policy``)."""

from __future__ import annotations

import asyncio
import logging
import uuid
from datetime import timedelta
from decimal import Decimal

from sqlalchemy.ext.asyncio import AsyncSession

from services.referral import repository as repo
from services.referral.domain.errors import (
    CaseNotFound,
    NeedNotReferable,
    NotAScheme,
    PartnerNotFound,
    SchemeReferralNotFound,
    SchemeSuspended,
)
from services.referral.domain.model import Case, PartnerStatus, SchemeReferral
from services.referral.domain.needs import CaseNeed, case_needs, may_share_need, remaining_case_needs
from services.referral.domain.policy import policy_for
from services.referral.domain.schemes import (
    PartnerKind,
    SchemeKind,
    SchemeStatus,
    check_outcome,
    dibao_suggestion,
)
from services.referral.repository import scheme_queries as schemes_repo
from shared import clock
from shared.access import guard
from shared.contracts.common import NeedType
from shared.contracts.referral import (
    SchemeApplicationSuggested,
    SchemeOutcomeRecorded,
    SchemeReferralCreated,
    SchemeReferralOverdue,
)
from shared.domain_errors import StateConflict
from shared.runtime import Runtime

__all__ = [
    "announce_overdue",
    "needs_after_decision",
    "overdue_watch",
    "record_outcome",
    "refer",
    "suggest_dibao",
]
log = logging.getLogger("assistance.referral")
OVERDUE_BATCH = 500


def needs_after_decision(case: Case) -> list[CaseNeed]:
    """The case's needs (stated at intake, assessed) less what the decision covers (R-CHA-1); before a
    decision, all of them."""
    decision = case.decision or {}
    government = Decimal(str(decision["amount"])) if decision.get("decision") == "approved" else Decimal("0")
    return remaining_case_needs(case_needs(case.stated_needs or [], decision.get("needs") or []), government)


def _place(case: Case) -> tuple[str, str]:
    decided = case.decision or {}
    county = case.county_code or decided.get("county_code")
    township = case.township_code or decided.get("township_code")
    if county is None or township is None:
        raise CaseNotFound(case.case_id)
    return county, township


async def refer(
    runtime: Runtime, case_id: str, partner_id: str, need_type: NeedType, actor: str
) -> SchemeReferral:
    """Refer one of the case's needs to a scheme: refused (409 naming the cause) when the partner is not a
    scheme or is suspended, when the need is not the case's or not the scheme's, or when the consent does not
    cover it (R-CHA-2; health needs only with ``share_health_data``). Once per need and scheme."""
    async with runtime.transaction() as session:
        case = await repo.known_case(session, case_id)
        if case is None:
            raise CaseNotFound(case_id)
        county, township = _place(case)
        guard(county, township)
        scheme = await repo.get_partner(session, partner_id)
        if scheme is None:
            raise PartnerNotFound(partner_id)
        if scheme.kind != PartnerKind.government_scheme:
            raise NotAScheme(partner_id)
        if scheme.status is not PartnerStatus.active:
            raise SchemeSuspended(partner_id)
        if need_type.value not in scheme.need_types:
            raise NeedNotReferable(f"the scheme does not take {need_type.value} needs", rule="R-AID-1")
        needs = {n.need_type: n for n in needs_after_decision(case)}
        if need_type.value not in needs:
            raise NeedNotReferable(f"the case has no remaining {need_type.value} need", rule="R-AID-1")
        subtype = (case.decision or {}).get("subtype")
        if not may_share_need(case.consents or {}, need_type=need_type.value, subtype=subtype):
            raise NeedNotReferable(
                f"the household's consent does not cover sharing its {need_type.value} need (R-CHA-2)"
            )
        now = clock.now()
        due = clock.local_date(now) + timedelta(
            days=policy_for(county, clock.local_date(now)).scheme_due_days
        )
        row = await schemes_repo.insert_referral(
            session,
            {
                "id": str(uuid.uuid4()),
                "case_id": case_id,
                "county_code": county,
                "township_code": township,
                "partner_id": scheme.id,
                "scheme": scheme.scheme or SchemeKind.other.value,
                "need_type": need_type.value,
                "requested_amount": needs[need_type.value].amount,
                "status": SchemeStatus.open.value,
                "due_on": due,
                "created_by": actor,
                "created_at": now,
            },
        )
        if row is None:
            raise StateConflict(
                f"need_type: the case's {need_type.value} need was already referred to this scheme",
                rule="R-AID-1",
            )
        await schemes_repo.mark_referred(session, case_id, row.scheme, row.id)
        await runtime.outbox.add(
            session,
            SchemeReferralCreated(
                case_id=case_id,
                scheme_referral_id=row.id,
                partner_id=row.partner_id,
                scheme=row.scheme,
                need_type=need_type,
                requested_amount=row.requested_amount,
                county_code=county,
                township_code=township,
                due_on=row.due_on,
                created_at=now,
            ),
            subject=case_id,
        )
    return row


async def record_outcome(
    runtime: Runtime,
    referral_id: str,
    outcome: SchemeStatus,
    *,
    amount: Decimal | None,
    reason: str | None,
    partner_id: str | None = None,
) -> SchemeReferral:
    """The scheme's answer (its own referrals only when ``partner_id`` is given; staff: within their
    jurisdiction), published for the timeline."""
    async with runtime.transaction() as session:
        row = await schemes_repo.get_referral(session, referral_id, lock=True)
        if row is None or (partner_id is not None and row.partner_id != partner_id):
            raise SchemeReferralNotFound(referral_id)
        if partner_id is None:
            guard(row.county_code, row.township_code)
        check_outcome(row.status, outcome, amount, reason)
        now = clock.now()
        updated = await schemes_repo.update_referral(
            session,
            referral_id,
            {
                "status": outcome.value,
                "outcome_amount": amount if outcome is SchemeStatus.granted else None,
                "outcome_reason": reason,
                "outcome_at": now,
            },
        )
        await runtime.outbox.add(
            session,
            SchemeOutcomeRecorded(
                case_id=row.case_id,
                scheme_referral_id=row.id,
                partner_id=row.partner_id,
                scheme=row.scheme,
                need_type=NeedType(row.need_type),
                outcome=outcome.value,
                amount=updated.outcome_amount,
                reason=reason,
                county_code=row.county_code,
                township_code=row.township_code,
                recorded_at=now,
            ),
            subject=row.case_id,
        )
    return updated


async def suggest_dibao(runtime: Runtime, session: AsyncSession, case: Case) -> None:
    """A decided case whose hardship outlasts temporary help goes on the desk's list (once), by the county
    rule (R-AID-1): months at least the county's, or a living need left of at least its amount."""
    decision = case.decision
    if decision is None or case.county_code is None or case.township_code is None:
        return
    today = clock.local_today()
    living = sum(
        (
            n.amount or Decimal("0")
            for n in needs_after_decision(case)
            if n.need_type == NeedType.living.value
        ),
        Decimal("0"),
    )
    reason = dibao_suggestion(
        policy_for(case.county_code, today),
        approved=decision.get("decision") == "approved",
        months=case.months,
        living_remaining=living,
    )
    if reason is None:
        return
    now = clock.now()
    row = await schemes_repo.add_suggestion(
        session,
        {
            "id": str(uuid.uuid4()),
            "case_id": case.case_id,
            "county_code": case.county_code,
            "township_code": case.township_code,
            "scheme": SchemeKind.dibao_tekun.value,
            "reason": reason,
            "status": "open",
            "created_at": now,
        },
    )
    if row is not None:
        await runtime.outbox.add(
            session,
            SchemeApplicationSuggested(
                case_id=case.case_id,
                suggestion_id=row.id,
                scheme=row.scheme,
                reason=reason,
                county_code=row.county_code,
                township_code=row.township_code,
                suggested_at=now,
            ),
            subject=case.case_id,
        )


async def announce_overdue(runtime: Runtime) -> int:
    """Nothing silent (R-AID-1): each referral past its due date without a final outcome is marked and
    announced once (``SchemeReferralOverdue``, in the same transaction), so the case shows it; returns how
    many were found."""
    found = 0
    while True:
        async with runtime.transaction() as session:
            now = clock.now()
            rows = await schemes_repo.claim_newly_overdue(session, clock.local_date(now), OVERDUE_BATCH)
            for row in rows:
                await schemes_repo.update_referral(session, row.id, {"overdue_at": now})
                await runtime.outbox.add(
                    session,
                    SchemeReferralOverdue(
                        case_id=row.case_id,
                        scheme_referral_id=row.id,
                        partner_id=row.partner_id,
                        scheme=row.scheme,
                        need_type=NeedType(row.need_type),
                        status=row.status.value,
                        county_code=row.county_code,
                        township_code=row.township_code,
                        due_on=row.due_on,
                        found_at=now,
                    ),
                    subject=row.case_id,
                )
        found += len(rows)
        if len(rows) < OVERDUE_BATCH:
            return found


async def overdue_watch(runtime: Runtime) -> None:
    """Background task (ServiceModule.background): look for overdue scheme referrals at the offer sweep's
    interval."""
    interval = runtime.settings.offer_sweep_interval_seconds  # type: ignore[attr-defined]
    while True:
        try:
            found = await announce_overdue(runtime)
            if found:
                log.info("overdue scheme referrals announced", extra={"count": found})
        except asyncio.CancelledError:
            raise
        except Exception as exc:  # noqa: BLE001 - keep watching after a database hiccup
            log.warning("overdue scheme referral check failed", extra={"error": repr(exc)[:300]})
        await asyncio.sleep(interval)
