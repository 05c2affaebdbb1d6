"""Scorecards (R-OVS-1, R-FLOW-3, R-FLOW-2), the pure scoring: exact shares and days, targets met or not."""

from __future__ import annotations

from decimal import Decimal

from services.approval.domain.scorecard import Indicator, TownshipTally, met, score


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
    assert [(s.value, s.met, s.basis) for s in scores] == [(None, None, 0)] * 4
    one = score(TownshipTally("140303001", 1, 1, 60.0, 0, 0), {})
    assert [(s.value, s.target, s.met) for s in one][0] == (Decimal("0.00"), None, None)


def test_the_reversal_rate_is_at_most_its_target_and_counts_decided_reexaminations() -> None:
    tally = TownshipTally("140311101", 0, 0, None, 0, 0, reexaminations_decided=3, reexaminations_changed=1)
    [rate] = [s for s in score(tally, {"reexamination_reversal_share": Decimal("0.3333")}) if s.basis == 3]
    assert (rate.indicator, rate.value, rate.met) == (
        Indicator.reexamination_reversal_share,
        Decimal("0.3333"),
        True,
    )
    assert met(Indicator.reexamination_reversal_share, Decimal("0.3334"), Decimal("0.3333")) is False
    assert met(Indicator.reserve_fund_turnover, Decimal("1.2000"), Decimal("1.2")) is True  # at least
    assert met(Indicator.referral_fulfilment_share, None, Decimal("0.5")) is None


def test_the_reserve_fund_turnover_is_paid_over_allocation_and_carry_in() -> None:
    from services.disbursement.domain.reserve_rules import opening_balance, turnover

    totals = {
        "allocation": Decimal("2000.00"),
        "reserve_carry_in": Decimal("500.00"),
        "reserve_top_up": Decimal("1000.00"),  # later in the year: not the opening balance
        "reserve_draw": Decimal("1200.00"),
    }
    assert opening_balance(totals) == Decimal("2500.00")
    assert turnover(Decimal("1050.00"), Decimal("2500.00")) == Decimal("0.4200")
    assert turnover(Decimal("3000.00"), Decimal("2500.00")) == Decimal("1.2000")  # top-ups used too
    assert turnover(Decimal("10.00"), Decimal("0.00")) is None


def test_the_referral_fulfilment_counts_offers_and_schemes_with_a_final_outcome() -> None:
    from services.referral.domain.model import TownshipFulfilment

    assert TownshipFulfilment("140311", "140311101", 5, 3, 2, 1).fulfilment == Decimal("0.5714")
    assert TownshipFulfilment("140311", "140311101", 0, 0, 0, 0).fulfilment is None
