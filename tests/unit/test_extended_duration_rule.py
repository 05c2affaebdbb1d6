"""R-AMT-2 in the means test: beyond the normal 3 months only by a county severity tier, which the reason
names and cites (tier id, policy version, figures) so that the approver can confirm it."""

from decimal import Decimal

from services.assessment.domain.means_test import months_rule
from services.assessment.domain.policy import Policy, SeverityTier
from tests.unit.test_policy_rules import POLICY, submitted


def _policy(tiers: list[dict]) -> Policy:
    data = POLICY.model_dump(mode="json")
    data["parameters"]["months"]["severity_tiers"] = tiers
    return Policy.model_validate(data)


def test_a_severity_tier_beyond_three_months_is_named_and_cited_on_the_reason():
    policy = _policy([{"id": "severe", "min_burden_ratio": "1.0", "months": 6}])
    months, reason = months_rule(
        submitted(annual_household_income=Decimal("20000.00")), policy, Decimal("25000")
    )
    assert months == 6
    assert reason.figures["extended_duration"] == "true"
    assert reason.figures["tier_id"] == "severe"
    assert reason.figures["policy_version"] == policy.version
    assert (reason.figures["tier_min_burden_ratio"], reason.figures["tier_months"]) == ("1.0", "6")
    assert reason.figures["burden_ratio"] == "1.2500" and reason.figures["normal_max"] == "3"
    assert "severe" in reason.message and policy.version in reason.message and "confirm" in reason.message


def test_three_months_or_less_cites_no_extension():
    policy = _policy([{"id": "severe", "min_burden_ratio": "1.0", "months": 6}])
    months, reason = months_rule(
        submitted(annual_household_income=Decimal("60000.00")), policy, Decimal("25000")
    )
    assert months <= 3 and "extended_duration" not in reason.figures and "tier_id" not in reason.figures


def test_a_tier_capped_back_to_three_by_the_request_is_not_an_extension():
    policy = _policy([{"id": "severe", "min_burden_ratio": "1.0", "months": 6}])
    app = submitted(annual_household_income=Decimal("20000.00"), requested_months=3)
    months, reason = months_rule(app, policy, Decimal("25000"))
    assert months == 3 and "extended_duration" not in reason.figures


def test_a_tier_without_an_id_is_named_by_its_figures():
    assert SeverityTier(min_burden_ratio=Decimal("0.5"), months=4).tier_id == "burden-0.5-4m"
