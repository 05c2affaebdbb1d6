"""The means test and amount, table-driven over every category and sub-type and at the boundaries
(R-CAT-1..4, R-AMT-1..4), with property-based checks of the money arithmetic (exact in fen)."""

from datetime import UTC, date, datetime
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from services.assessment.domain.errors import InvalidRaise, RaiseNotAllowed
from services.assessment.domain.means_test import (
    assess,
    education_self_paid,
    medical_self_paid,
    raised_amount,
    standard_amount,
)
from services.assessment.domain.policy import Policy
from shared.contracts.intake import ApplicationSubmitted, EducationCosts, MedicalCosts
from shared.money import FEN

POLICY = Policy.model_validate(
    {
        "county_code": "140302",
        "version": "table-1",
        "effective_from": "2026-01-01",
        "parameters": {
            "monthly_standard": "830.00",
            "previous_year_income_per_capita": "40000.00",
            "asset_limits": {
                "deposits_per_capita": "30000.00",
                "vehicles": 1,
                "vehicle_value": "80000.00",
                "houses": 2,
            },
            "min_self_paid": "3000.00",
            "months": {
                "normal_max": 3,
                "absolute_max": 6,
                "by_subtype": {
                    "fire_or_accident": 3,
                    "sudden_illness": 3,
                    "other_emergency": 2,
                    "education": 2,
                    "medical": 3,
                    "other_expenditure": 1,
                },
                "severity_tiers": [
                    {"min_burden_ratio": "1.0", "months": 6},
                    {"min_burden_ratio": "0.5", "months": 4},
                ],
            },
        },
    }
)
TWO = [{"relation": "self", "age": 40}, {"relation": "spouse", "age": 38}]
MEDICAL = {
    "total_bills": "50000.00",
    "basic_insurance": "20000.00",
    "critical_illness_insurance": "5000.00",
    "commercial_insurance": "0.00",
    "medical_assistance": "5000.00",
}  # self-paid 20000.00
EDUCATION = {
    "tuition": "6000.00",
    "accommodation": "1200.00",
    "living": "3000.00",
    "non_basic": "5000.00",
    "education_assistance": "2000.00",
}  # self-paid 8200.00


def app(**overrides) -> ApplicationSubmitted:
    base = {
        "case_id": "c",
        "case_no": "n",
        "revision": 1,
        "channel": "walk_in",
        "referring_system": None,
        "county_code": "140302",
        "township_code": "140302001",
        "category": "expenditure",
        "subtype": "medical",
        "incident_date": date(2026, 10, 1),
        "incident_ongoing": False,
        "household": TWO,
        "persons_helped": 2,
        "requested_months": None,
        "annual_household_income": "60000.00",
        "property": {"deposits": "0.00", "vehicles": 0, "vehicle_value": "0.00", "houses": 1},
        "medical": MEDICAL,
        "education": None,
        "consents": {
            "verify_economic_situation": True,
            "share_with_charities": True,
            "share_health_data": False,
        },
        "payee": None,
        "submitted_at": datetime(2026, 10, 2, tzinfo=UTC),
    }
    base.update(overrides)
    return ApplicationSubmitted.model_validate(base)


EMERGENCY = {"category": "emergency", "medical": None, "annual_household_income": "900000.00"}

