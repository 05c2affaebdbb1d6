"""The version in force on a day, read from versions already loaded (shared/policy_versions.py): the rule
behind every effective-dated policy (R-RET-1's periods, R-REX-1's windows, R-OVS-3's budget rules)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from shared.policy_versions import version_in_force


@dataclass(frozen=True)
class Version:
    name: str
    effective_from: date


JAN = Version("jan", date(2026, 1, 1))
JUL = Version("jul", date(2026, 7, 1))


def test_no_version_is_in_force_before_the_first_one_begins() -> None:
    assert version_in_force([JAN, JUL], date(2025, 12, 31)) is None
    assert version_in_force([], date(2026, 1, 1)) is None


def test_a_version_is_in_force_from_its_first_day_and_until_the_next_begins() -> None:
    assert version_in_force([JAN, JUL], date(2026, 1, 1)) == JAN
    assert version_in_force([JAN, JUL], date(2026, 6, 30)) == JAN
    assert version_in_force([JAN, JUL], date(2026, 7, 1)) == JUL
    assert version_in_force([JAN, JUL], date(2030, 1, 1)) == JUL


def test_a_later_version_set_earlier_does_not_hide_the_one_in_force() -> None:
    """Versions come in the order set, not by start: a future version set first changes nothing today."""
    assert version_in_force([JUL, JAN], date(2026, 3, 1)) == JAN
    assert version_in_force([JUL, JAN], date(2026, 7, 1)) == JUL


def test_of_two_versions_begun_the_same_day_the_one_set_last_is_in_force() -> None:
    correction = Version("jan-corrected", date(2026, 1, 1))
    assert version_in_force([JAN, correction], date(2026, 1, 1)) == correction
    assert version_in_force([correction, JAN], date(2026, 2, 1)) == JAN
    assert version_in_force([JAN, correction, JUL], date(2026, 7, 1)) == JUL
