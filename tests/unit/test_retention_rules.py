"""Retention's pure rules (R-RET-1, R-RET-2): the local-day cut-off and the county version in force."""

from __future__ import annotations

from datetime import date, datetime

from shared import clock
from shared.retention import PolicyVersion, cutoff, in_force, national_default


def test_the_cut_off_is_the_local_day_in_shanghai() -> None:
    """A case closed on 2016-12-02 (Shanghai) with 10 years is due from 2026-12-03 on (R-RET-2)."""
    edge = cutoff(date(2026, 12, 3), 10)
    assert edge == datetime.fromisoformat("2016-12-03T00:00:00+08:00")
    assert edge.astimezone(clock.zone()).date() == date(2016, 12, 3)
    assert cutoff(date(2028, 2, 29), 1) == datetime.fromisoformat("2027-02-28T00:00:00+08:00")


def test_a_county_version_overlays_the_national_default_from_its_start() -> None:
    national = national_default()
    later = PolicyVersion("c-2", "140302", date(2027, 1, 1), {"notices": 1})
    earlier = PolicyVersion("c-1", "140302", date(2026, 1, 1), {"notices": 2})
    assert in_force(national, [earlier, later], date(2026, 6, 1))["notices"] == 2
    assert in_force(national, [earlier, later], date(2027, 1, 1))["notices"] == 1
    assert in_force(national, [], date(2026, 6, 1)) == national[0].years
    assert "audit_trail" not in national[0].years
