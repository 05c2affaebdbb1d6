"""Amending and cancelling purchased-service contracts (政府购买服务, R-CHA-3): pure rules.

A contract's terms (budget, target volume per need type, end of period) are revisions: revision 0 is the
contract as signed (in force from its start), each amendment a new revision with its effective date. The
terms **in force on a day** are those of the latest revision whose effective date is on or before that day
(revision 0 before the first amendment takes effect). Effective dates never go back (an amendment takes
effect on or after the latest one's date), so the latest revision is also the one in force from its date on
and the history reads in order. An amendment extends, never shortens, the period: ending early is a
cancellation, which counts nothing from its effective date on (the contract counts its offers up to the day
before) and after which the contract is read-only."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

from services.referral.domain.errors import BudgetBelowSpent, ContractCancelled
from services.referral.domain.model import Contract, ContractAmendment, ContractCancellation
from shared.domain_errors import InvalidValue

__all__ = [
    "ContractView",
    "Terms",
    "amendment_changes",
    "check_amendment",
    "check_budget",
    "check_cancellation",
    "targets_of",
]


@dataclass(frozen=True, slots=True)
class Terms:
    """One revision of a contract's terms; revision 0 is the contract as signed."""

    revision: int
    effective_on: date
    budget: Decimal
    ends_on: date
    targets: list[dict[str, Any]]


@dataclass(frozen=True, slots=True)
class ContractView:
    """A contract with its amendments (revision order) and its cancellation, if any."""

    contract: Contract
    amendments: list[ContractAmendment] = field(default_factory=list)
    cancellation: ContractCancellation | None = None

    @property
    def signed(self) -> Terms:
        c = self.contract
        return Terms(0, c.starts_on, c.budget, c.ends_on, c.targets)

    @property
    def revisions(self) -> list[Terms]:
        amended = [Terms(a.revision, a.effective_on, a.budget, a.ends_on, a.targets) for a in self.amendments]
        return [self.signed, *amended]

    @property
    def latest(self) -> Terms:
        return self.revisions[-1]

    def in_force(self, day: date) -> Terms:
        """The latest revision effective on or before ``day``; the terms as signed before any other."""
        found = self.signed
        for terms in self.revisions[1:]:
            if terms.effective_on <= day:
                found = terms
        return found

    def counted_until(self, day: date) -> date:
        """The last day whose offers count towards the contract as of ``day``: the end of the period in
        force on ``day``, not after ``day`` itself, and the day before a cancellation takes effect."""
        last = min(self.in_force(day).ends_on, day)
        if self.cancellation is not None:
            last = min(last, self.cancellation.effective_on - timedelta(days=1))
        return last

    @property
    def holds_until(self) -> date:
        """The last day the contract holds for its partner and county (one contract per day): the latest
        revision's end, or the day before its cancellation took effect."""
        last = self.latest.ends_on
        if self.cancellation is not None:
            last = min(last, self.cancellation.effective_on - timedelta(days=1))
        return last


def _refuse_if_cancelled(view: ContractView) -> None:
    if view.cancellation is not None:
        raise ContractCancelled(view.contract.id, view.cancellation.effective_on.isoformat())


def check_amendment(view: ContractView, effective_on: date) -> Terms:
    """The terms an amendment effective on ``effective_on`` changes (the latest revision), or the refusal:
    a cancelled contract (409); a date before the start, after the end or before the latest amendment's
    (422 naming ``effective_on``)."""
    _refuse_if_cancelled(view)
    latest = view.latest
    if effective_on < view.contract.starts_on:
        raise InvalidValue("effective_on", f"before the contract's start ({view.contract.starts_on})")
    if effective_on > latest.ends_on:
        raise InvalidValue("effective_on", f"after the contract's end ({latest.ends_on})")
    if effective_on < latest.effective_on:
        raise InvalidValue(
            "effective_on", f"before revision {latest.revision}'s effective date ({latest.effective_on})"
        )
    return latest


def targets_of(targets: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [{"need_type": str(t["need_type"]), "volume": int(t["volume"])} for t in targets]


def amendment_changes(current: Terms, wanted: dict[str, Any]) -> dict[str, Any]:
    """``{field: {"from": old, "to": new}}`` of what ``wanted`` (budget, ends_on, targets; absent: kept)
    changes; an end of period not later than the current one (ending early is a cancellation) or nothing
    changed is a 422 naming the field."""
    changes: dict[str, Any] = {}
    budget = wanted.get("budget")
    if budget is not None and Decimal(budget) != current.budget:
        changes["budget"] = {"from": str(current.budget), "to": str(Decimal(budget))}
    ends_on = wanted.get("ends_on")
    if ends_on is not None:
        if ends_on <= current.ends_on:
            raise InvalidValue(
                "ends_on",
                f"an amendment extends the period beyond {current.ends_on}; to end early, cancel it",
            )
        changes["ends_on"] = {"from": current.ends_on.isoformat(), "to": ends_on.isoformat()}
    targets = wanted.get("targets")
    if targets is not None and targets_of(targets) != targets_of(current.targets):
        changes["targets"] = {"from": targets_of(current.targets), "to": targets_of(targets)}
    if not changes:
        raise InvalidValue("body", "the amendment changes none of budget, ends_on and targets")
    return changes


def check_budget(budget: Decimal, spent: Decimal, committed: Decimal) -> None:
    """A budget may not go below what was delivered and what accepted offers still hold (409)."""
    if budget < spent + committed:
        raise BudgetBelowSpent(str(budget), str(spent), str(committed))


def check_cancellation(view: ContractView, effective_on: date) -> None:
    """A cancellation takes effect within the contract's period (on its start day at the earliest, on the
    last day of the terms in force that day at the latest: 422 naming ``effective_on``), once (409)."""
    _refuse_if_cancelled(view)
    if effective_on < view.contract.starts_on:
        raise InvalidValue("effective_on", f"before the contract's start ({view.contract.starts_on})")
    ends_on = view.in_force(effective_on).ends_on
    if effective_on > ends_on:
        raise InvalidValue("effective_on", f"after the contract's end ({ends_on})")
