"""R-CAT-3/R-CAT-4: verified figures against declared ones (services/assessment/domain/verified.py)."""

from decimal import Decimal

from services.assessment.domain.policy import VerificationPolicy
from services.assessment.domain.verified import income_reason, tolerance

POLICY = VerificationPolicy(
    income_tolerance_ratio=Decimal("0.10"),
    income_tolerance_amount=Decimal("2000.00"),
    answer_within_seconds=60,
    essential_spending_items=["medical"],
)


def test_the_tolerance_is_the_larger_of_the_county_ratio_and_amount():
    assert tolerance(Decimal("10000.00"), POLICY) == Decimal("2000.00")
    assert tolerance(Decimal("50000.00"), POLICY) == Decimal("5000.00")


def test_an_income_exactly_at_the_tolerance_passes_and_one_fen_beyond_fails_citing_the_verified_figure():
    at = income_reason(Decimal("20000.00"), Decimal("22000.00"), POLICY, "v1")
    beyond = income_reason(Decimal("20000.00"), Decimal("22000.01"), POLICY, "v1")
    assert at.passed and at.rule == "R-CAT-3"
    assert not beyond.passed and "verified annual household income 22000.01" in beyond.message
    assert beyond.figures["figure_source"] == "verified"
