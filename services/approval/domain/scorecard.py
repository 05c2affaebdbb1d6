"""Supervision (R-OVS-1, R-FLOW-3): a county's indicators with targets per year, scored per township, and the
record of how the results were used (findings, actions, follow-up dates).

Four indicators are approval's own data, scored here: the median time from submission to decision (days,
at most the target), the share of help-first paperwork completed on time (R-FLOW-2, at least), the share
of decisions taken within the township's delegation (R-FLOW-3, at least) and the re-examination reversal
rate (R-REX-2: changed ÷ decided re-examinations, at most). Two belong to the services that keep the records
(no service reads another's schema): the reserve-fund turnover (R-RES-2, disbursement's ledger, at least)
and the referral fulfilment (R-CHA-3, referral's offers and scheme referrals, at least). Approval keeps
their targets with the others (one place for the county's policy); their values are each township's line
of ``GET /disbursement/v1/figures`` (``reserve_funds[].turnover``) and ``GET /referral/v1/figures``
(``by_township[].fulfilment``), judged against the target by the same direction (``at_most``)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from decimal import ROUND_HALF_UP, Decimal
from enum import StrEnum


class Indicator(StrEnum):
    time_to_decision_days = "time_to_decision_days"
    help_first_on_time_share = "help_first_on_time_share"
    within_delegation_share = "within_delegation_share"
    reexamination_reversal_share = "reexamination_reversal_share"
    reserve_fund_turnover = "reserve_fund_turnover"
    referral_fulfilment_share = "referral_fulfilment_share"

    @property
    def at_most(self) -> bool:
        """Lower is better for the time to decision and the reversal rate; higher for the others."""
        return self in (Indicator.time_to_decision_days, Indicator.reexamination_reversal_share)

    @property
    def share(self) -> bool:
        """A share from 0 to 1 (its target too); days and the turnover (a ratio, may exceed 1) are not."""
        return self.value.endswith("_share")

    @property
    def source(self) -> str:
        """The service whose records the value comes from (its figures endpoint, when not approval)."""
        return SOURCES.get(self, "approval")


SOURCES = {
    Indicator.reserve_fund_turnover: "disbursement",
    Indicator.referral_fulfilment_share: "referral",
}
"""Indicators valued by another service's figures (R-OVS-1: each service answers for its own records)."""


def met(indicator: Indicator, value: Decimal | None, target: Decimal | None) -> bool | None:
    """At most the target (days, reversals) or at least it (the rest); nothing measured or no target: None."""
    if value is None or target is None:
        return None
    return value <= target if indicator.at_most else value >= target


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
    reexaminations_decided: int = 0
    reexaminations_changed: int = 0
    """Re-examinations decided in the year (upheld or changed, R-REX-2) and of those the changed ones."""


@dataclass(frozen=True, slots=True)
class Score:
    indicator: Indicator
    value: Decimal | None
    target: Decimal | None
    met: bool | None
    basis: int
    """How many cases (decisions, help-first grants due, or re-examinations decided) the value rests on."""


def _share(part: int, whole: int) -> Decimal | None:
    if whole == 0:
        return None
    return (Decimal(part) / Decimal(whole)).quantize(Decimal("0.0001"), rounding=ROUND_HALF_UP)


def _days(seconds: float | None) -> Decimal | None:
    if seconds is None:
        return None
    return (Decimal(str(seconds)) / Decimal(86400)).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)


def score(tally: TownshipTally, targets: dict[str, Decimal]) -> list[Score]:
    """The township's indicators of approval's own records against the county's targets for the year
    (no target: met None)."""
    values = {
        Indicator.time_to_decision_days: (_days(tally.median_seconds), tally.decided),
        Indicator.help_first_on_time_share: (
            _share(tally.help_first_on_time, tally.help_first_due),
            tally.help_first_due,
        ),
        Indicator.within_delegation_share: (_share(tally.within_delegation, tally.decided), tally.decided),
        Indicator.reexamination_reversal_share: (
            _share(tally.reexaminations_changed, tally.reexaminations_decided),
            tally.reexaminations_decided,
        ),
    }
    return [
        Score(i, value, targets.get(i.value), met(i, value, targets.get(i.value)), basis)
        for i, (value, basis) in values.items()
    ]
