"""The structured needs assessment at intake (R-AID-1, R-CHA-1): every need of the household, for
emergencies too, each type once; money needs (living, housing repair, goods, medical, education) state
their amount, service needs (care, employment, psychological, legal) may."""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal
from typing import Protocol

from shared.contracts.common import MONEY_NEED_TYPES, NeedType


class _Need(Protocol):
    @property
    def need_type(self) -> NeedType: ...

    @property
    def amount(self) -> Decimal | None: ...


def needs_problem(needs: Sequence[_Need]) -> str | None:
    """What is wrong with a stated needs assessment, or None (a 422 naming ``needs``)."""
    seen: set[NeedType] = set()
    for i, need in enumerate(needs):
        if need.need_type in seen:
            return f"needs[{i}]: {need.need_type.value} is stated twice (one entry per need type)"
        seen.add(need.need_type)
        if need.need_type in MONEY_NEED_TYPES and need.amount is None:
            return f"needs[{i}]: a {need.need_type.value} need states its amount (R-AID-1)"
        if need.amount is not None and need.amount <= 0:
            return f"needs[{i}]: the amount must be greater than zero"
    return None
