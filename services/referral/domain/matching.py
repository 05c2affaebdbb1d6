"""Charity projects (需求导向, R-CHA-1): a partner publishes projects — the need types they meet, their area
(the county or named townships), capacity (households), budget, period and eligibility — and a needs record
is offered to the project that fits it best, not to the first registered partner.

A project is *eligible* for a record when it is open, its partner is active and was not offered the record
before, the record's need type is one of the project's, the area names the record's township or county, today
lies in its period, a place is left (capacity − places held by open offers − places taken) and budget is
left, and the case meets its eligibility (categories, sub-types, largest household).

Eligible projects are ordered by ``fit_key``, best first — lexicographically:
1. area: a project naming the household's township before one covering the whole county (closer help);
2. budget: one whose remaining budget covers the whole amount asked before one that covers part;
3. capacity: the larger share of places still free (spreads households, keeps small projects for fits);
4. period: the one ending soonest (its budget lapses first);
5. publication order (the project's sequence number), so the ordering is total and repeatable.

Capacity: an open offer holds a place; acceptance takes it (and commits the amount asked against the
budget); a decline or an expired offer frees the held place; a cancelled accepted task frees the taken
place. A project closes when it is full (every place taken), its budget is committed, or its period ended."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from enum import StrEnum
from typing import Any

from shared.money import ZERO


class ProjectStatus(StrEnum):
    open = "open"
    closed = "closed"


class ClosedReason(StrEnum):
    full = "full"
    ended = "ended"
    budget_spent = "budget_spent"
    withdrawn = "withdrawn"


@dataclass(frozen=True, slots=True)
class Fit:
    """What matching needs to know of a project (a subset of the entity)."""

    id: str
    seq: int
    need_types: list[str]
    areas: list[str]
    capacity: int
    places_held: int
    places_taken: int
    budget: Decimal
    budget_committed: Decimal
    starts_on: date
    ends_on: date
    eligibility: dict[str, Any]


@dataclass(frozen=True, slots=True)
class CaseFacts:
    """What of a case a project's eligibility may ask about (no personal data)."""

    need_type: str
    county_code: str
    township_code: str
    amount: Decimal
    category: str | None
    subtype: str | None
    household_size: int


def places_left(p: Fit) -> int:
    return max(0, p.capacity - p.places_held - p.places_taken)


def budget_left(p: Fit) -> Decimal:
    return max(ZERO, p.budget - p.budget_committed)


def meets_eligibility(rules: dict[str, Any], case: CaseFacts) -> bool:
    """A project's eligibility: optional lists of categories and sub-types, an optional largest household."""
    if rules.get("categories") and case.category not in rules["categories"]:
        return False
    if rules.get("subtypes") and case.subtype not in rules["subtypes"]:
        return False
    largest = rules.get("max_household_size")
    return largest is None or case.household_size <= int(largest)


def eligible(p: Fit, case: CaseFacts, today: date) -> bool:
    return (
        case.need_type in p.need_types
        and (case.township_code in p.areas or case.county_code in p.areas)
        and p.starts_on <= today <= p.ends_on
        and places_left(p) > 0
        and budget_left(p) > ZERO
        and meets_eligibility(p.eligibility, case)
    )


def fit_key(p: Fit, case: CaseFacts) -> tuple[int, int, Decimal, date, int]:
    """Smaller is better (see the module docstring for the order)."""
    area = 0 if case.township_code in p.areas else 1
    budget = 0 if budget_left(p) >= case.amount else 1
    free_share = Decimal(places_left(p)) / Decimal(p.capacity) if p.capacity else ZERO
    return (area, budget, -free_share, p.ends_on, p.seq)


def rank(projects: list[Fit], case: CaseFacts, today: date) -> list[Fit]:
    """The eligible projects, best fit first."""
    return sorted((p for p in projects if eligible(p, case, today)), key=lambda p: fit_key(p, case))


def closing_reason(p: Fit, today: date) -> ClosedReason | None:
    """Why an open project closes now, or None."""
    if p.ends_on < today:
        return ClosedReason.ended
    if p.places_taken >= p.capacity:
        return ClosedReason.full
    if budget_left(p) <= ZERO:
        return ClosedReason.budget_spent
    return None
