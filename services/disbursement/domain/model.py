"""Disbursement's typed entities and statuses: what the repository returns (never rows), in the language of
the payments (R-AID-2), the reserve funds (R-RES), the ledger (R-OVS-3) and the bank files."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from enum import StrEnum

from services.disbursement.domain.reserve_rules import Frequency, ReportStatus, TopUpStatus, YearEnd

PAYEE = "disbursement.payee"
"""Encryption context of a sealed payee (name, bank, account)."""
RECIPIENT = "disbursement.handover.recipient"
"""Encryption context of the recipient's name of a direct handover."""
PAYER = "disbursement.bank.payer_account"
"""Encryption context of a county's payer account."""
HELP_FIRST_STAGE = 0
"""The stage of the help-first payment (R-FLOW-2); 1.. are the approved stages (R-FLOW-4)."""
REEXAMINATION_STAGE = 100
"""Stage REEXAMINATION_STAGE + n: the difference paid after the case's n-th re-examination (R-REX-3)."""


class PaymentStatus(StrEnum):
    scheduled = "scheduled"
    unfunded = "unfunded"
    awaiting_handover = "awaiting_handover"
    paid = "paid"
    failed = "failed"
    returned = "returned"
    reversed = "reversed"
    given_up = "given_up"
    """Terminal: a failed, returned or unfunded payment the finance office stopped trying (R-OVS-3: its
    commitment is released in approval's budget, its reserve draw back in the fund, the case flagged)."""


class AttemptStatus(StrEnum):
    sent = "sent"
    paid = "paid"
    failed = "failed"
    returned = "returned"


class ChangeStatus(StrEnum):
    pending = "pending"
    approved = "approved"
    rejected = "rejected"
    superseded = "superseded"


class BatchStatus(StrEnum):
    created = "created"
    approved = "approved"
    released = "released"
    reconciled = "reconciled"
    cancelled = "cancelled"


class DeliveryStatus(StrEnum):
    pending = "pending"
    delivered = "delivered"
    failed = "failed"


class ExceptionStatus(StrEnum):
    open = "open"
    resolved = "resolved"


class CheckStatus(StrEnum):
    open = "open"
    done = "done"


@dataclass(frozen=True, slots=True)
class Place:
    """Where a case or record belongs (its jurisdiction)."""

    county_code: str
    township_code: str | None


@dataclass(frozen=True, slots=True)
class Beneficiary:
    case_id: str
    county_code: str
    township_code: str
    payee: str | None
    """Sealed (context PAYEE); None until an account is known."""
    created_at: datetime
    case_no: str | None


@dataclass(frozen=True, slots=True)
class PayeeChange:
    id: str
    case_id: str
    old_payee: str | None
    new_payee: str
    status: ChangeStatus
    requested_by: str
    reason: str
    requested_at: datetime
    decided_by: str | None
    decision_reason: str | None
    decided_at: datetime | None


@dataclass(frozen=True, slots=True)
class Stage:
    seq: int
    amount: Decimal
    due_on: date


@dataclass(frozen=True, slots=True)
class ApprovedCase:
    case_id: str
    form: str
    amount: Decimal
    stages: tuple[Stage, ...]
    decided_at: datetime
    help_first_amount: Decimal


@dataclass(frozen=True, slots=True)
class HelpFirstGrant:
    case_id: str
    grant_id: str
    county_code: str
    township_code: str
    form: str
    channel: str
    amount: Decimal
    granted_by: str
    granted_at: datetime


@dataclass(frozen=True, slots=True)
class PaymentInstruction:
    id: str
    case_id: str
    stage: int
    reference: str
    amount: Decimal
    channel: str
    payee: str | None
    status: PaymentStatus
    due_on: date
    created_at: datetime
    kind: str
    form: str
    funding: str
    county_code: str
    township_code: str
    attempts: int
    correction_of: str | None
    fund_entry_id: int | None
    status_reason: str | None
    paid_at: datetime | None
    updated_at: datetime


