"""The policy's pure rules: means test and amount (R-CAT, R-AMT), tiers (R-FLOW-3), remaining needs
(R-CHA-1)."""

from datetime import UTC, date, datetime
from decimal import Decimal

import pytest

from services.approval.domain.tiers import Level, approval_level
from services.assessment.domain.means_test import assess, education_self_paid, medical_self_paid
from services.assessment.domain.policy import Policy
from services.referral.domain.needs import may_share, remaining_needs
from shared.contracts.common import Need, NeedType
from shared.contracts.intake import ApplicationSubmitted, EducationCosts, MedicalCosts

POLICY = Policy.model_validate(
    {
        "county_code": "140302",
        "version": "test-1",
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
                "severity_tiers": [{"min_burden_ratio": "1.0", "months": 6}],
            },
        },
    }
)


def submitted(**overrides) -> ApplicationSubmitted:
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
        "household": [{"relation": "self", "age": 40}, {"relation": "spouse", "age": 38}],
        "persons_helped": 2,
        "requested_months": None,
        "annual_household_income": Decimal("60000.00"),
        "property": {"deposits": "0", "vehicles": 0, "vehicle_value": "0", "houses": 1},
        "medical": {
            "total_bills": "50000",
            "basic_insurance": "20000",
            "critical_illness_insurance": "5000",
            "commercial_insurance": "0",
            "medical_assistance": "5000",
        },
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


def test_medical_self_paid_deducts_every_insurance_and_assistance():
    costs = MedicalCosts(
        total_bills=Decimal("100.00"),
        basic_insurance=Decimal("40.00"),
        critical_illness_insurance=Decimal("10.00"),
        commercial_insurance=Decimal("5.00"),
        medical_assistance=Decimal("5.00"),
    )
    assert medical_self_paid(costs) == Decimal("40.00")


def test_education_self_paid_excludes_non_basic_items_and_deducts_assistance():
    costs = EducationCosts(
        tuition=Decimal("5000"),
        accommodation=Decimal("1200"),
        living=Decimal("3000"),
        non_basic=Decimal("20000"),
        education_assistance=Decimal("2000"),
    )
    assert education_self_paid(costs) == Decimal("7200.00")


def test_amount_is_standard_times_persons_times_months():
    result = assess(submitted(), POLICY)
    assert result.eligible
    assert result.months == 3
    assert result.amount == Decimal("830.00") * 2 * 3


def test_income_exactly_at_last_years_figure_is_not_below_it():
    result = assess(submitted(annual_household_income=Decimal("80000.00")), POLICY)  # 40000 per capita
    assert not result.eligible
    assert any(r.rule == "R-CAT-3" and not r.passed for r in result.reasons)


def test_emergency_cases_skip_the_up_front_means_test():
    result = assess(
        submitted(
            category="emergency",
            subtype="fire_or_accident",
            medical=None,
            annual_household_income=Decimal("900000.00"),
        ),
        POLICY,
    )
    assert result.eligible and result.amount == Decimal("4980.00")


def test_severe_burden_raises_months_up_to_six_never_beyond():
    result = assess(submitted(annual_household_income=Decimal("10000.00")), POLICY)
    assert result.months == 6


def test_tier_exactly_at_the_limit_stays_with_the_township_one_fen_above_goes_to_county():
    assert approval_level(Decimal("5000.00"), Decimal("5000.00")) is Level.township
    assert approval_level(Decimal("5000.01"), Decimal("5000.00")) is Level.county
    assert approval_level(Decimal("1.00"), None) is Level.county


def test_government_help_is_set_against_needs_before_charities_are_asked():
    needs = [Need(need_type=NeedType.medical, amount=Decimal("25000.00"))]
    assert remaining_needs(needs, Decimal("9960.00")) == [
        Need(need_type=NeedType.medical, amount=Decimal("15040.00"))
    ]
    assert remaining_needs(needs, Decimal("30000.00")) == []


@pytest.mark.parametrize(
    "consents,expected",
    [({"share_with_charities": True}, True), ({"share_with_charities": False}, False), ({}, False)],
)
def test_needs_are_shared_only_with_consent(consents, expected):
    assert may_share(consents) is expected
