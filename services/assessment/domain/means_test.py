"""The means test and amount (R-CAT, R-AMT): a pure function of the application facts and the policy."""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal

from services.assessment.domain.policy import Policy
from shared.contracts.assessment import Reason
from shared.contracts.common import Category, Need, NeedType, Subtype
from shared.contracts.intake import ApplicationSubmitted, EducationCosts, MedicalCosts
from shared.money import ZERO, to_fen


def medical_self_paid(costs: MedicalCosts) -> Decimal:
    """R-CAT-2 medical: bills minus basic, critical-illness and commercial insurance and medical assistance."""
    deductions = (costs.basic_insurance + costs.critical_illness_insurance + costs.commercial_insurance
                  + costs.medical_assistance)
    return max(ZERO, to_fen(costs.total_bills - deductions))


def education_self_paid(costs: EducationCosts) -> Decimal:
    """R-CAT-2 education: tuition, accommodation and living, minus education assistance; non-basic excluded."""
    return max(ZERO, to_fen(costs.tuition + costs.accommodation + costs.living - costs.education_assistance))


@dataclass(frozen=True)
class Result:
    eligible: bool
    reasons: list[Reason]
    priority_verification: bool
    months: int
    amount: Decimal
    self_paid: Decimal
    per_capita_income: Decimal
    needs: list[Need] = field(default_factory=list)


def _self_paid(app: ApplicationSubmitted) -> tuple[Decimal, NeedType | None]:
    if app.subtype is Subtype.medical or (app.subtype is Subtype.sudden_illness and app.medical):
        return (medical_self_paid(app.medical), NeedType.medical) if app.medical else (ZERO, NeedType.medical)
    if app.subtype is Subtype.education and app.education:
        return education_self_paid(app.education), NeedType.education
    return ZERO, None


def months_for(app: ApplicationSubmitted, policy: Policy, self_paid: Decimal) -> int:
    """R-AMT-2/R-AMT-3: the county's months for the sub-type, raised by severity tiers, capped at 6."""
    rules = policy.parameters.months
    months = rules.by_subtype.get(app.subtype.value, 1)
    income = app.annual_household_income
    burden = (self_paid / income) if income > 0 else (Decimal("Infinity") if self_paid > 0 else ZERO)
    for tier in sorted(rules.severity_tiers, key=lambda t: t.min_burden_ratio, reverse=True):
        if self_paid > 0 and burden >= tier.min_burden_ratio:
            months = max(months, tier.months)
            break
    if app.requested_months is not None:
        months = min(months, app.requested_months)
    return max(1, min(months, rules.absolute_max))


def assess(app: ApplicationSubmitted, policy: Policy) -> Result:
    p = policy.parameters
    size = len(app.household)
    per_capita = to_fen(app.annual_household_income / size)
    self_paid, need_type = _self_paid(app)
    reasons: list[Reason] = []
    priority = any(m.dibao or m.tekun or m.jiandang for m in app.household)
    if priority:
        reasons.append(Reason(rule="R-CAT-4", passed=True,
                              message="低保/特困/建档立卡 household: verification focuses on essential expenditure"))

    if app.category is Category.emergency:
        reasons.append(Reason(rule="R-CAT-1", passed=True,
                              message=f"emergency ({app.subtype.value}): no up-front means test (R-CAT-3, R-FLOW-2)"))
    else:
        reasons.append(Reason(
            rule="R-CAT-3", passed=per_capita < p.previous_year_income_per_capita,
            message=f"per-capita income {per_capita} must be below last year's local figure "
                    f"{p.previous_year_income_per_capita}"))
        limits = p.asset_limits
        deposits_pc = to_fen(app.property.deposits / size)
        assets_ok = (deposits_pc <= limits.deposits_per_capita and app.property.vehicles <= limits.vehicles
                     and app.property.vehicle_value <= limits.vehicle_value and app.property.houses <= limits.houses)
        reasons.append(Reason(
            rule="R-CAT-3", passed=assets_ok,
            message=f"property within local limits (deposits per capita {deposits_pc} <= "
                    f"{limits.deposits_per_capita}, vehicles {app.property.vehicles} <= {limits.vehicles}, "
                    f"vehicle value {app.property.vehicle_value} <= {limits.vehicle_value}, "
                    f"houses {app.property.houses} <= {limits.houses})"))
        reasons.append(Reason(rule="R-CAT-3", passed=app.consents.verify_economic_situation,
                              message="authorisation to verify the household's economic situation"))
        if app.subtype in (Subtype.medical, Subtype.education):
            reasons.append(Reason(rule="R-CAT-2", passed=self_paid >= p.min_self_paid,
                                  message=f"{app.subtype.value} self-paid {self_paid} must reach {p.min_self_paid}"))

    eligible = all(r.passed for r in reasons)
    months = months_for(app, policy, self_paid) if eligible else 0
    persons = min(app.persons_helped, size)
    amount = to_fen(p.monthly_standard * persons * months) if eligible else ZERO
    reasons.append(Reason(rule="R-AMT-1", passed=True,
                          message=f"amount = standard {p.monthly_standard} x {persons} persons x {months} months "
                                  f"= {amount}"))
    needs = [Need(need_type=need_type, amount=self_paid)] if need_type and self_paid > 0 else []
    return Result(eligible=eligible, reasons=reasons, priority_verification=priority, months=months,
                  amount=amount, self_paid=self_paid, per_capita_income=per_capita, needs=needs)