@dataclass(frozen=True, slots=True)
class PaymentAttempt:
    id: int
    instruction_id: str
    attempt: int
    channel: str
    payee: str | None
    status: AttemptStatus
    reason: str | None
    actor: str | None
    sent_at: datetime
    result_at: datetime | None


@dataclass(frozen=True, slots=True)
class Handover:
    id: str
    instruction_id: str
    case_id: str
    kind: str
    items: str
    value: Decimal
    procurement_reference: str | None
    recipient: str
    handed_over_by: str
    witness: str
    handed_over_at: datetime


@dataclass(frozen=True, slots=True)
class PaidPayment:
    """A paid instruction with its case number (the public disclosure)."""

    instruction: PaymentInstruction
    case_no: str | None


@dataclass(frozen=True, slots=True)
class ReserveFund:
    township_code: str
    year: int
    county_code: str
    proportion: Decimal
    previous_year_spending: Decimal
    spending_source: str
    allocated: Decimal
    balance: Decimal
    allocation_entry_id: int | None
    actor: str
    created_at: datetime
    updated_at: datetime


@dataclass(frozen=True, slots=True)
class LedgerEntry:
    id: int
    at: datetime
    kind: str
    fund: str
    amount: Decimal
    county_code: str
    township_code: str | None
    case_id: str | None
    instruction_id: str | None
    reference: str | None
    source_entry_id: int | None
    reverses_id: int | None
    memo: str | None
    actor: str | None


@dataclass(frozen=True, slots=True)
class BankSettings:
    county_code: str
    effective_from: date
    bank_format: str
    payer_account: str
    """Sealed (context PAYER)."""
    payer_name: str
    receipt_sample_rate: Decimal
    receipt_seed: str
    set_by: str
    set_at: datetime


@dataclass(frozen=True, slots=True)
class BankBatch:
    id: str
    batch_no: str
    county_code: str
    township_code: str | None
    batch_date: date
    bank_format: str
    status: BatchStatus
    item_count: int
    total_amount: Decimal
    file_sha256: str
    created_by: str
    created_at: datetime
    approved_by: str | None
    approved_at: datetime | None
    released_by: str | None
    released_at: datetime | None
    delivery: DeliveryStatus
    delivery_error: str | None
    delivered_at: datetime | None


@dataclass(frozen=True, slots=True)
class BatchableTransfer:
    """A bank transfer due whose current attempt is sent and in no batch yet."""

    id: str
    reference: str
    amount: Decimal
    case_id: str
    attempt: int
    payee: str


@dataclass(frozen=True, slots=True)
class BatchItem:
    """One line of a batch file, with its attempt's payee and the instruction's place and status."""

    batch_id: str
    seq: int
    instruction_id: str
    attempt: int
    reference: str
    amount: Decimal
    payee: str
    attempt_status: AttemptStatus
    case_id: str
    county_code: str
    township_code: str
    payment_status: PaymentStatus


@dataclass(frozen=True, slots=True)
class ImportedReturnFile:
    id: str
    file_sha256: str
    batch_id: str
    return_date: date
    line_count: int
    paid: int
    failed: int
    returned: int
    exceptions: int
    unchanged: int
    imported_by: str
    imported_at: datetime


@dataclass(frozen=True, slots=True)
class FetchedReturn:
    """One file of the bank's SFTP outbox and what its import did: ``imported``, ``already_imported``
    (its SHA-256 was imported before: nothing changed), ``refused`` (malformed, or not this caller's)."""

    name: str
    outcome: str
    return_file_id: str | None = None
    detail: str | None = None


@dataclass(frozen=True, slots=True)
class ImportedReturnLine:
    return_file_id: str
    line_no: int
    reference: str
    amount: Decimal
    status: str
    reason_code: str | None
    reason_text: str | None
    outcome: str
    instruction_id: str | None