# (id, overrides, eligible, months, amount, self_paid, failed rule)
TABLE = [
    # every category and sub-type (R-CAT-1, R-CAT-2); months by sub-type (R-AMT-2/3)
    ("fire_or_accident", dict(EMERGENCY, subtype="fire_or_accident"), True, 3, "4980.00", "0.00", None),
    (
        "sudden_illness",
        dict(EMERGENCY, subtype="sudden_illness", medical=MEDICAL),
        True,
        3,
        "4980.00",
        "20000.00",
        None,
    ),
    ("other_emergency", dict(EMERGENCY, subtype="other_emergency"), True, 2, "3320.00", "0.00", None),
    (
        "education",
        {"subtype": "education", "medical": None, "education": EDUCATION},
        True,
        2,
        "3320.00",
        "8200.00",
        None,
    ),
    ("medical", {}, True, 3, "4980.00", "20000.00", None),
    (
        "other_expenditure",
        {"subtype": "other_expenditure", "medical": None},
        True,
        1,
        "1660.00",
        "0.00",
        None,
    ),
    # R-CAT-3 income: exactly at last year's figure is not below it; one fen per person under is
    (
        "income_at_threshold",
        {"annual_household_income": "80000.00"},
        False,
        0,
        "0.00",
        "20000.00",
        "R-CAT-3",
    ),
    ("income_one_fen_below", {"annual_household_income": "79999.98"}, True, 3, "4980.00", "20000.00", None),
    # zero-income household: the burden is unbounded, so the top severity tier (6 months)
    ("zero_income", {"annual_household_income": "0.00"}, True, 6, "9960.00", "20000.00", None),
    (
        "zero_income_no_self_paid",
        {"annual_household_income": "0.00", "subtype": "other_expenditure", "medical": None},
        True,
        1,
        "1660.00",
        "0.00",
        None,
    ),
    # household of one
    (
        "household_of_one",
        {
            "household": [{"relation": "self", "age": 70}],
            "persons_helped": 1,
            "annual_household_income": "39999.99",
        },
        True,
        4,
        "3320.00",
        "20000.00",
        None,
    ),
    (
        "household_of_one_at_threshold",
        {
            "household": [{"relation": "self", "age": 70}],
            "persons_helped": 1,
            "annual_household_income": "40000.00",
        },
        False,
        0,
        "0.00",
        "20000.00",
        "R-CAT-3",
    ),
    # 3 vs 6 months: burden exactly 1.0 of income -> 6; just under -> 4 (tier 0.5); under 0.5 -> 3 by sub-type
    ("burden_exactly_one", {"annual_household_income": "20000.00"}, True, 6, "9960.00", "20000.00", None),
    ("burden_just_under_one", {"annual_household_income": "20000.02"}, True, 4, "6640.00", "20000.00", None),
    ("burden_exactly_half", {"annual_household_income": "40000.00"}, True, 4, "6640.00", "20000.00", None),
    ("burden_under_half", {"annual_household_income": "40000.02"}, True, 3, "4980.00", "20000.00", None),
    (
        "requested_fewer_months",
        {"annual_household_income": "20000.00", "requested_months": 2},
        True,
        2,
        "3320.00",
        "20000.00",
        None,
    ),
    ("persons_helped_fewer", {"persons_helped": 1}, True, 3, "2490.00", "20000.00", None),
    # R-CAT-2: self-paid must reach the county minimum
    (
        "self_paid_at_minimum",
        {"medical": {**MEDICAL, "medical_assistance": "22000.00"}},
        True,
        3,
        "4980.00",
        "3000.00",
        None,
    ),
    (
        "self_paid_one_fen_short",
        {"medical": {**MEDICAL, "medical_assistance": "22000.01"}},
        False,
        0,
        "0.00",
        "2999.99",
        "R-CAT-2",
    ),
    (
        "education_non_basic_never_counts",
        {
            "subtype": "education",
            "medical": None,
            "education": {
                **EDUCATION,
                "tuition": "0.00",
                "accommodation": "0.00",
                "living": "4999.99",
                "non_basic": "90000.00",
            },
        },
        False,
        0,
        "0.00",
        "2999.99",
        "R-CAT-2",
    ),
    # R-CAT-3 property: at the limit passes, one fen over fails
    (
        "deposits_at_limit",
        {"property": {"deposits": "60000.00", "vehicles": 1, "vehicle_value": "80000.00", "houses": 2}},
        True,
        3,
        "4980.00",
        "20000.00",
        None,
    ),
    (
        "deposits_over_limit",
        {"property": {"deposits": "60000.02", "vehicles": 0, "vehicle_value": "0.00", "houses": 1}},
        False,
        0,
        "0.00",
        "20000.00",
        "R-CAT-3",
    ),
    (
        "two_vehicles",
        {"property": {"deposits": "0.00", "vehicles": 2, "vehicle_value": "10000.00", "houses": 1}},
        False,
        0,
        "0.00",
        "20000.00",
        "R-CAT-3",
    ),
    (
        "no_authorisation_to_verify",
        {
            "consents": {
                "verify_economic_situation": False,
                "share_with_charities": False,
                "share_health_data": False,
            }
        },
        False,
        0,
        "0.00",
        "20000.00",
        "R-CAT-3",
    ),
    # emergencies skip the up-front means test, whatever the income and property (R-CAT-1, R-CAT-3)
    (
        "emergency_rich",
        dict(
            EMERGENCY,
            subtype="fire_or_accident",
            property={"deposits": "9000000.00", "vehicles": 5, "vehicle_value": "900000.00", "houses": 9},
        ),
        True,
        3,
        "4980.00",
        "0.00",
        None,
    ),
]


