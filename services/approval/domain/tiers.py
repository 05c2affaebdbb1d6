"""Tiered approval (R-FLOW-3): counties delegate to townships an approval limit and a disbursement limit.

A case within the township's approval limit is approved by the township; above it the township reviews and
the county civil-affairs department approves. A township may grant help first (R-FLOW-2) up to its
disbursement limit; above it only the county may.
"""

from __future__ import annotations

from decimal import Decimal
from enum import StrEnum


class Level(StrEnum):
    township = "township"
    county = "county"


def approval_level(amount: Decimal, township_limit: Decimal | None) -> Level:
    """Exactly at the limit stays with the township; one fen above goes to the county.
    A township with no configured limit has no delegation: the county decides."""
    if township_limit is not None and amount <= township_limit:
        return Level.township
    return Level.county


def may_decide(role: Level, required: Level) -> bool:
    """The county may decide anything; a township only what is within its delegation."""
    return role is Level.county or required is Level.township


def help_first_allowed(role: Level, amount: Decimal, disbursement_limit: Decimal | None) -> bool:
    """R-FLOW-2 with R-FLOW-3: a township hands out help first within its disbursement limit."""
    if role is Level.county:
        return True
    return disbursement_limit is not None and amount <= disbursement_limit
