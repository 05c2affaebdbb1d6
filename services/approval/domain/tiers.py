"""Tiered approval (R-FLOW-3): a township approves within its limit; above it the county approves."""

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
