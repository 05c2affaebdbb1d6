"""Township reserve fund (R-RES) and payment rules (R-AID-2: states, the stable reference): pure, no
framework."""

from __future__ import annotations

from decimal import Decimal

from services.disbursement.domain.model import PaymentStatus
from shared.money import to_fen

PAYMENT_STATES = tuple(PaymentStatus)

# Bank result per current state: which results may be recorded (R-AID-2, never paid twice).
_ALLOWED_RESULTS: dict[PaymentStatus, set[str]] = {
    PaymentStatus.scheduled: {PaymentStatus.paid, PaymentStatus.failed},
    PaymentStatus.paid: {PaymentStatus.returned},
}
RETRYABLE = frozenset({PaymentStatus.failed, PaymentStatus.returned, PaymentStatus.unfunded})
"""Failed or returned transfers are re-issued; an unfunded help-first payment retries its draw."""
GIVABLE_UP = RETRYABLE
"""R-OVS-3: only a payment that is waiting for a retry may be given up (never a scheduled or paid one)."""


def payment_reference(case_id: str, stage: int) -> str:
    """Stable across retries and redeliveries: the bank rejects a second instruction with it."""
    return f"TA-{case_id.replace('-', '')[:24]}-{stage:02d}"


def reexamination_reference(case_id: str, seq: int) -> str:
    """R-REX-3: the difference after the n-th re-examination has its own stable reference."""
    return f"TA-{case_id.replace('-', '')[:24]}-R{seq:02d}"


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
    return result in _ALLOWED_RESULTS.get(PaymentStatus(status), set())


def retry_allowed(status: str) -> bool:
    """Failed or returned transfers are re-issued; an unfunded help-first payment retries its draw."""
    return status in RETRYABLE


def give_up_allowed(status: str) -> bool:
    """A failed, returned or unfunded payment may be given up; nothing else (R-OVS-3)."""
    return status in GIVABLE_UP
