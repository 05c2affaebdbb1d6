"""Disbursement's schema: beneficiaries (payee encrypted) and audited payee changes, decisions and help-first
grants as received, payment instructions and their attempts, handovers, township reserve funds (R-RES),
the append-only ledger (工作台账, R-OVS-3), and the bank files: county bank settings, batch files (代发批次)
and their items, the bank's return files (回盘) and lines, statements, the reconciliation exceptions queue
and receipt checks (到账核查, DDL in migration 0004); the reserve-fund reporting settings, reports and their
history, top-ups and year-end settlements (R-RES-2, migration disbursement_reserve); the cases closed
without a payment (R-RET-1, migration disbursement_purge)."""

from sqlalchemy import (
    BigInteger,
    Boolean,
    CheckConstraint,
    Column,
    Date,
    DateTime,
    Identity,
    Index,
    Integer,
    Numeric,
    String,
    Table,
    Text,
    UniqueConstraint,
    func,
    text,
)
from sqlalchemy.dialects.postgresql import JSONB, UUID

from shared.db import service_metadata
from shared.messaging import add_messaging_tables
from shared.retention import add_retention_tables

metadata = service_metadata("disbursement")
add_messaging_tables(metadata)
add_retention_tables(metadata)  # R-RET-1/R-RET-2: county periods, dry runs, purges

