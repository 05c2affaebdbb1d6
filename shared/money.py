"""Money in CNY as exact decimals, quantised to the fen (0.01). Never floats."""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal
from typing import Annotated

from pydantic import AfterValidator, Field

FEN = Decimal("0.01")


def to_fen(value: Decimal | int | str) -> Decimal:
    """Quantise to the fen, rounding half up (the bank's rule); refuse floats."""
    if isinstance(value, float):
        raise TypeError("money must not be a float")
    return Decimal(value).quantize(FEN, rounding=ROUND_HALF_UP)


def _exact_fen(value: Decimal) -> Decimal:
    if value != value.quantize(FEN):
        raise ValueError("amount has more precision than one fen (0.01)")
    return value.quantize(FEN)


Money = Annotated[Decimal, Field(ge=0, max_digits=14, decimal_places=2), AfterValidator(_exact_fen)]
"""A non-negative CNY amount with at most two decimals, as used in request and event payloads."""

ZERO = Decimal("0.00")
