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
    attempt: int = 1
    """Re-issues after a failed or returned transfer keep the reference and count attempts."""
    funding: str = "budget"
    """budget (county budget) or reserve (township reserve fund, R-RES, for help first)."""
    kind: str = "stage"
    """stage (R-FLOW-4), help_first (R-FLOW-2) or correction."""


@event("gov.assistance.disbursement.payment-result-recorded.v1")
class PaymentResultRecorded(Event):
    """A bank result (paid / failed / returned) or a direct handover (R-AID-2) of one payment."""

    case_id: str
    instruction_id: str
    reference: str
    stage: int
    attempt: int
    result: str
    amount: Money
    channel: str
    recorded_at: datetime


@event("gov.assistance.disbursement.payment-given-up.v1")
class PaymentGivenUp(Event):
    """A failed, returned or unfunded payment the finance office gave up (terminal, R-OVS-3): it will never
    be paid, so what approval committed for it is released; a reserve-fund draw went back to the fund."""

    case_id: str
    instruction_id: str
    reference: str
    stage: int
    attempts: int
    amount: Money
    funding: str
    previous_status: str
    """failed, returned or unfunded."""
    reason: str
    given_up_at: datetime


@event("gov.assistance.disbursement.payment-corrected.v1")
class PaymentCorrected(Event):
    """A wrong payment reversed by a ledger entry and replaced by a new instruction (history is never
    edited)."""

    case_id: str
    reversed_instruction_id: str
    new_instruction_id: str
    reversed_amount: Money
    new_amount: Money
    reason: str
    corrected_at: datetime


@event("gov.assistance.disbursement.payee-change-approved.v1")
class PayeeChangeApproved(Event):
    """A beneficiary's account change approved by a second person (R-AID-2). No account data: only which
    payments now go to the new account (newly scheduled ones; failed/returned ones on their next retry)."""

    case_id: str
    change_id: str
    requested_by: str
    approved_by: str
    scheduled_instruction_ids: list[str] = []
    awaiting_retry_instruction_ids: list[str] = []
    approved_at: datetime
