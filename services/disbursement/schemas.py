"""Disbursement's request and response models (pydantic): payments, payee changes, reserve funds and the
ledger, bank settings, batches, return files, statements, exceptions and receipt checks. Names and
accounts leave only masked; the recorded actor always comes from the access token."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from enum import StrEnum
from typing import Annotated, Literal

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field

from services.disbursement.domain.bankfile import DEFAULT_FORMAT, FORMATS
from services.disbursement.domain.reserve_rules import Frequency, ReportStatus, TopUpStatus, YearEnd
from shared.api import UUID_PATTERN
from shared.contracts.approval import Channel
from shared.money import Money

NO_NUL = r"^[^\x00]*$"


Actor = Annotated[
    str | None,
    Field(
        min_length=1,
        max_length=100,
        pattern=NO_NUL,
        description="Ignored: the caller identified by the access token is recorded",
    ),
]


Note = Annotated[str, Field(min_length=1, max_length=500, pattern=NO_NUL)]


class AllocationIn(BaseModel):
    """R-RES-1: the county's yearly allocation to a township's reserve fund."""

    model_config = ConfigDict(extra="forbid")
    county_code: Annotated[str, Field(pattern=r"^\d{6}$")]
    year: Annotated[int, Field(ge=2000, le=2100)]
    proportion: Annotated[Decimal, Field(ge=0, le=1, decimal_places=4)]
    """County-set proportion of the previous year's temporary-assistance spending."""
    previous_year_spending: Money | None = None
    """Declared by the county when the ledger does not hold the previous year (e.g. before go-live);
    otherwise computed from the ledger."""
    actor: Actor = None


class DrawIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    amount: Annotated[Money, Field(gt=0)]
    actor: Actor = None
    purpose: Note
    case_id: Annotated[str, Field(pattern=UUID_PATTERN)] | None = None


class Result(StrEnum):
    paid = "paid"
    failed = "failed"
    returned = "returned"


class ResultIn(BaseModel):
    """A bank's result for the current attempt, entered by the finance officer or sent by a bank callback."""

    model_config = ConfigDict(extra="forbid")
    result: Result
    actor: Actor = None
    reason: Note | None = None
    attempt: Annotated[int, Field(ge=0, le=1000)] | None = None
    """The attempt the result is for; a result for a superseded attempt is refused."""


class RetryIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    actor: Actor = None
    reason: Note
    channel: Channel | None = None
    """Re-route: e.g. direct handover in an emergency when the account keeps failing (R-AID-2)."""


class GiveUpIn(BaseModel):
    """R-OVS-3: stop trying a failed, returned or unfunded payment (why, in words; no personal data)."""

    model_config = ConfigDict(extra="forbid")
    actor: Actor = None
    reason: Note


class HandoverIn(BaseModel):
    """R-AID-2: cash or goods handed over directly, fully documented; R-AID-3: procurement reference."""

    model_config = ConfigDict(extra="forbid")
    actor: Actor = None
    """Who hands over: always the caller identified by the access token (a ``handed_over_by`` in the body
    is refused, 422), recorded as ``handed_over_by``."""
    witness_name: Annotated[str, Field(min_length=1, max_length=100, pattern=NO_NUL)]
    """The witness, by name (e.g. 'village committee: 王主任'): someone other than the person handing over."""
    recipient_name: Annotated[str, Field(min_length=1, max_length=100)]
    items: Annotated[str, Field(min_length=1, max_length=2000, pattern=NO_NUL)]
    """What was handed over: 'cash 2000.00 yuan' or the goods and quantities."""
    procurement_reference: Annotated[str, Field(min_length=1, max_length=100, pattern=NO_NUL)] | None = None
    handed_over_at: AwareDatetime | None = None


class CorrectionIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    actor: Actor = None
    reason: Note
    amount: Annotated[Money, Field(gt=0)]
    """The right amount, paid by a new instruction after the wrong payment is reversed."""


class PayeeChangeIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    name: Annotated[str, Field(min_length=1, max_length=100)]
    bank: Annotated[str, Field(min_length=1, max_length=100)]
    account: Annotated[str, Field(pattern=r"^\d{8,30}$")]
    actor: Actor = None
    reason: Note


class ChangeDecision(StrEnum):
    approved = "approved"
    rejected = "rejected"


class ChangeDecisionIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    decision: ChangeDecision
    actor: Actor = None
    reason: Note


class PayeeOut(BaseModel):
    name: str
    """Masked, e.g. 张*明."""
    bank: str
    account: str
    """Masked, e.g. 6222********3445."""


class PayeeChangeOut(BaseModel):
    id: str
    case_id: str
    status: str
    """pending, approved, rejected, or superseded (a later amendment of the application replaced it)."""
    old: PayeeOut | None
    new: PayeeOut | None
    requested_by: str
    reason: str
    requested_at: datetime
    decided_by: str | None
    decision_reason: str | None
    decided_at: datetime | None


class Outcome(StrEnum):
    arrived = "arrived"
    not_arrived = "not_arrived"
    unreachable = "unreachable"


class OutcomeIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    outcome: Outcome
    note: Note | None = None
    """How the household was asked (visit, phone) and what it said."""
    actor: Actor = None


class BankSettingsIn(BaseModel):
    """A county's bank settings from a date on (policy is data: versions are kept, never edited)."""

    model_config = ConfigDict(extra="forbid")
    effective_from: Annotated[date, Field(ge=date(2000, 1, 1), le=date(2100, 12, 31))]
    bank_format: Annotated[str, Field(description=f"One of: {', '.join(sorted(FORMATS))}")] = DEFAULT_FORMAT
    payer_account: Annotated[str, Field(pattern=r"^\d{8,30}$")]
    """The county finance bureau's account the transfers are paid from."""
    payer_name: Annotated[str, Field(min_length=1, max_length=30, pattern=r"^[^|\r\n\x00]+$")]
    receipt_sample_rate: Annotated[Decimal, Field(ge=0, le=1, decimal_places=4)] = Decimal("0.10")
    """Share of paid households asked whether the money arrived (到账核查)."""
    receipt_seed: Annotated[str, Field(pattern=r"^[A-Za-z0-9-]{8,64}$")] | None = None
    """Seed of the deterministic sample; a random one is chosen when not given."""
    actor: Actor = None


class BatchIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    county_code: Annotated[str, Field(pattern=r"^\d{6}$")]
    township_code: Annotated[str, Field(pattern=r"^\d{9}$")] | None = None
    """One township's transfers only; the county's of every township when absent."""
    batch_date: Annotated[date, Field(ge=date(2000, 1, 1), le=date(2100, 12, 31))] | None = None
    """The value date; transfers due on or before it are taken. Today (Asia/Shanghai) when absent."""
    actor: Actor = None


class BatchActionIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    actor: Actor = None


class ReturnFileIn(BaseModel):
    """The return file as the bank sent it (GBK bytes, docs/bank-file.md), base64-encoded in JSON."""

    model_config = ConfigDict(extra="forbid")
    content_base64: Annotated[str, Field(min_length=4, max_length=1_000_000)]
    filename: Annotated[str, Field(min_length=1, max_length=200, pattern=NO_NUL)] | None = None
    """As the bank named it; informative only."""


class ResolutionIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    resolution: Note
    """What was done: e.g. 'bank confirmed a typo in its file; payment correct'."""
    actor: Actor = None


class ImportResult(BaseModel):
    id: str
    batch_id: str
    file_sha256: str
    line_count: int
    paid: int
    failed: int
    returned: int
    exceptions: int
    unchanged: int
    """Lines whose result was already recorded (e.g. a corrected re-issue of a partly imported answer)."""
    already_imported: bool
    imported_by: str
    imported_at: datetime


class FetchedReturnOut(BaseModel):
    """One file of the bank's SFTP outbox: ``imported``, ``already_imported`` (nothing changed) or
    ``refused`` (``detail`` says why: malformed, naming the line, or not the caller's)."""

    name: str
    outcome: Literal["imported", "already_imported", "refused"]
    return_file_id: str | None = None
    detail: str | None = None


class StatementIn(BaseModel):
    """The statement as the bank sent it (GBK bytes, docs/bank-file.md), base64-encoded in JSON."""

    model_config = ConfigDict(extra="forbid")
    county_code: Annotated[str, Field(pattern=r"^\d{6}$")]
    """The county whose payer account it is."""
    content_base64: Annotated[str, Field(min_length=4, max_length=1_000_000)]


class StatementOut(BaseModel):
    id: str
    county_code: str
    period_start: date
    period_end: date
    line_count: int
    matched: int
    exceptions: int
    already_imported: bool
    imported_by: str
    imported_at: datetime


class AttemptOut(BaseModel):
    attempt: int
    channel: str
    payee_account: str | None
    status: str
    reason: str | None
    actor: str | None
    sent_at: datetime
    result_at: datetime | None


class PaymentOut(BaseModel):
    id: str
    case_id: str
    stage: int
    """0 is the help-first payment (R-FLOW-2); 1.. the approved stages (R-FLOW-4)."""
    reference: str
    amount: str
    channel: str
    form: str
    kind: str
    funding: str
    payee_name: str | None
    payee_account: str | None
    status: str
    status_reason: str | None
    due_on: date
    paid_at: datetime | None
    correction_of: str | None
    attempts: int
    """Bank transfers sent under this reference (re-issues after failures/returns)."""
    attempt_history: list[AttemptOut] = []
    created_at: datetime


class FundOut(BaseModel):
    township_code: str
    year: int
    county_code: str
    proportion: str
    previous_year_spending: str
    spending_source: str
    allocated: str
    balance: str
    allocation_entry_id: int | None
    actor: str
    updated_at: datetime


class BankSettingsOut(BaseModel):
    county_code: str
    effective_from: date
    bank_format: str
    payer_account: str
    """Masked."""
    payer_name: str
    receipt_sample_rate: str
    receipt_seed: str
    set_by: str
    set_at: datetime


