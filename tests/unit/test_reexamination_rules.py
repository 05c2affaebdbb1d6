"""The pure rules of re-examination (复核, R-REX-1..3) and the household's notice of its outcome."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from services.approval.domain.model import CurrentDecision, Ground, Opinion
from services.approval.domain.reexamination_rules import (
    difference,
    ground_fits,
    in_window,
    level_suffices,
    window_closes_on,
)
from services.approval.domain.tiers import Level
from services.household.domain import templates as tpl

NOTICE = date(2026, 11, 2)


def _current(decision: Opinion) -> CurrentDecision:
    return CurrentDecision(decision, Decimal("300.00"), Level.county, "cash", NOTICE, frozenset({"a", "b"}))


def test_the_last_day_of_the_window_is_in_time_and_the_next_is_not():
    assert window_closes_on(NOTICE, 60) == date(2027, 1, 1)
    assert in_window(date(2027, 1, 1), NOTICE, 60)
    assert not in_window(date(2027, 1, 2), NOTICE, 60)


def test_a_refusal_is_contested_as_a_refusal_and_an_approval_for_its_amount():
    assert ground_fits(Ground.refusal, _current(Opinion.rejected))
    assert not ground_fits(Ground.amount, _current(Opinion.rejected))
    assert ground_fits(Ground.amount, _current(Opinion.approved))
    assert not ground_fits(Ground.refusal, _current(Opinion.approved))


def test_a_county_decision_is_reexamined_at_the_county():
    assert level_suffices(Level.county, Level.county) and level_suffices(Level.county, Level.township)
    assert level_suffices(Level.township, Level.township)
    assert not level_suffices(Level.township, Level.county)


def test_a_raise_pays_the_difference_and_a_reduction_is_not_recovered():
    assert difference(Decimal("300.00"), Decimal("500.00")) == (Decimal("200.00"), Decimal("0.00"))
    assert difference(Decimal("500.00"), Decimal("300.00")) == (Decimal("-200.00"), Decimal("200.00"))
    assert difference(Decimal("0.00"), Decimal("900.00")) == (Decimal("900.00"), Decimal("0.00"))


def test_the_household_notice_of_the_outcome_states_it_with_its_reasons():
    template = tpl.load().template("reexamined", "140322", date(2026, 12, 1))
    text = tpl.render(
        template.sms,
        {
            "sign": "阳泉民政",
            "case_no": "TA-1",
            "date": "2026年12月1日",
            "outcome": "变更原决定",
            "result": "救助金额变更为500.00元，差额200.00元将另行发放。",
            "reasons": "医疗费用应全部计入。",
            "office": "盂县民政局",
            "office_phone": "0353-1234567",
        },
    )
    assert "复核决定：变更原决定" in text and "差额200.00元" in text and "理由：医疗费用应全部计入。" in text
