"""Township reserve fund (R-RES) and payment state rules (R-AID-2): pure arithmetic, no framework."""

from __future__ import annotations

from decimal import Decimal

from shared.money import to_fen

PAYMENT_STATES = ("scheduled", "unfunded", "awaiting_handover", "paid", "failed", "returned", "reversed")

# Bank result per current state: which results may be recorded (R-AID-2, never paid twice).
_ALLOWED_RESULTS = {
    "scheduled": {"paid", "failed"},
    "paid": {"returned"},
}


def yearly_allocation(proportion: Decimal, previous_year_spending: Decimal) -> Decimal:
    """R-RES-1: allocation = county-set proportion × the township's previous-year assistance spending,
    rounded to the fen."""
    if proportion < 0 or proportion > 1:
        raise ValueError("proportion must be between 0 and 1")
    if previous_year_spending < 0:
        raise ValueError("spending cannot be negative")
    return to_fen(proportion * previous_year_spending)


def balance_after_draw(balance: Decimal, amount: Decimal) -> Decimal | None:
    """The balance after drawing ``amount``, or None if it would go negative (R-RES: never negative)."""
    if amount <= 0:
        raise ValueError("a draw must be positive")
    rest = balance - amount
    return rest if rest >= 0 else None


def result_allowed(status: str, result: str) -> bool:
    return result in _ALLOWED_RESULTS.get(status, set())


def retry_allowed(status: str) -> bool:
    """Failed or returned transfers are re-issued; an unfunded help-first payment retries its draw."""
    return status in ("failed", "returned", "unfunded")
