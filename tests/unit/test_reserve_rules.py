"""The pure rules of reserve-fund reporting (R-RES-2): periods, due days, effective-dated frequency, the
report's figures from ledger movements to the fen, the year-end ledger kind."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from services.disbursement.domain.reserve_rules import (
    Frequency,
    Movement,
    YearEnd,
    expected_periods,
    figures,
    period,
    settlement_kind,
    signed,
    year_over,
)


def test_a_quarter_and_a_month_are_named_and_bounded_by_local_calendar_days():
    q = period("2026-Q1")
    assert (q.frequency, q.start, q.end) == (Frequency.quarterly, date(2026, 1, 1), date(2026, 3, 31))
    m = period("2028-02")  # a leap year
    assert (m.frequency, m.start, m.end) == (Frequency.monthly, date(2028, 2, 1), date(2028, 2, 29))
    assert period("2026-12").end == date(2026, 12, 31)
    for bad in ("2026-Q5", "2026-13", "2026-1", "26-Q1"):
        with pytest.raises(ValueError):
            period(bad)


def test_a_period_is_reportable_the_day_after_it_ends_and_overdue_after_its_grace_days():
    q = period("2026-Q2")
    assert not q.ended(date(2026, 6, 30)) and q.ended(date(2026, 7, 1))
    assert q.due(15) == date(2026, 7, 15)
    assert not q.overdue(date(2026, 7, 15), 15) and q.overdue(date(2026, 7, 16), 15)


def test_the_frequency_in_force_on_a_periods_first_day_decides_which_periods_are_due():
    versions = [(date(2026, 1, 1), Frequency.quarterly, 15), (date(2026, 7, 1), Frequency.monthly, 5)]
    due = expected_periods(2026, versions, date(2026, 9, 1))
    assert [(p.label, grace) for p, grace in due] == [
        ("2026-Q1", 15),
        ("2026-Q2", 15),
        ("2026-07", 5),
        ("2026-08", 5),
    ]
    assert expected_periods(2026, [], date(2027, 1, 1)) == []  # no setting, nothing due: refused elsewhere


def _m(entry_id: int, kind: str, amount: str, case: str | None = None) -> Movement:
    return Movement(entry_id, kind, Decimal(amount), case, date(2026, 5, 1))


def test_the_report_figures_follow_from_the_movements_to_the_fen():
    before = [_m(1, "allocation", "10000.00"), _m(2, "reserve_draw", "0.01", "c0")]
    within = [
        _m(3, "reserve_draw", "1234.56", "a"),
        _m(4, "reserve_draw", "0.44", "b"),
        _m(5, "reserve_release", "100.00", "a"),
        _m(6, "reserve_top_up", "2000.00"),
        _m(7, "reserve_draw", "65.00", "a"),
    ]
    f = figures(before, within, {"a": ("YQ-1", "emergency")})
    assert f.opening == Decimal("9999.99")
    assert (f.totals["draws"], f.totals["returns"], f.totals["top_ups"]) == (
        Decimal("1300.00"),
        Decimal("100.00"),
        Decimal("2000.00"),
    )
    assert f.closing == Decimal("10799.99")
    a, b = f.cases
    assert (a.case_no, a.category, a.draws, a.drawn, a.returned) == (
        "YQ-1",
        "emergency",
        2,
        Decimal("1299.56"),
        Decimal("100.00"),
    )
    assert (b.case_no, b.category, b.drawn) == (None, None, Decimal("0.44"))
    assert f.entry_ids == [3, 4, 5, 6, 7]


def test_the_year_end_takes_the_balance_out_by_the_countys_policy_after_the_last_day():
    assert settlement_kind(YearEnd.carry_over) == "reserve_carry_over"
    assert settlement_kind(YearEnd.return_) == "reserve_settlement_return"
    assert signed("reserve_carry_over", Decimal("1.00")) == Decimal("-1.00")
    assert not year_over(2026, date(2026, 12, 31)) and year_over(2026, date(2027, 1, 1))
    with pytest.raises(ValueError):
        signed("payment", Decimal("1.00"))  # not a reserve-fund movement
