"""The means test and amount (R-CAT, R-AMT): a pure function of the application facts and the policy.

Every reason carries its rule id and the figures it used, so a reviewer can redo the sums by hand."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from decimal import Decimal

from services.assessment.domain.errors import InvalidRaise, RaiseNotAllowed
from services.assessment.domain.policy import Policy
from shared.contracts.assessment import Reason
from shared.contracts.common import Category, Need, NeedType, Subtype
from shared.contracts.intake import ApplicationSubmitted, EducationCosts, MedicalCosts
from shared.money import ZERO, to_fen


def medical_self_paid(costs: MedicalCosts) -> Decimal:
    """R-CAT-2 medical: bills minus basic, critical-illness and commercial insurance and medical
    assistance."""
    deductions = (
        costs.basic_insurance
        + costs.critical_illness_insurance
        + costs.commercial_insurance
        + costs.medical_assistance
    )
    return max(ZERO, to_fen(costs.total_bills - deductions))


def education_self_paid(costs: EducationCosts) -> Decimal:
    """R-CAT-2 education: tuition, accommodation and living, minus education assistance; non-basic
    excluded."""
    return max(ZERO, to_fen(costs.tuition + costs.accommodation + costs.living - costs.education_assistance))


def standard_amount(monthly_standard: Decimal, persons: int, months: int) -> Decimal:
    """R-AMT-1: urban 低保 standard × persons helped × months, exact to the fen."""
    return to_fen(monthly_standard * persons * months)


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


def months_rule(app: ApplicationSubmitted, policy: Policy, self_paid: Decimal) -> tuple[int, Reason]:
    """R-AMT-2/R-AMT-3: the county's months for the sub-type (type of hardship, at most ``normal_max``),
    raised by its severity tiers (degree of hardship: self-paid burden against a year's household income),
    capped by the months requested and never above ``absolute_max`` (6)."""
    rules = policy.parameters.months
    base = rules.by_subtype.get(app.subtype.value, 1)
    months, steps = base, [f"{base} for {app.subtype.value}"]
    income = app.annual_household_income
    burden = (self_paid / income) if income > 0 else (Decimal("Infinity") if self_paid > 0 else ZERO)
    applied = None
    for tier in sorted(rules.severity_tiers, key=lambda t: t.min_burden_ratio, reverse=True):
        if self_paid > 0 and burden >= tier.min_burden_ratio:
            if tier.months > months:
                months, applied = tier.months, tier
                steps.append(
                    f"{tier.months} by county tier {tier.tier_id} as self-paid burden reaches "
                    f"{tier.min_burden_ratio} of income"
                )
            break
    if app.requested_months is not None and app.requested_months < months:
        months = app.requested_months
        steps.append(f"{months} as requested")
    months = max(1, min(months, rules.absolute_max))
    figures = {
        "by_subtype": str(base),
        "normal_max": str(rules.normal_max),
        "absolute_max": str(rules.absolute_max),
        "burden_ratio": "infinite"
        if burden == Decimal("Infinity")
        else str(burden.quantize(Decimal("0.0001"))),
        "requested_months": str(app.requested_months or ""),
        "months": str(months),
    }
    extended = ""
    if months > rules.normal_max and applied is not None:
        # R-AMT-2: beyond 3 months only with a reason on the record: the county tier, its policy version and
        # figures; approval asks the approver to confirm it explicitly.
        figures |= {
            "extended_duration": "true",
            "tier_id": applied.tier_id,
            "tier_min_burden_ratio": str(applied.min_burden_ratio),
            "tier_months": str(applied.months),
            "policy_version": policy.version,
        }
        extended = (
            f"; beyond the normal {rules.normal_max} by county rule {applied.tier_id} of policy "
            f"{policy.version}: the approver must confirm it"
        )
    return months, Reason(
        rule="R-AMT-2",
        passed=True,
        message=f"months = {months} ({'; '.join(steps)}; normally <= {rules.normal_max}, "
        f"never > {rules.absolute_max}){extended}",
        figures=figures,
    )


def assess(
    app: ApplicationSubmitted,
    policy: Policy,
    *,
    figure_source: str = "declared",
    status_source: str = "declared",
    checks: Sequence[Reason] = (),
) -> Result:
    """``figure_source``: whose income and property figures ``app`` carries (``declared`` or ``verified``,
    R-CAT-3); ``status_source``: whose 低保/特困/建档立卡 statuses (``declared`` or ``registry``, R-CAT-4);
    ``checks``: reasons of the verification (e.g. the verified income within the county tolerance), which
    count for eligibility like the others."""
    p = policy.parameters
    size = len(app.household)
    per_capita = to_fen(app.annual_household_income / size)
    self_paid, need_type = _self_paid(app)
    reasons: list[Reason] = list(checks)
    priority = any(m.dibao or m.tekun or m.jiandang for m in app.household)
    if priority:
        kinds = sorted(
            {
                k
                for m in app.household
                for k, on in (("低保", m.dibao), ("特困", m.tekun), ("建档立卡", m.jiandang))
                if on
            }
        )
        reasons.append(
            Reason(
                rule="R-CAT-4",
                passed=True,
                message=f"{'/'.join(kinds)} household ({status_source}): verification focuses on essential "
                "expenditure",
                figures={"priority_verification": "true", "status_source": status_source},
            )
        )

    if app.category is Category.emergency:
        reasons.append(
            Reason(
                rule="R-CAT-1",
                passed=True,
                message=f"emergency ({app.subtype.value}): no up-front means test (R-CAT-3, R-FLOW-2)",
            )
        )
    else:
        reasons.append(
            Reason(
                rule="R-CAT-3",
                passed=per_capita < p.previous_year_income_per_capita,
                message=f"{figure_source} per-capita income {per_capita} (= {figure_source} "
                f"{app.annual_household_income} / {size} persons) must be below last year's local figure "
                f"{p.previous_year_income_per_capita}",
                figures={
                    "figure_source": figure_source,
                    "annual_household_income": str(app.annual_household_income),
                    "household_size": str(size),
                    "per_capita_income": str(per_capita),
                    "previous_year_income_per_capita": str(p.previous_year_income_per_capita),
                },
            )
        )
        limits = p.asset_limits
        deposits_pc = to_fen(app.property.deposits / size)
        assets_ok = (
            deposits_pc <= limits.deposits_per_capita
            and app.property.vehicles <= limits.vehicles
            and app.property.vehicle_value <= limits.vehicle_value
            and app.property.houses <= limits.houses
        )
        reasons.append(
            Reason(
                rule="R-CAT-3",
                passed=assets_ok,
                message=f"{figure_source} property within local limits (deposits per capita {deposits_pc} <= "
                f"{limits.deposits_per_capita}, vehicles {app.property.vehicles} <= {limits.vehicles}, "
                f"vehicle value {app.property.vehicle_value} <= {limits.vehicle_value}, "
                f"houses {app.property.houses} <= {limits.houses})",
                figures={
                    "deposits_per_capita": str(deposits_pc),
                    "limit_deposits_per_capita": str(limits.deposits_per_capita),
                    "vehicles": str(app.property.vehicles),
                    "limit_vehicles": str(limits.vehicles),
                    "vehicle_value": str(app.property.vehicle_value),
                    "limit_vehicle_value": str(limits.vehicle_value),
                    "houses": str(app.property.houses),
                    "limit_houses": str(limits.houses),
                },
            )
        )
        reasons.append(
            Reason(
                rule="R-CAT-3",
                passed=app.consents.verify_economic_situation,
                message="authorisation to verify the household's economic situation",
            )
        )
        if app.subtype in (Subtype.medical, Subtype.education):
            reasons.append(
                Reason(
                    rule="R-CAT-2",
                    passed=self_paid >= p.min_self_paid,
                    message=f"{app.subtype.value} self-paid {self_paid} must reach {p.min_self_paid}",
                    figures={
                        **_self_paid_figures(app),
                        "self_paid": str(self_paid),
                        "min_self_paid": str(p.min_self_paid),
                    },
                )
            )

    eligible = all(r.passed for r in reasons)
    months = 0
    if eligible:
        months, months_reason = months_rule(app, policy, self_paid)
        reasons.append(months_reason)
    persons = min(app.persons_helped, size)
    amount = standard_amount(p.monthly_standard, persons, months) if eligible else ZERO
    reasons.append(
        Reason(
            rule="R-AMT-1",
            passed=True,
            message=f"amount = standard {p.monthly_standard} x {persons} persons x {months} months "
            f"= {amount}",
            figures={
                "monthly_standard": str(p.monthly_standard),
                "persons_helped": str(persons),
                "months": str(months),
                "amount": str(amount),
            },
        )
    )
    needs = [Need(need_type=need_type, amount=self_paid)] if need_type and self_paid > 0 else []
    return Result(
        eligible=eligible,
        reasons=reasons,
        priority_verification=priority,
        months=months,
        amount=amount,
        self_paid=self_paid,
        per_capita_income=per_capita,
        needs=needs,
    )


def _self_paid_figures(app: ApplicationSubmitted) -> dict[str, str]:
    if app.subtype is Subtype.medical and app.medical:
        return {f"medical.{k}": str(v) for k, v in app.medical.model_dump().items()}
    if app.subtype is Subtype.education and app.education:
        return {f"education.{k}": str(v) for k, v in app.education.model_dump().items()}
    return {}


@dataclass(frozen=True)
class Raised:
    months: int
    amount: Decimal
    reason: Reason


def raised_amount(
    *,
    monthly_standard: Decimal,
    persons: int,
    current_months: int,
    current_amount: Decimal,
    absolute_max: int,
    months: int | None,
    amount: Decimal | None,
    reference: str,
) -> Raised:
    """R-AMT-4: the county government raises the amount, either to more months (up to ``absolute_max``) or to
    an explicit amount; either way it must be above the current one (else ``RaiseNotAllowed``, a policy
    refusal; both or neither of months and amount: ``InvalidRaise``, a payload error)."""
    if (months is None) == (amount is None):
        raise InvalidRaise("months", "give either months or amount")
    if months is not None:
        if months > absolute_max:
            raise RaiseNotAllowed(
                "months", f"never more than {absolute_max} months (R-AMT-2)", rule="R-AMT-2"
            )
        new_amount, new_months = standard_amount(monthly_standard, persons, months), months
    elif amount is not None:  # exactly one of the two is given (checked above)
        new_amount, new_months = to_fen(amount), current_months
    if new_amount <= current_amount:
        raise RaiseNotAllowed(
            "amount" if amount is not None else "months",
            f"a raise must be above the current amount {current_amount} (R-AMT-4)",
            rule="R-AMT-4",
        )
    return Raised(
        months=new_months,
        amount=new_amount,
        reason=Reason(
            rule="R-AMT-4",
            passed=True,
            message=f"raised from {current_amount} to {new_amount} by county-government decision {reference}",
            figures={
                "previous_amount": str(current_amount),
                "amount": str(new_amount),
                "months": str(new_months),
                "monthly_standard": str(monthly_standard),
                "persons_helped": str(persons),
            },
        ),
    )
