"""Pure rules of issue 18: every case's needs less what the decision covers (R-AID-1, R-CHA-1), the
project ordering (需求导向), the 统一社会信用代码 check (GB 32100-2015), the 低保 suggestion rule and scheme
outcomes."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from services.intake.domain.needs import needs_problem
from services.referral.domain.errors import OutcomeRefused
from services.referral.domain.matching import CaseFacts, Fit, closing_reason, rank
from services.referral.domain.needs import CaseNeed, case_needs, may_share_need, remaining_case_needs
from services.referral.domain.policy import policy_for
from services.referral.domain.schemes import SchemeStatus, check_outcome, dibao_suggestion
from services.referral.domain.uscc import check_character, uscc_problem
from shared.contracts.intake import StatedNeed
from shared.domain_errors import InvalidValue

TODAY = date(2026, 11, 20)


def fit(seq: int, **kw: object) -> Fit:
    values: dict[str, object] = {
        "id": f"p{seq}",
        "seq": seq,
        "need_types": ["housing_repair"],
        "areas": ["140302"],
        "capacity": 10,
        "places_held": 0,
        "places_taken": 0,
        "budget": Decimal("100000"),
        "budget_committed": Decimal("0"),
        "starts_on": date(2026, 1, 1),
        "ends_on": date(2026, 12, 31),
        "eligibility": {},
    }
    values.update(kw)
    return Fit(**values)  # type: ignore[arg-type]


CASE = CaseFacts(
    need_type="housing_repair",
    county_code="140302",
    township_code="140302004",
    amount=Decimal("20000"),
    category="emergency",
    subtype="fire_or_accident",
    household_size=2,
)


class TestNeedsOfEveryCase:
    def test_the_decision_covers_living_first_and_service_needs_stay(self) -> None:
        stated = [
            {"need_type": "housing_repair", "amount": "30000.00"},
            {"need_type": "legal", "amount": None},
            {"need_type": "living", "amount": "5000.00"},
        ]
        needs = case_needs(stated, [])
        assert [n.need_type for n in needs] == ["living", "housing_repair", "legal"]
        left = remaining_case_needs(needs, Decimal("4200.00"))
        assert left == [
            CaseNeed("living", Decimal("800.00")),
            CaseNeed("housing_repair", Decimal("30000.00")),
            CaseNeed("legal", None),
        ]

    def test_the_assessed_medical_self_paid_replaces_the_stated_medical_amount(self) -> None:
        needs = case_needs(
            [{"need_type": "medical", "amount": "80000.00"}, {"need_type": "living", "amount": "1000.00"}],
            [{"need_type": "medical", "amount": "25000.00"}],
        )
        assert needs == [CaseNeed("medical", Decimal("25000.00")), CaseNeed("living", Decimal("1000.00"))]
        assert remaining_case_needs(needs, Decimal("25500.00")) == [CaseNeed("living", Decimal("500.00"))]

    def test_psychological_needs_are_health_data_and_need_the_health_consent(self) -> None:
        charities_only = {"share_with_charities": True, "share_health_data": False}
        assert not may_share_need(charities_only, need_type="psychological", subtype="fire_or_accident")
        assert may_share_need(charities_only, need_type="housing_repair", subtype="fire_or_accident")

    def test_a_stated_money_need_without_amount_or_twice_is_refused_naming_it(self) -> None:
        assert "amount" in (needs_problem([StatedNeed(need_type="living")]) or "")
        twice = [StatedNeed(need_type="legal"), StatedNeed(need_type="legal")]
        assert "twice" in (needs_problem(twice) or "")
        assert needs_problem([StatedNeed(need_type="care")]) is None


class TestProjectOrdering:
    def test_the_project_naming_the_township_comes_before_the_county_wide_one(self) -> None:
        county_wide, township = fit(1), fit(2, areas=["140302004"])
        assert [p.id for p in rank([county_wide, township], CASE, TODAY)] == ["p2", "p1"]

    def test_then_the_one_whose_budget_covers_the_whole_amount(self) -> None:
        short = fit(1, budget=Decimal("5000"))
        enough = fit(2)
        assert [p.id for p in rank([short, enough], CASE, TODAY)] == ["p2", "p1"]

    def test_then_the_larger_share_of_free_places_then_the_earliest_end_then_publication(self) -> None:
        crowded = fit(1, places_taken=8)
        free_late = fit(2, ends_on=date(2026, 12, 31))
        free_soon = fit(3, ends_on=date(2026, 12, 1))
        free_soon_later = fit(4, ends_on=date(2026, 12, 1))
        order = rank([crowded, free_late, free_soon_later, free_soon], CASE, TODAY)
        assert [p.id for p in order] == ["p3", "p4", "p2", "p1"]

    @pytest.mark.parametrize(
        "unfit",
        [
            {"need_types": ["goods"]},
            {"areas": ["140303"]},
            {"ends_on": date(2026, 11, 19)},
            {"starts_on": date(2026, 11, 21)},
            {"capacity": 2, "places_held": 1, "places_taken": 1},
            {"budget_committed": Decimal("100000")},
            {"eligibility": {"categories": ["expenditure"]}},
            {"eligibility": {"max_household_size": 1}},
        ],
    )
    def test_a_project_that_does_not_fit_is_never_offered(self, unfit: dict[str, object]) -> None:
        assert rank([fit(1, **unfit)], CASE, TODAY) == []

    def test_a_project_closes_when_full_spent_or_ended(self) -> None:
        assert closing_reason(fit(1, capacity=2, places_taken=2), TODAY) == "full"
        assert closing_reason(fit(1, budget_committed=Decimal("100000")), TODAY) == "budget_spent"
        assert closing_reason(fit(1, ends_on=date(2026, 11, 19)), TODAY) == "ended"
        assert closing_reason(fit(1, places_held=10), TODAY) is None  # held places are not taken ones


class TestUscc:
    @pytest.mark.parametrize("code", ["91350100M000100Y43", "91110000802100433B"])
    def test_real_codes_pass_their_check_character(self, code: str) -> None:
        assert uscc_problem(code) is None and check_character(code[:17]) == code[17]

    @pytest.mark.parametrize(
        ("code", "why"),
        [
            ("91350100M000100Y44", "check character"),
            ("91350100M000100Y4", "18 characters"),
            ("91350100M000100IO3", "alphabet"),
            ("91AB0100M000100Y43", "administrative division"),
        ],
    )
    def test_a_bad_code_is_named_with_its_fault(self, code: str, why: str) -> None:
        assert why in (uscc_problem(code) or "")


class TestSchemes:
    def test_a_hardship_outlasting_temporary_help_suggests_dibao_by_the_county_rule(self) -> None:
        policy = policy_for("140302", TODAY)  # seed: 6 months, or 2000.00 of living need left
        assert dibao_suggestion(policy, approved=True, months=6, living_remaining=Decimal("0")) == (
            "months_at_least_6"
        )
        assert dibao_suggestion(policy, approved=True, months=3, living_remaining=Decimal("2000.00"))
        assert dibao_suggestion(policy, approved=True, months=3, living_remaining=Decimal("1999.99")) is None
        assert dibao_suggestion(policy, approved=False, months=6, living_remaining=Decimal("9000")) is None
        assert policy_for("140303", TODAY).dibao_living_remaining_at_least == Decimal("3000.00")

    def test_a_granted_outcome_names_its_amount_a_refused_one_its_reason_and_final_ones_stay(self) -> None:
        with pytest.raises(InvalidValue, match="amount"):
            check_outcome(SchemeStatus.open, SchemeStatus.granted, None, None)
        with pytest.raises(InvalidValue, match="reason"):
            check_outcome(SchemeStatus.applied, SchemeStatus.refused, None, None)
        with pytest.raises(OutcomeRefused):
            check_outcome(SchemeStatus.granted, SchemeStatus.refused, None, "late")
        with pytest.raises(OutcomeRefused):
            check_outcome(SchemeStatus.applied, SchemeStatus.accepted, None, None)
        check_outcome(SchemeStatus.accepted, SchemeStatus.granted, Decimal("3000"), None)
