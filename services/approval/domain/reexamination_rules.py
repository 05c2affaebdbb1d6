"""Re-examination (复核) and complaints, the pure rules (R-REX-1..4).

- R-REX-1: within the county's window after the decision notice the applicant may ask for a re-examination
  of a refusal or of an approval's amount; one open at a time. The notice date is the local date of the
  decision being contested (approval does not see when the letter reached the household, so the window
  runs from the earliest day it can have been given: never longer than the county means it to be).
- R-REX-2: decided by an officer who took no part in the decision (reviewer, decider, earlier
  re-examiners), at the same level as the first decision or higher (a county decision: the county).
- R-REX-3: a changed amount pays exactly the difference; a lower amount claws nothing back.
- R-REX-4: complaints have a deadline counted from the day they were filed.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal

from services.approval.domain.model import ComplaintStatus, CurrentDecision, Ground, Opinion
from services.approval.domain.tiers import Level

LEVEL_RANK = {Level.township: 0, Level.county: 1}
WAITING = (ComplaintStatus.open, ComplaintStatus.assigned)
"""A complaint not yet answered: it can be (re-)assigned or answered, and is overdue past its deadline."""


@dataclass(frozen=True, slots=True)
class TicketStep:
    """R-REX-4: one move of a complaint ticket: the statuses it may start from and the one it ends in (whose
    ``<status>_by`` / ``<status>_at`` record who moved it and when)."""

    to: ComplaintStatus
    allowed: tuple[ComplaintStatus, ...]
    refusal: str
    """What the 409 says cannot be done."""

    def allows(self, status: ComplaintStatus) -> bool:
        return status in self.allowed


ASSIGN = TicketStep(ComplaintStatus.assigned, WAITING, "assign it")
ANSWER = TicketStep(ComplaintStatus.answered, WAITING, "answer it")
CLOSE = TicketStep(ComplaintStatus.closed, (ComplaintStatus.answered,), "close it before it is answered")


def channel(is_system: bool, township_code: str | None) -> str:
    """How a request or complaint came in: a government system on the applicant's behalf, or the township's
    (else the county's) office."""
    if is_system:
        return "gov_system"
    return "township" if township_code else "county"


def window_closes_on(notice_on: date, window_days: int) -> date:
    """The last day a request is in time (the notice day is day 0)."""
    return notice_on + timedelta(days=window_days)


def in_window(today: date, notice_on: date, window_days: int) -> bool:
    return today <= window_closes_on(notice_on, window_days)


def due_on(start: date, days: int) -> date:
    """A deadline ``days`` calendar days after ``start`` (that day itself is still in time)."""
    return start + timedelta(days=days)


def ground_fits(ground: Ground, current: CurrentDecision) -> bool:
    """A refusal is contested as a refusal; an approval only for its amount."""
    if ground is Ground.refusal:
        return current.decision is Opinion.rejected
    return current.decision is Opinion.approved


def took_part(officer: str, current: CurrentDecision) -> bool:
    return officer in current.took_part


def level_suffices(acting: Level, first: Level) -> bool:
    """The same level as the first decision, or higher."""
    return LEVEL_RANK[acting] >= LEVEL_RANK[first]


def difference(before: Decimal, after: Decimal) -> tuple[Decimal, Decimal]:
    """(difference to pay, amount not recovered): a raise pays exactly the difference; a reduction is
    recorded as not recovered, nothing already paid is clawed back (R-REX-3)."""
    delta = after - before
    return delta, (-delta if delta < 0 else Decimal("0.00"))
