"""The repeat rule (R-FLOW-5) and duplicate flags, as pure functions over earlier cases that share a person.

Households are matched only by the keyed blind index of members' resident ID numbers (shared/crypto.py),
never by plaintext. An earlier case is a *candidate* when at least one of its current household members has
the same ID-number blind index as a member of the new application.

**Same cause (同一事由, R-FLOW-5)** — a candidate is the same cause as the new application when it is not
rejected or merged, has the **same sub-type**, and either

1. **same incident**: the same incident date (``incident.occurred_on``); or
2. **same expenditure episode**: both are expenditure cases (R-CAT-2), the earlier incident was declared
   *still ongoing*, and the new incident date is on or after the earlier one and at most
   ``repeat_episode_days`` (intake policy data) later — e.g. more bills for the same hospitalisation or the
   same school year's costs.

A same-cause application is refused (409 problem+json naming the earlier case); the household amends the
earlier case instead (a new revision, re-assessed). A rejected earlier case does not block a new
application (nobody was helped); a merged one is represented by the case it was merged into.

**Duplicate flags** (not refusals) for the remaining candidates:

- ``person_in_open_case``: a member is in another case not yet decided (held, submitted, assessed,
  reviewed or returned);
- ``household_being_helped``: a member is in a case approved within ``helping_window_days``.

A flagged case is held: it is not published for assessment until a supervisor clears it (or merges it
into the other case) with a recorded reason.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from enum import StrEnum

from services.intake.domain.model import ApplicationStatus as S

OPEN = frozenset({S.held, S.submitted, S.assessed, S.reviewed, S.returned})
"""Statuses of a case that is not decided yet."""
ENDED = frozenset({S.rejected, S.merged})


class FlagKind(StrEnum):
    person_in_open_case = "person_in_open_case"
    household_being_helped = "household_being_helped"


@dataclass(frozen=True)
class Candidate:
    """An earlier case sharing at least one person with the new application (no personal data)."""

    id: str
    case_no: str
    status: S
    category: str
    subtype: str
    incident_date: date
    incident_ongoing: bool
    decided_at: datetime | None = None
    county_code: str | None = None
    township_code: str | None = None
    """Where the earlier case is: a clerk elsewhere learns only this office, never the case (R-FLOW-5)."""


@dataclass(frozen=True)
class NewCase:
    category: str
    subtype: str
    incident_date: date


def same_cause(earlier: Candidate, new: NewCase, *, repeat_episode_days: int) -> bool:
    """R-FLOW-5: see the module docstring for the definition."""
    if earlier.status in ENDED or earlier.subtype != new.subtype:
        return False
    if earlier.incident_date == new.incident_date:
        return True
    return (
        new.category == "expenditure"
        and earlier.category == "expenditure"
        and earlier.incident_ongoing
        and earlier.incident_date
        <= new.incident_date
        <= earlier.incident_date + timedelta(days=repeat_episode_days)
    )


def repeat_of(candidates: list[Candidate], new: NewCase, *, repeat_episode_days: int) -> Candidate | None:
    """The earliest candidate with the same cause, if any (R-FLOW-5)."""
    same = [c for c in candidates if same_cause(c, new, repeat_episode_days=repeat_episode_days)]
    return min(same, key=lambda c: (c.incident_date, c.case_no)) if same else None


def flags(
    candidates: list[Candidate], *, now: datetime, helping_window_days: int
) -> list[tuple[FlagKind, Candidate]]:
    """Duplicate flags for the new application: one per flagged earlier case."""
    out: list[tuple[FlagKind, Candidate]] = []
    for c in candidates:
        if c.status in OPEN:
            out.append((FlagKind.person_in_open_case, c))
        elif (
            c.status == S.approved
            and c.decided_at is not None
            and c.decided_at >= now - timedelta(days=helping_window_days)
        ):
            out.append((FlagKind.household_being_helped, c))
    return out