@pytest.mark.parametrize(
    "overrides,eligible,months,amount,self_paid,failed", [t[1:] for t in TABLE], ids=[t[0] for t in TABLE]
)
def test_assessment_table(overrides, eligible, months, amount, self_paid, failed):
    result = assess(app(**overrides), POLICY)
    assert result.eligible is eligible
    assert result.months == months
    assert result.amount == Decimal(amount)
    assert result.self_paid == Decimal(self_paid)
    assert all(r.rule.startswith("R-") for r in result.reasons)
    assert [r.rule for r in result.reasons if not r.passed] == ([failed] if failed else [])
    final = result.reasons[-1]
    assert final.rule == "R-AMT-1" and final.figures["amount"] == amount
    if eligible:
        figures = final.figures
        assert Decimal(figures["monthly_standard"]) * int(figures["persons_helped"]) * months == result.amount
        assert any(r.rule == "R-AMT-2" and r.figures["months"] == str(months) for r in result.reasons)


def test_means_test_reasons_carry_the_figures_a_reviewer_needs():
    result = assess(app(), POLICY)
    reasons = {r.rule: r for r in result.reasons}
    income = next(r for r in result.reasons if r.rule == "R-CAT-3").figures
    assert income == {
        "figure_source": "declared",  # R-CAT-3: which figures the test used (verified ones once 核对 answers)
        "annual_household_income": "60000.00",
        "household_size": "2",
        "per_capita_income": "30000.00",
        "previous_year_income_per_capita": "40000.00",
    }
    assert reasons["R-CAT-2"].figures["self_paid"] == "20000.00"
    assert reasons["R-CAT-2"].figures["medical.commercial_insurance"] == "0.00"


@pytest.mark.parametrize("flag", ["dibao", "tekun", "jiandang"])
def test_dibao_tekun_and_jiandang_households_get_priority_verification(flag):
    result = assess(
        app(household=[{"relation": "self", "age": 40, flag: True}, {"relation": "child", "age": 9}]), POLICY
    )
    assert result.priority_verification
    assert any(r.rule == "R-CAT-4" for r in result.reasons)
    assert not assess(app(), POLICY).priority_verification


def test_sudden_illness_needs_its_medical_self_paid_for_charities():
    result = assess(app(**dict(EMERGENCY, subtype="sudden_illness", medical=MEDICAL)), POLICY)
    assert [(n.need_type.value, n.amount) for n in result.needs] == [("medical", Decimal("20000.00"))]


class TestCountyGovernmentRaise:
    """R-AMT-4: above the months rule only with a recorded county-government decision."""

    def kwargs(self, **overrides):
        base = {
            "monthly_standard": Decimal("830.00"),
            "persons": 2,
            "current_months": 3,
            "current_amount": Decimal("4980.00"),
            "absolute_max": 6,
            "months": None,
            "amount": None,
            "reference": "城政纪〔2026〕12号",
        }
        base.update(overrides)
        return base

    def test_more_months_up_to_six(self):
        raised = raised_amount(**self.kwargs(months=6))
        assert (raised.months, raised.amount) == (6, Decimal("9960.00"))
        assert raised.reason.rule == "R-AMT-4" and "城政纪〔2026〕12号" in raised.reason.message

    def test_an_explicit_amount(self):
        assert raised_amount(**self.kwargs(amount=Decimal("20000.00"))).amount == Decimal("20000.00")

    @pytest.mark.parametrize(
        "overrides,field,error",
        [
            ({"months": 7}, "months", RaiseNotAllowed),  # the policy's absolute maximum (R-AMT-2): 409
            ({"months": 3}, "months", RaiseNotAllowed),  # not above the current amount (R-AMT-4): 409
            ({"amount": Decimal("4980.00")}, "amount", RaiseNotAllowed),
            ({}, "months", InvalidRaise),  # neither months nor amount: a payload error, 422
            ({"months": 6, "amount": Decimal("1.00")}, "months", InvalidRaise),
        ],
    )
    def test_refused(self, overrides, field, error):
        with pytest.raises((InvalidRaise, RaiseNotAllowed)) as refused:
            raised_amount(**self.kwargs(**overrides))
        assert type(refused.value) is error and refused.value.field == field


