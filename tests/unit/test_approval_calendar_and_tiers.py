"""Pure approval rules: tier boundaries (R-FLOW-3) and the help-first paperwork deadline (R-FLOW-2) on the
national working-day calendar (seed data) with county amendments and a weekends-only fallback."""

import json
from datetime import date
from decimal import Decimal

import pytest

from services.approval.domain.calendar import (
    WorkCalendar,
    YearSchedule,
    check_year,
    paperwork_deadline,
)
from services.approval.domain.tiers import Level, approval_level, help_first_allowed, may_decide
from services.approval.service.calendars import SEED


def national() -> dict[int, YearSchedule]:
    data = json.loads(SEED.read_text(encoding="utf-8"))["years"]
    return {int(y): YearSchedule.of(v["holidays"], v["workdays"]) for y, v in data.items()}


CAL = WorkCalendar(national=national(), county_code="140302")


# --- R-FLOW-3 tiers ---


def test_exactly_at_the_limit_stays_with_the_township():
    assert approval_level(Decimal("5000.00"), Decimal("5000.00")) is Level.township


def test_one_fen_above_the_limit_goes_to_the_county():
    assert approval_level(Decimal("5000.01"), Decimal("5000.00")) is Level.county


def test_no_delegation_means_the_county_decides():
    assert approval_level(Decimal("1.00"), None) is Level.county


def test_a_township_cannot_decide_what_needs_the_county():
    assert may_decide(Level.township, Level.township) and may_decide(Level.county, Level.township)
    assert may_decide(Level.county, Level.county) and not may_decide(Level.township, Level.county)


def test_help_first_by_a_township_is_capped_by_its_disbursement_limit():
    assert help_first_allowed(Level.township, Decimal("2000.00"), Decimal("2000.00"))
    assert not help_first_allowed(Level.township, Decimal("2000.01"), Decimal("2000.00"))
    assert help_first_allowed(Level.county, Decimal("99999.00"), Decimal("2000.00"))
    assert not help_first_allowed(Level.township, Decimal("1.00"), None)


# --- R-FLOW-2 paperwork deadline: 10 working days after the emergency is over ---


def test_across_a_weekend():
    # Over on Friday 2026-03-06: two working weeks follow, the deadline is Friday 2026-03-20.
    assert paperwork_deadline(CAL, date(2026, 3, 6)) == (date(2026, 3, 20), "national 2026")


def test_across_the_spring_festival_holiday_with_its_make_up_working_days():
    # 2026 Spring Festival: off Feb 15-23; Saturday Feb 14 and Saturday Feb 28 are working days.
    # Over Thu Feb 12: Feb 13, 14(Sat), 24, 25, 26, 27, 28(Sat), Mar 2, 3, 4.
    deadline, used = paperwork_deadline(CAL, date(2026, 2, 12))
    assert deadline == date(2026, 3, 4) and used == "national 2026"
    # Weekends only would have said Feb 26: the holiday schedule matters.
    assert paperwork_deadline(WorkCalendar(), date(2026, 2, 12))[0] == date(2026, 2, 26)


def test_over_a_make_up_working_day():
    # Labour Day 2026: off May 1-5, Saturday May 9 is worked. Over Thu Apr 30:
    # May 6, 7, 8, 9(Sat), 11, 12, 13, 14, 15, 18.
    assert paperwork_deadline(CAL, date(2026, 4, 30))[0] == date(2026, 5, 18)
    without_make_up = WorkCalendar(national={2026: YearSchedule.of(list(national()[2026].holidays), [])})
    assert paperwork_deadline(without_make_up, date(2026, 4, 30))[0] == date(2026, 5, 19)


def test_2025_spring_festival():
    # 2025: off Jan 28 - Feb 4, Sunday Jan 26 and Saturday Feb 8 worked. Over Fri Jan 24:
    # Jan 26(Sun), 27, Feb 5, 6, 7, 8(Sat), 10, 11, 12, 13.
    assert paperwork_deadline(CAL, date(2025, 1, 24))[0] == date(2025, 2, 13)


def test_a_year_without_a_national_schedule_falls_back_to_weekends_and_says_so():
    # Over Thu 2026-12-24: Dec 25, 28, 29, 30, 31, then 2027 (not loaded): Jan 1 counts, Jan 4-7.
    deadline, used = paperwork_deadline(CAL, date(2026, 12, 24))
    assert deadline == date(2027, 1, 7)
    assert used == "national 2026; weekends-only (no national schedule loaded for 2027)"


def test_county_amendments_win_over_the_national_schedule():
    amended = WorkCalendar(
        national=national(), county={2026: YearSchedule.of(["2026-03-10"], [])}, county_code="140321"
    )
    deadline, used = paperwork_deadline(amended, date(2026, 3, 6))
    assert deadline == date(2026, 3, 23) and used == "national 2026 + county 140321 amendments"
    worked = WorkCalendar(
        national=national(), county={2026: YearSchedule.of([], ["2026-02-16"])}, county_code="140321"
    )
    assert worked.is_working_day(date(2026, 2, 16)) and not CAL.is_working_day(date(2026, 2, 16))


def test_schedules_are_checked():
    assert check_year(2026, YearSchedule.of(["2027-01-01"], [])) == "every date must be in 2026"
    assert "both" in check_year(2026, YearSchedule.of(["2026-02-14"], ["2026-02-14"]))
    assert check_year(2026, national()[2026]) is None
    with pytest.raises(ValueError):
        CAL.add_working_days(date(2026, 1, 1), 0)
