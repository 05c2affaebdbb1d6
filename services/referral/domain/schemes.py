"""Referral to government schemes and services (R-AID-1 转介服务, R-OVS-2 协同办理): a referral to a scheme is
a task with a due date and an outcome — accepted, applied, granted (with the amount) or refused (with the
reason) — and a hardship that outlasts temporary help suggests a 低保/特困 application (county rule)."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from enum import StrEnum

from services.referral.domain.errors import OutcomeRefused
from services.referral.domain.policy import ReferralPolicy
from shared.domain_errors import InvalidValue
from shared.money import ZERO


class PartnerKind(StrEnum):
    """Who referral works with (R-CHA-1, R-CHA-2): charities, foundations, companies' public-interest funds,
    social-work organisations (社会工作服务机构) and government schemes. ``corporate_fund`` is the name
    partners registered before issue 18 carry (the same as ``company_fund``)."""

    charity = "charity"
    foundation = "foundation"
    company_fund = "company_fund"
    corporate_fund = "corporate_fund"
    social_work_org = "social_work_org"
    government_scheme = "government_scheme"


class SchemeKind(StrEnum):
    """The government schemes a case is referred to."""

    medical_assistance = "medical_assistance"  # 医疗救助
    education_assistance = "education_assistance"  # 教育救助
    dibao_tekun = "dibao_tekun"  # 低保/特困 application
    disability_federation = "disability_federation"  # 残联
    employment = "employment"  # 就业援助
    housing = "housing"  # 住房救助 / 危房改造
    legal_aid = "legal_aid"  # 法律援助
    other = "other"


class SchemeStatus(StrEnum):
    open = "open"
    accepted = "accepted"
    applied = "applied"
    granted = "granted"
    refused = "refused"


class SuggestionStatus(StrEnum):
    open = "open"
    referred = "referred"


FINAL = (SchemeStatus.granted, SchemeStatus.refused)
UNANSWERED = (SchemeStatus.open, SchemeStatus.accepted, SchemeStatus.applied)
"""No final outcome yet: past its due date such a referral is overdue (R-AID-1)."""
OUTCOME_FROM: dict[SchemeStatus, tuple[SchemeStatus, ...]] = {
    SchemeStatus.accepted: (SchemeStatus.open,),
    SchemeStatus.applied: (SchemeStatus.open, SchemeStatus.accepted),
    SchemeStatus.granted: (SchemeStatus.open, SchemeStatus.accepted, SchemeStatus.applied),
    SchemeStatus.refused: (SchemeStatus.open, SchemeStatus.accepted, SchemeStatus.applied),
}


def check_outcome(
    current: SchemeStatus, outcome: SchemeStatus, amount: Decimal | None, reason: str | None
) -> None:
    """A scheme's answer: a granted one names its amount, a refused one its reason (422); a final outcome is
    never changed and the steps go forward only (409, ``OutcomeRefused``)."""
    if outcome is SchemeStatus.open:
        raise InvalidValue("outcome", "one of accepted, applied, granted, refused")
    if outcome is SchemeStatus.granted and (amount is None or amount <= ZERO):
        raise InvalidValue("amount", "a granted outcome states the amount granted (greater than zero)")
    if outcome is SchemeStatus.refused and not reason:
        raise InvalidValue("reason", "a refused outcome states the reason")
    if current not in OUTCOME_FROM[outcome]:
        raise OutcomeRefused(current.value, outcome.value)


def dibao_suggestion(
    policy: ReferralPolicy, *, approved: bool, months: int | None, living_remaining: Decimal
) -> str | None:
    """Why this decided case should be helped to apply for 低保/特困, or None (the county rule): help approved
    for at least ``min_months`` (the hardship outlasts temporary help), or a living need still uncovered of at
    least the county's amount."""
    if not approved:
        return None
    if months is not None and months >= policy.dibao_min_months:
        return f"months_at_least_{policy.dibao_min_months}"
    if living_remaining >= policy.dibao_living_remaining_at_least > ZERO:
        return f"living_remaining_at_least_{policy.dibao_living_remaining_at_least}"
    return None


def is_overdue(status: SchemeStatus, due_on: date, today: date) -> bool:
    """Past its due date (the county's ``scheme_due_days``) without a final outcome (R-AID-1)."""
    return status in UNANSWERED and due_on < today