# --- properties (hypothesis) ---

money = st.integers(min_value=0, max_value=10**9).map(lambda fen: Decimal(fen) / 100)


def _exact(value: Decimal) -> bool:
    return value == value.quantize(FEN) and value >= 0


@given(bills=money, basic=money, critical=money, commercial=money, assistance=money, more=money)
def test_medical_self_paid_is_never_negative_exact_and_monotone(
    bills, basic, critical, commercial, assistance, more
):
    def paid(**o):
        values = {
            "total_bills": bills,
            "basic_insurance": basic,
            "critical_illness_insurance": critical,
            "commercial_insurance": commercial,
            "medical_assistance": assistance,
        }
        values.update(o)
        return medical_self_paid(MedicalCosts(**values))

    result = paid()
    assert _exact(result)
    assert result == max(Decimal("0.00"), bills - basic - critical - commercial - assistance)
    assert paid(total_bills=bills + more) >= result  # more bills never lower it
    for deduction in (
        "basic_insurance",
        "critical_illness_insurance",
        "commercial_insurance",
        "medical_assistance",
    ):
        assert (
            paid(
                **{
                    deduction: {
                        "basic_insurance": basic,
                        "critical_illness_insurance": critical,
                        "commercial_insurance": commercial,
                        "medical_assistance": assistance,
                    }[deduction]
                    + more
                }
            )
            <= result
        )


@given(tuition=money, accommodation=money, living=money, non_basic=money, assistance=money, more=money)
def test_education_self_paid_ignores_non_basic_costs_and_is_monotone(
    tuition, accommodation, living, non_basic, assistance, more
):
    def paid(**o):
        values = {
            "tuition": tuition,
            "accommodation": accommodation,
            "living": living,
            "non_basic": non_basic,
            "education_assistance": assistance,
        }
        values.update(o)
        return education_self_paid(EducationCosts(**values))

    result = paid()
    assert _exact(result)
    assert paid(non_basic=non_basic + more) == result
    assert paid(tuition=tuition + more) >= result and paid(living=living + more) >= result
    assert paid(education_assistance=assistance + more) <= result


@given(
    standard=st.integers(min_value=1, max_value=10**6).map(lambda fen: Decimal(fen) / 100),
    persons=st.integers(min_value=1, max_value=30),
    months=st.integers(min_value=0, max_value=6),
)
def test_amount_is_exact_in_fen_and_monotone(standard, persons, months):
    amount = standard_amount(standard, persons, months)
    assert _exact(amount) and amount == standard * persons * months  # no rounding is ever needed
    assert standard_amount(standard, persons + 1, months) >= amount
    assert standard_amount(standard, persons, min(months + 1, 6)) >= amount
    assert standard_amount(standard + FEN, persons, months) >= amount


@given(
    income=money,
    size=st.integers(min_value=1, max_value=8),
    helped=st.integers(min_value=1, max_value=8),
    bills=money,
)
def test_an_assessed_amount_is_never_negative_and_never_above_six_months(income, size, helped, bills):
    household = [{"relation": "self", "age": 40}] + [{"relation": "child", "age": 5}] * (size - 1)
    medical = {**MEDICAL, "total_bills": str(bills + Decimal("30000.00"))}
    result = assess(
        app(
            household=household,
            persons_helped=min(helped, size),
            annual_household_income=income,
            medical=medical,
        ),
        POLICY,
    )
    assert _exact(result.amount) and _exact(result.self_paid)
    assert result.amount <= POLICY.parameters.monthly_standard * min(helped, size) * 6
    assert (result.amount > 0) is result.eligible
    if result.eligible:
        assert 1 <= result.months <= 6
