"""Supervision (R-OVS-1, R-FLOW-3): a county's indicators with targets per year, scored per township from
approval's own records, and the record of how the results were used (findings, actions, follow-up dates).

Three indicators are approval's own data: the median time from submission to decision (days, at most the
target), the share of help-first paperwork completed on time (R-FLOW-2, at least the target) and the share
of decisions taken within the township's delegation (R-FLOW-3, at least the target)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from decimal import ROUND_HALF_UP, Decimal
from enum import StrEnum


class Indicator(StrEnum):
    time_to_decision_days = "time_to_decision_days"
    help_first_on_time_share = "help_first_on_time_share"
    within_delegation_share = "within_delegation_share"

    @property
    def at_most(self) -> bool:
        """Lower is better for the time to decision; higher for the shares."""
        return self is Indicator.time_to_decision_days


@dataclass(frozen=True, slots=True)
class Target:
    id: int
    county_code: str
    year: int
    indicator: str
    target: Decimal
    actor: str | None
    created_at: datetime


@dataclass(frozen=True, slots=True)
class Finding:
    """How a result was used (结果运用): what was found, what is to be done, when it is followed up."""

    id: int
    county_code: str
    township_code: str
    year: int
    indicator: str | None
    finding: str
    action: str
    follow_up_on: date
    actor: str | None
    created_at: datetime


@dataclass(frozen=True, slots=True)
class TownshipTally:
    """Read model: one township's year from approval's records."""

    township_code: str
    decided: int
    within_delegation: int
    median_seconds: float | None
    help_first_due: int
    help_first_on_time: int


@dataclass(frozen=True, slots=True)
class Score:
    indicator: Indicator
    value: Decimal | None
    target: Decimal | None
    met: bool | None
    basis: int
    """How many cases (decisions, or help-first grants due) the value rests on."""


def _share(part: int, whole: int) -> Decimal | None:
    if whole == 0:
        return None
    return (Decimal(part) / Decimal(whole)).quantize(Decimal("0.0001"), rounding=ROUND_HALF_UP)


def _days(seconds: float | None) -> Decimal | None:
    if seconds is None:
        return None
    return (Decimal(str(seconds)) / Decimal(86400)).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)


def _met(indicator: Indicator, value: Decimal | None, target: Decimal | None) -> bool | None:
    if value is None or target is None:
        return None
    return value <= target if indicator.at_most else value >= target


def score(tally: TownshipTally, targets: dict[str, Decimal]) -> list[Score]:
    """The township's three indicators against the county's targets for the year (no target: met None)."""
    values = {
        Indicator.time_to_decision_days: (_days(tally.median_seconds), tally.decided),
        Indicator.help_first_on_time_share: (
            _share(tally.help_first_on_time, tally.help_first_due),
            tally.help_first_due,
        ),
        Indicator.within_delegation_share: (_share(tally.within_delegation, tally.decided), tally.decided),
    }
    return [
        Score(i, value, targets.get(i.value), _met(i, value, targets.get(i.value)), basis)
        for i, (value, basis) in values.items()
    ]