class BatchItemOut(BaseModel):
    seq: int
    instruction_id: str
    attempt: int
    reference: str
    amount: str
    payment_status: str


class BatchOut(BaseModel):
    id: str
    batch_no: str
    county_code: str
    township_code: str | None
    batch_date: date
    bank_format: str
    status: Literal["created", "approved", "released", "reconciled", "cancelled"]
    item_count: int
    total_amount: str
    file_sha256: str
    """SHA-256 of the file as approved; the released file is rebuilt and must hash the same."""
    created_by: str
    created_at: datetime
    approved_by: str | None
    approved_at: datetime | None
    released_by: str | None
    released_at: datetime | None
    delivery: Literal["pending", "delivered", "failed"]
    delivery_error: str | None
    delivered_at: datetime | None
    items: list[BatchItemOut] = []


class ReturnLineOut(BaseModel):
    line_no: int
    reference: str
    amount: str
    status: str
    reason_code: str | None
    reason_text: str | None
    outcome: str
    """paid, failed, returned, unchanged (already recorded) or exception (see the queue)."""
    instruction_id: str | None


class ReturnFileOut(ImportResult):
    lines: list[ReturnLineOut] = []


class ExceptionOut(BaseModel):
    id: int
    kind: Literal[
        "unknown_reference",
        "amount_mismatch",
        "account_mismatch",
        "superseded_attempt",
        "state_conflict",
        "not_arrived",
        "statement_unknown_reference",
        "statement_amount_mismatch",
        "statement_not_reported",
        "statement_account_mismatch",
        "statement_missing_debit",
    ]
    county_code: str
    township_code: str | None
    return_file_id: str | None
    statement_id: str | None
    line_no: int | None
    instruction_id: str | None
    receipt_check_id: str | None
    detail: str
    status: Literal["open", "resolved"]
    created_at: datetime
    resolved_by: str | None
    resolution: str | None
    resolved_at: datetime | None


class ReceiptCheckOut(BaseModel):
    id: str
    instruction_id: str
    case_id: str
    case_no: str | None
    county_code: str
    township_code: str
    reference: str
    amount: str
    status: Literal["open", "done"]
    created_at: datetime
    outcome: str | None
    note: str | None
    checked_by: str | None
    checked_at: datetime | None


# --- reserve-fund reports, top-ups, year-end settlements (R-RES-2) ---


class ReserveSettingsIn(BaseModel):
    """A county's reserve-fund reporting policy from a date on (versions kept, never edited)."""

    model_config = ConfigDict(extra="forbid")
    effective_from: Annotated[date, Field(ge=date(2000, 1, 1), le=date(2100, 12, 31))]
    report_frequency: Frequency
    grace_days: Annotated[int, Field(ge=0, le=90)]
    """Days after a period's last day by which its report is due."""
    year_end: YearEnd
    """carry_over: the balance moves to the next year's fund; return: it goes back to the county."""
    actor: Actor = None


class ReserveSettingsOut(BaseModel):
    county_code: str
    effective_from: date
    report_frequency: Frequency
    grace_days: int
    year_end: YearEnd
    set_by: str
    set_at: datetime


class ReportIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    period: Annotated[str, Field(pattern=r"^\d{4}-(Q[1-4]|0[1-9]|1[0-2])$")]
    """``2026-Q3`` (quarterly counties) or ``2026-07`` (monthly counties)."""
    actor: Actor = None


class QueryIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    question: Note
    actor: Actor = None


class AnswerIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    answer: Note
    actor: Actor = None


class AcknowledgeIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    note: Note | None = None
    actor: Actor = None


class ReportEventOut(BaseModel):
    kind: str
    revision: int
    actor: str
    text: str | None
    figures: dict[str, object] | None
    """The figures that revision submitted (on submitted and resubmitted steps)."""
    at: datetime


class ReportOut(BaseModel):
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
    opening: str
    closing: str
    figures: dict[str, object]
    submitted_by: str
    first_submitted_at: datetime
    submitted_at: datetime
    on_time: bool
    acknowledged_by: str | None
    acknowledged_at: datetime | None
    history: list[ReportEventOut] = []


class OverdueOut(BaseModel):
    county_code: str
    township_code: str
    period: str
    period_end: date
    due_on: date
    days_overdue: int
    status: Literal["overdue"] = "overdue"


class TopUpIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    amount: Annotated[Money, Field(gt=0)]
    reason: Note
    actor: Actor = None


class DecisionIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    note: Note | None = None
    actor: Actor = None


class TopUpOut(BaseModel):
    id: str
    county_code: str
    township_code: str
    year: int
    amount: str
    reason: str
    status: TopUpStatus
    requested_by: str
    requested_at: datetime
    decided_by: str | None
    decided_at: datetime | None
    decision_note: str | None
    entry_id: int | None


class SettlementIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    actor: Actor = None


class SettlementOut(BaseModel):
    township_code: str
    year: int
    county_code: str
    policy: YearEnd
    amount: str
    entry_id: int | None
    carried_in_entry_id: int | None
    settled_by: str
    settled_at: datetime
