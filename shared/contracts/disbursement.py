"""Events published by disbursement on ``<prefix>.disbursement.v1``."""

from __future__ import annotations

from datetime import date, datetime

from shared.events import Event, event
from shared.money import Money


@event("gov.assistance.disbursement.payment-scheduled.v1")
class PaymentScheduled(Event):
    case_id: str
    instruction_id: str
    reference: str
    """Stable idempotent reference sent to the bank: the same stage of the same case never pays twice."""
    stage: int
    amount: Money
    channel: str
    due_on: date
    scheduled_at: datetime