@dataclass(frozen=True, slots=True)
class ReconciliationException:
    id: int
    kind: str
    county_code: str
    township_code: str | None
    return_file_id: str | None
    statement_id: str | None
    line_no: int | None
    instruction_id: str | None
    receipt_check_id: str | None
    detail: str
    status: ExceptionStatus
    created_at: datetime
    resolved_by: str | None
    resolution: str | None
    resolved_at: datetime | None


@dataclass(frozen=True, slots=True)
class ReceiptCheck:
    id: str
    instruction_id: str
    case_id: str
    county_code: str
    township_code: str
    reference: str
    amount: Decimal
    status: CheckStatus
    created_at: datetime
    outcome: str | None
    note: str | None
    checked_by: str | None
    checked_at: datetime | None
    case_no: str | None = None
    """Joined from the beneficiary where a list shows it."""


@dataclass(frozen=True, slots=True)
class ImportedStatement:
    id: str
    file_sha256: str
    county_code: str
    period_start: date
    period_end: date
    line_count: int
    matched: int
    exceptions: int
    imported_by: str
    imported_at: datetime


@dataclass(frozen=True, slots=True)
class PaidItem:
    """A batch item the bank reported paid (the statement's expected debits)."""

    instruction_id: str
    reference: str
    amount: Decimal
    township_code: str


# --- reserve-fund reports, top-ups, year-end settlements (R-RES-2, migration disbursement_reserve) ---


@dataclass(frozen=True, slots=True)
class ReserveSettings:
    """A county's reserve-fund reporting policy from a date on (effective-dated)."""

    county_code: str
    effective_from: date
    report_frequency: Frequency
    grace_days: int
    year_end: YearEnd
    set_by: str
    set_at: datetime


@dataclass(frozen=True, slots=True)
class CaseFacts:
    case_id: str
    case_no: str | None
    category: str | None


@dataclass(frozen=True, slots=True)
class ReserveReport:
    id: str
    county_code: str
    township_code: str
    year: int
    period: str
    frequency: Frequency
    period_start: date
    period_end: date
    due_on: date
    status: ReportStatus
    revision: int
    opening: Decimal
    closing: Decimal
    figures: dict[str, object]
    """The report's lines as submitted (totals per column, per-case draws, ledger entry ids)."""
    submitted_by: str
    first_submitted_at: datetime
    submitted_at: datetime
    on_time: bool
    acknowledged_by: str | None
    acknowledged_at: datetime | None


@dataclass(frozen=True, slots=True)
class ReportEvent:
    id: int
    report_id: str
    kind: str
    revision: int
    actor: str
    text: str | None
    figures: dict[str, object] | None
    """The report's figures as that revision submitted them (kept when a resubmission replaces them)."""
    at: datetime


@dataclass(frozen=True, slots=True)
class TopUp:
    id: str
    county_code: str
    township_code: str
    year: int
    amount: Decimal
    reason: str
    status: TopUpStatus
    requested_by: str
    requested_at: datetime
    decided_by: str | None
    decided_at: datetime | None
    decision_note: str | None
    entry_id: int | None


@dataclass(frozen=True, slots=True)
class Settlement:
    township_code: str
    year: int
    county_code: str
    policy: YearEnd
    amount: Decimal
    entry_id: int | None
    carried_in_entry_id: int | None
    settled_by: str
    settled_at: datetime


@dataclass(frozen=True, slots=True)
class OverdueReport:
    """R-RES-2: an ended period past its due day (period end + the county's grace days), not reported."""

    county_code: str
    township_code: str
    period: str
    period_end: date
    due_on: date
    days_overdue: int


@dataclass(frozen=True, slots=True)
class Redecision:
    """A re-examination that changed the amount (R-REX-3), and the instruction paying its difference."""

    reexamination_id: str
    case_id: str
    seq: int
    form: str
    amount_before: Decimal
    amount_after: Decimal
    difference: Decimal
    not_recovered: Decimal
    decided_by: str
    decided_at: datetime
    instruction_id: str | None
    recorded_at: datetime