beneficiaries = Table(
    "beneficiaries",
    metadata,
    Column("case_id", UUID(as_uuid=False), primary_key=True),
    Column("county_code", String(6), nullable=False),
    Column("township_code", String(9), nullable=False),
    Column("payee", Text),
    Column("created_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
    Column("case_no", String(64)),
    Column("category", String(40)),  # from the application: the reserve-fund report's lines (R-RES-2)
)

payee_changes = Table(
    "payee_changes",
    metadata,
    Column("id", UUID(as_uuid=False), primary_key=True),
    Column("case_id", UUID(as_uuid=False), nullable=False, index=True),
    Column("old_payee", Text),
    Column("new_payee", Text, nullable=False),
    Column("status", String(20), nullable=False),
    Column("requested_by", String(100), nullable=False),
    Column("reason", Text, nullable=False),
    Column("requested_at", DateTime(timezone=True), nullable=False),
    Column("decided_by", String(100)),
    Column("decision_reason", Text),
    Column("decided_at", DateTime(timezone=True)),
)

approved_cases = Table(
    "approved_cases",
    metadata,
    Column("case_id", UUID(as_uuid=False), primary_key=True),
    Column("form", String(20), nullable=False),
    Column("amount", Numeric(14, 2), nullable=False),
    Column("stages", JSONB, nullable=False),
    Column("decided_at", DateTime(timezone=True), nullable=False),
    Column("help_first_amount", Numeric(14, 2), nullable=False, server_default=text("0")),
)

unpaid_closings = Table(
    "unpaid_closings",
    metadata,
    # R-RET-1: a case closed with nothing for disbursement to pay (refused, or approved as referral services
    # only): its decision's instant starts the retention period of the payee kept on its beneficiary row
    # (migration disbursement_purge). A case approved for payment is closed by approved_cases instead.
    Column("case_id", UUID(as_uuid=False), primary_key=True),
    Column("decision", String(20), nullable=False),
    Column("form", String(20), nullable=False),
    Column("closed_at", DateTime(timezone=True), nullable=False),
    Column("recorded_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
)

redecisions = Table(
    "redecisions",
    metadata,
    # R-REX-3: a re-examination (复核) that changed the amount, as received; a positive difference becomes
    # one instruction (instruction_id), a negative one is recorded as not recovered (never clawed back).
    Column("reexamination_id", UUID(as_uuid=False), primary_key=True),
    Column("case_id", UUID(as_uuid=False), nullable=False, index=True),
    Column("seq", Integer, nullable=False),
    Column("form", String(20), nullable=False),
    Column("amount_before", Numeric(14, 2), nullable=False),
    Column("amount_after", Numeric(14, 2), nullable=False),
    Column("difference", Numeric(14, 2), nullable=False),
    Column("not_recovered", Numeric(14, 2), nullable=False),
    Column("decided_by", String(100), nullable=False),
    Column("decided_at", DateTime(timezone=True), nullable=False),
    Column("instruction_id", UUID(as_uuid=False)),
    Column("recorded_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
)

help_first_grants = Table(
    "help_first_grants",
    metadata,
    Column("case_id", UUID(as_uuid=False), primary_key=True),
    Column("grant_id", UUID(as_uuid=False), nullable=False),
    Column("county_code", String(6), nullable=False),
    Column("township_code", String(9), nullable=False),
    Column("form", String(20), nullable=False),
    Column("channel", String(20), nullable=False),
    Column("amount", Numeric(14, 2), nullable=False),
    Column("granted_by", String(100), nullable=False),
    Column("granted_at", DateTime(timezone=True), nullable=False),
)

payment_instructions = Table(
    "payment_instructions",
    metadata,
    Column("id", UUID(as_uuid=False), primary_key=True),
    Column("case_id", UUID(as_uuid=False), nullable=False),
    Column("stage", Integer, nullable=False),
    Column("reference", String(64), nullable=False, unique=True),
    Column("amount", Numeric(14, 2), nullable=False),
    Column("channel", String(20), nullable=False),
    Column("payee", Text),
    Column("status", String(20), nullable=False),
    Column("due_on", Date, nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
    Column("kind", String(20), nullable=False, server_default="stage"),
    Column("form", String(20), nullable=False, server_default="cash"),
    Column("funding", String(20), nullable=False, server_default="budget"),
    Column("county_code", String(6)),
    Column("township_code", String(9)),
    Column("attempts", Integer, nullable=False, server_default=text("0")),
    Column("correction_of", UUID(as_uuid=False)),
    Column("fund_entry_id", BigInteger),
    # fund_entry_id: the reserve draw that funded it, tracing allocation to payment (R-OVS-3)
    Column("status_reason", Text),
    Column("paid_at", DateTime(timezone=True)),
    Column("updated_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
    Index("ix_payment_instructions_status_created", "status", "created_at"),
    Index(
        "uq_payment_instructions_case_stage",
        "case_id",
        "stage",
        unique=True,
        postgresql_where=text("correction_of IS NULL"),
    ),
    Index("ix_payment_instructions_township_paid", "township_code", "paid_at"),
)

payment_attempts = Table(
    "payment_attempts",
    metadata,
    Column("id", BigInteger, Identity(), primary_key=True),
    Column("instruction_id", UUID(as_uuid=False), nullable=False),
    Column("attempt", Integer, nullable=False),
    Column("channel", String(20), nullable=False),
    Column("payee", Text),
    Column("status", String(20), nullable=False),
    Column("reason", Text),
    Column("actor", String(100)),
    Column("sent_at", DateTime(timezone=True), nullable=False),
    Column("result_at", DateTime(timezone=True)),
    UniqueConstraint("instruction_id", "attempt"),
    Index(
        "uq_payment_attempts_one_paid",
        "instruction_id",
        unique=True,
        postgresql_where=text("status = 'paid'"),
    ),
)

handovers = Table(
    "handovers",
    metadata,
    Column("id", UUID(as_uuid=False), primary_key=True),
    Column("instruction_id", UUID(as_uuid=False), nullable=False, unique=True),
    Column("case_id", UUID(as_uuid=False), nullable=False),
    Column("kind", String(20), nullable=False),
    Column("items", Text, nullable=False),
    Column("value", Numeric(14, 2), nullable=False),
    Column("procurement_reference", String(100)),
    Column("recipient", Text, nullable=False),
    Column("handed_over_by", String(100), nullable=False),
    Column("witness", String(100), nullable=False),
    Column("handed_over_at", DateTime(timezone=True), nullable=False),
)

reserve_funds = Table(
    "reserve_funds",
    metadata,
    Column("township_code", String(9), primary_key=True),
    Column("year", Integer, primary_key=True),
    Column("county_code", String(6), nullable=False),
    Column("proportion", Numeric(7, 4), nullable=False),
    Column("previous_year_spending", Numeric(14, 2), nullable=False),
    Column("spending_source", String(20), nullable=False),
    Column("allocated", Numeric(14, 2), nullable=False),
    Column("balance", Numeric(14, 2), nullable=False),
    Column("allocation_entry_id", BigInteger),
    Column("actor", String(100), nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
    Column("updated_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
    CheckConstraint("balance >= 0", name="balance_not_negative"),
)

ledger_entries = Table(
    "ledger_entries",
    metadata,
    Column("id", BigInteger, Identity(), primary_key=True),
    Column("at", DateTime(timezone=True), nullable=False, server_default=func.now()),
    Column("kind", String(30), nullable=False),
    Column("fund", String(40), nullable=False),
    Column("amount", Numeric(14, 2), nullable=False),
    Column("county_code", String(6), nullable=False),
    Column("township_code", String(9)),
    Column("case_id", UUID(as_uuid=False)),
    Column("instruction_id", UUID(as_uuid=False)),
    Column("reference", String(80)),
    Column("source_entry_id", BigInteger),
    Column("reverses_id", BigInteger),
    Column("memo", Text),
    Column("actor", String(100)),
    CheckConstraint("amount > 0", name="amount_positive"),
    Index("ix_ledger_entries_township_at", "township_code", "at"),
    Index("ix_ledger_entries_case", "case_id"),
)

# --- bank files (migration 0004) ---

bank_settings = Table(
    "bank_settings",
    metadata,
    Column("county_code", String(6), primary_key=True),
    Column("effective_from", Date, primary_key=True),
    Column("bank_format", String(40), nullable=False),
    Column("payer_account", Text, nullable=False),  # encrypted
    Column("payer_name", String(100), nullable=False),
    Column("receipt_sample_rate", Numeric(5, 4), nullable=False),
    Column("receipt_seed", String(64), nullable=False),
    Column("set_by", String(100), nullable=False),
    Column("set_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
    CheckConstraint("receipt_sample_rate >= 0 AND receipt_sample_rate <= 1", name="rate_is_fraction"),
)

bank_batches = Table(
    "bank_batches",
    metadata,
    Column("id", UUID(as_uuid=False), primary_key=True),
    Column("batch_no", String(32), nullable=False, unique=True),
    Column("county_code", String(6), nullable=False),
    Column("township_code", String(9)),
    Column("batch_date", Date, nullable=False),
    Column("bank_format", String(40), nullable=False),
    Column("status", String(20), nullable=False),
    Column("item_count", Integer, nullable=False),
    Column("total_amount", Numeric(16, 2), nullable=False),
    Column("file_sha256", String(64), nullable=False),
    Column("created_by", String(100), nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("approved_by", String(100)),
    Column("approved_at", DateTime(timezone=True)),
    Column("released_by", String(100)),
    Column("released_at", DateTime(timezone=True)),
    Column("delivery", String(20), nullable=False),
    Column("delivery_error", Text),
    Column("delivered_at", DateTime(timezone=True)),
    Index("ix_bank_batches_county_date", "county_code", "batch_date"),
)

bank_batch_items = Table(
    "bank_batch_items",
    metadata,
    Column("batch_id", UUID(as_uuid=False), primary_key=True),
    Column("seq", Integer, primary_key=True),
    Column("instruction_id", UUID(as_uuid=False), nullable=False),
    Column("attempt", Integer, nullable=False),
    Column("reference", String(64), nullable=False),
    Column("amount", Numeric(14, 2), nullable=False),
    # one attempt of one instruction is in one batch only; a retry (a new attempt) goes in a new one
    UniqueConstraint("instruction_id", "attempt", name="uq_bank_batch_items_instruction_attempt"),
    Index("ix_bank_batch_items_reference", "reference"),
)

bank_return_files = Table(
    "bank_return_files",
    metadata,
    Column("id", UUID(as_uuid=False), primary_key=True),
    Column("file_sha256", String(64), nullable=False, unique=True),
    Column("batch_id", UUID(as_uuid=False), nullable=False),
    Column("return_date", Date, nullable=False),
    Column("line_count", Integer, nullable=False),
    Column("paid", Integer, nullable=False),
    Column("failed", Integer, nullable=False),
    Column("returned", Integer, nullable=False),
    Column("exceptions", Integer, nullable=False),
    Column("unchanged", Integer, nullable=False),
    Column("imported_by", String(100), nullable=False),
    Column("imported_at", DateTime(timezone=True), nullable=False),
)

bank_return_lines = Table(
    "bank_return_lines",
    metadata,
    Column("return_file_id", UUID(as_uuid=False), primary_key=True),
    Column("line_no", Integer, primary_key=True),
    Column("reference", String(64), nullable=False),
    Column("amount", Numeric(14, 2), nullable=False),
    Column("status", String(20), nullable=False),
    Column("reason_code", String(20)),
    Column("reason_text", Text),
    Column("outcome", String(20), nullable=False),
    Column("instruction_id", UUID(as_uuid=False)),
)

bank_statements = Table(
    "bank_statements",
    metadata,
    Column("id", UUID(as_uuid=False), primary_key=True),
    Column("file_sha256", String(64), nullable=False, unique=True),
    Column("county_code", String(6), nullable=False),
    Column("period_start", Date, nullable=False),
    Column("period_end", Date, nullable=False),
    Column("line_count", Integer, nullable=False),
    Column("matched", Integer, nullable=False),
    Column("exceptions", Integer, nullable=False),
    Column("imported_by", String(100), nullable=False),
    Column("imported_at", DateTime(timezone=True), nullable=False),
)

reconciliation_exceptions = Table(
    "reconciliation_exceptions",
    metadata,
    Column("id", BigInteger, Identity(), primary_key=True),
    Column("kind", String(30), nullable=False),
    Column("county_code", String(6), nullable=False),
    Column("township_code", String(9)),
    Column("return_file_id", UUID(as_uuid=False)),
    Column("statement_id", UUID(as_uuid=False)),
    Column("line_no", Integer),
    Column("instruction_id", UUID(as_uuid=False)),
    Column("receipt_check_id", UUID(as_uuid=False)),
    Column("detail", Text, nullable=False),
    Column("status", String(20), nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("resolved_by", String(100)),
    Column("resolution", Text),
    Column("resolved_at", DateTime(timezone=True)),
    Index("ix_reconciliation_exceptions_county_status", "county_code", "status"),
)

receipt_checks = Table(
    "receipt_checks",
    metadata,
    Column("id", UUID(as_uuid=False), primary_key=True),
    Column("instruction_id", UUID(as_uuid=False), nullable=False, unique=True),
    Column("case_id", UUID(as_uuid=False), nullable=False),
    Column("county_code", String(6), nullable=False),
    Column("township_code", String(9), nullable=False),
    Column("reference", String(64), nullable=False),
    Column("amount", Numeric(14, 2), nullable=False),
    Column("status", String(20), nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("outcome", String(20)),
    Column("note", Text),
    Column("checked_by", String(100)),
    Column("checked_at", DateTime(timezone=True)),
    Index("ix_receipt_checks_township_status", "township_code", "status"),
)

# --- reserve-fund reports, top-ups, year-end settlements (R-RES-2, migration disbursement_reserve) ---

reserve_settings = Table(
    "reserve_settings",
    metadata,
    Column("county_code", String(6), primary_key=True),
    Column("effective_from", Date, primary_key=True),
    Column("report_frequency", String(10), nullable=False),
    Column("grace_days", Integer, nullable=False),
    Column("year_end", String(20), nullable=False),
    Column("set_by", String(100), nullable=False),
    Column("set_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
    CheckConstraint("report_frequency IN ('monthly', 'quarterly')", name="frequency_known"),
    CheckConstraint("year_end IN ('carry_over', 'return')", name="year_end_known"),
    CheckConstraint("grace_days >= 0 AND grace_days <= 90", name="grace_days_range"),
)

reserve_reports = Table(
    "reserve_reports",
    metadata,
    Column("id", UUID(as_uuid=False), primary_key=True),
    Column("county_code", String(6), nullable=False),
    Column("township_code", String(9), nullable=False),
    Column("year", Integer, nullable=False),
    Column("period", String(7), nullable=False),
    Column("frequency", String(10), nullable=False),
    Column("period_start", Date, nullable=False),
    Column("period_end", Date, nullable=False),
    Column("due_on", Date, nullable=False),
    Column("status", String(20), nullable=False),
    Column("revision", Integer, nullable=False),
    Column("opening", Numeric(14, 2), nullable=False),
    Column("closing", Numeric(14, 2), nullable=False),
    Column("figures", JSONB, nullable=False),
    Column("submitted_by", String(100), nullable=False),
    Column("first_submitted_at", DateTime(timezone=True), nullable=False),
    Column("submitted_at", DateTime(timezone=True), nullable=False),
    Column("on_time", Boolean, nullable=False),
    Column("acknowledged_by", String(100)),
    Column("acknowledged_at", DateTime(timezone=True)),
    UniqueConstraint("township_code", "period"),
    Index("ix_reserve_reports_county_year", "county_code", "year"),
)

reserve_report_events = Table(
    "reserve_report_events",
    metadata,
    Column("id", BigInteger, Identity(), primary_key=True),
    Column("report_id", UUID(as_uuid=False), nullable=False, index=True),
    Column("kind", String(20), nullable=False),
    Column("revision", Integer, nullable=False),
    Column("actor", String(100), nullable=False),
    Column("text", Text),
    Column("figures", JSONB),
    Column("at", DateTime(timezone=True), nullable=False),
)

reserve_top_ups = Table(
    "reserve_top_ups",
    metadata,
    Column("id", UUID(as_uuid=False), primary_key=True),
    Column("county_code", String(6), nullable=False),
    Column("township_code", String(9), nullable=False),
    Column("year", Integer, nullable=False),
    Column("amount", Numeric(14, 2), nullable=False),
    Column("reason", Text, nullable=False),
    Column("status", String(20), nullable=False),
    Column("requested_by", String(100), nullable=False),
    Column("requested_at", DateTime(timezone=True), nullable=False),
    Column("decided_by", String(100)),
    Column("decided_at", DateTime(timezone=True)),
    Column("decision_note", Text),
    Column("entry_id", BigInteger),
    CheckConstraint("amount > 0", name="amount_positive"),
    Index("ix_reserve_top_ups_township_year", "township_code", "year"),
)

reserve_settlements = Table(
    "reserve_settlements",
    metadata,
    Column("township_code", String(9), primary_key=True),
    Column("year", Integer, primary_key=True),
    Column("county_code", String(6), nullable=False),
    Column("policy", String(20), nullable=False),
    Column("amount", Numeric(14, 2), nullable=False),
    Column("entry_id", BigInteger),
    Column("carried_in_entry_id", BigInteger),
    Column("settled_by", String(100), nullable=False),
    Column("settled_at", DateTime(timezone=True), nullable=False),
)
