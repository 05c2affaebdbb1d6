"""Disbursement's bank tables: county bank settings, batch files (代发批次) and their items, the bank's
return files (回盘) and lines, the reconciliation exceptions queue and receipt checks (到账核查).
Defined on the service's one metadata (tables.py); the DDL is migration 0004."""

from sqlalchemy import (
    BigInteger,
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
)
from sqlalchemy.dialects.postgresql import UUID

from services.disbursement.tables import metadata

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
