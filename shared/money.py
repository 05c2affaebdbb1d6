"""Money in CNY as exact decimals, quantised to the fen (0.01). Never floats."""

from __future__ import annotations

import re
from decimal import ROUND_HALF_UP, Decimal
from typing import Annotated, Any

from pydantic import AfterValidator, BeforeValidator, Field

FEN = Decimal("0.01")
_PLAIN = re.compile(r"-?[0-9]{1,14}(\.[0-9]{1,14})?")


def to_fen(value: Decimal | int | str) -> Decimal:
    """Quantise to the fen, rounding half up (the bank's rule); refuse floats."""
    if isinstance(value, float):
        raise TypeError("money must not be a float")
    return Decimal(value).quantize(FEN, rounding=ROUND_HALF_UP)


def _exact_fen(value: Decimal) -> Decimal:
    if value != value.quantize(FEN):
        raise ValueError("amount has more precision than one fen (0.01)")
    return value.quantize(FEN)


def _plain_digits(value: Any) -> Any:
    """An amount given as text is plain ASCII decimal notation ("1234.50"): Python's Decimal would also
    take full-width or Arabic-Indic digits, exponents and surrounding spaces, which no bank file shows."""
    if isinstance(value, str) and not _PLAIN.fullmatch(value):
        raise ValueError(
            "an amount is written with the digits 0-9 and at most one decimal point, e.g. 1234.50"
        )
    return value


Money = Annotated[
    Decimal,
    Field(ge=0, max_digits=14, decimal_places=2),
    BeforeValidator(_plain_digits),  # after the Field: the constraints stay in the JSON schema
    AfterValidator(_exact_fen),
]
"""A non-negative CNY amount with at most two decimals, as used in request and event payloads."""

ZERO = Decimal("0.00")
