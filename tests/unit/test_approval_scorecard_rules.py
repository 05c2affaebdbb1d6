"""Scorecards (R-OVS-1, R-FLOW-3, R-FLOW-2), the pure scoring: exact shares and days, targets met or not."""

from __future__ import annotations

from decimal import Decimal

from services.approval.domain.scorecard import Indicator, TownshipTally, score


def test_days_are_at_most_the_target_and_shares_at_least_it_exactly() -> None:
    tally = TownshipTally(
        "140303003",
        decided=3,
        within_delegation=2,
        median_seconds=259200.0,
        help_first_due=3,
        help_first_on_time=2,
    )
    targets = {
        "time_to_decision_days": Decimal("3"),
        "within_delegation_share": Decimal("0.6667"),
        "help_first_on_time_share": Decimal("0.6668"),
    }
    scores = {s.indicator: s for s in score(tally, targets)}
    assert (scores[Indicator.time_to_decision_days].value, scores[Indicator.time_to_decision_days].met) == (
        Decimal("3.00"),
        True,
    )
    assert scores[Indicator.within_delegation_share].value == Decimal("0.6667")
    assert scores[Indicator.within_delegation_share].met is True
    assert scores[Indicator.help_first_on_time_share].met is False  # 0.6667 < 0.6668


def test_nothing_measured_or_no_target_is_neither_met_nor_missed() -> None:
    scores = score(TownshipTally("140303001", 0, 0, None, 0, 0), {"time_to_decision_days": Decimal("3")})
    assert [(s.value, s.met, s.basis) for s in scores] == [(None, None, 0)] * 3
    one = score(TownshipTally("140303001", 1, 1, 60.0, 0, 0), {})
    assert [(s.value, s.target, s.met) for s in one][0] == (Decimal("0.00"), None, None)
