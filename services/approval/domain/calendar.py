"""Working days (R-FLOW-2): the national calendar (weekends, public holidays, make-up working days 调休)
with county amendments, and the help-first paperwork deadline of 10 working days.

Pure data and arithmetic: the schedules come from the database (seeded, extended through the admin API).
A year without a national schedule never fails a computation: it falls back to weekends only and the
result says so.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date, timedelta

PAPERWORK_WORKING_DAYS = 10
"""R-FLOW-2: review/approval paperwork within 10 working days after the emergency is over."""


@dataclass(frozen=True)
class YearSchedule:
    """One year's days off (holidays) and make-up working days (调休: weekend days that are worked)."""

    holidays: frozenset[date] = frozenset()
    workdays: frozenset[date] = frozenset()

    @classmethod
    def of(cls, holidays: Iterable[date | str], workdays: Iterable[date | str]) -> YearSchedule:
        return cls(frozenset(map(_day, holidays)), frozenset(map(_day, workdays)))


def _day(value: date | str) -> date:
    return value if isinstance(value, date) else date.fromisoformat(value)


def check_year(year: int, schedule: YearSchedule) -> str | None:
    """Why a schedule for ``year`` is unusable, or None."""
    if any(d.year != year for d in schedule.holidays | schedule.workdays):
        return f"every date must be in {year}"
    if schedule.holidays & schedule.workdays:
        return "a date cannot be both a holiday and a make-up working day"
    return None


@dataclass(frozen=True)
class WorkCalendar:
    national: Mapping[int, YearSchedule] = field(default_factory=dict)
    county: Mapping[int, YearSchedule] = field(default_factory=dict)
    """A county's amendments: its own days off / working days, winning over the national schedule."""
    county_code: str | None = None

    def is_working_day(self, day: date) -> bool:
        amendment = self.county.get(day.year)
        if amendment is not None:
            if day in amendment.holidays:
                return False
            if day in amendment.workdays:
                return True
        schedule = self.national.get(day.year)
        if schedule is not None:
            if day in schedule.holidays:
                return False
            if day in schedule.workdays:
                return True
        return day.weekday() < 5

    def add_working_days(self, start: date, count: int) -> tuple[date, str]:
        """The ``count``-th working day after ``start`` (``start`` itself not counted), and a description
        of the calendar used, naming any year that had no national schedule (weekends only)."""
        if count < 1:
            raise ValueError("count must be at least 1")
        day, seen, years = start, 0, {start.year}
        while seen < count:
            day += timedelta(days=1)
            years.add(day.year)
            if self.is_working_day(day):
                seen += 1
        return day, self.describe(years)

    def describe(self, years: Iterable[int]) -> str:
        parts = []
        for year in sorted(set(years)):
            if year in self.national:
                text = f"national {year}"
            else:
                text = f"weekends-only (no national schedule loaded for {year})"
            if year in self.county and self.county_code:
                text += f" + county {self.county_code} amendments"
            parts.append(text)
        return "; ".join(parts)


def paperwork_deadline(calendar: WorkCalendar, emergency_over_on: date) -> tuple[date, str]:
    """R-FLOW-2: the last day to complete the review/approval paperwork of a help-first case."""
    return calendar.add_working_days(emergency_over_on, PAPERWORK_WORKING_DAYS)
