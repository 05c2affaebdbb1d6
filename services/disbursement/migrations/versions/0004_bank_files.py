"""bank files: county bank settings, batch files and items, return files and lines, statements,
reconciliation exceptions, receipt checks

Revision ID: 0004
Revises: 0003
"""

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None

S = "disbursement"
UUID = sa.UUID(as_uuid=False)
TS = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "bank_settings",
        sa.Column("county_code", sa.String(length=6), nullable=False),
        sa.Column("effective_from", sa.Date(), nullable=False),
        sa.Column("bank_format", sa.String(length=40), nullable=False),
        sa.Column("payer_account", sa.Text(), nullable=False),
        sa.Column("payer_name", sa.String(length=100), nullable=False),
        sa.Column("receipt_sample_rate", sa.Numeric(precision=5, scale=4), nullable=False),
        sa.Column("receipt_seed", sa.String(length=64), nullable=False),
        sa.Column("set_by", sa.String(length=100), nullable=False),
        sa.Column("set_at", TS, server_default=sa.text("now()"), nullable=False),
        sa.CheckConstraint(
            "receipt_sample_rate >= 0 AND receipt_sample_rate <= 1",
            name="ck_bank_settings_rate_is_fraction",
        ),
        sa.PrimaryKeyConstraint("county_code", "effective_from", name="pk_bank_settings"),
        schema=S,
    )
    op.create_table(
        "bank_batches",
        sa.Column("id", UUID, nullable=False),
        sa.Column("batch_no", sa.String(length=32), nullable=False),
        sa.Column("county_code", sa.String(length=6), nullable=False),
        sa.Column("township_code", sa.String(length=9), nullable=True),
        sa.Column("batch_date", sa.Date(), nullable=False),
        sa.Column("bank_format", sa.String(length=40), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("item_count", sa.Integer(), nullable=False),
        sa.Column("total_amount", sa.Numeric(precision=16, scale=2), nullable=False),
        sa.Column("file_sha256", sa.String(length=64), nullable=False),
        sa.Column("created_by", sa.String(length=100), nullable=False),
        sa.Column("created_at", TS, nullable=False),
        sa.Column("approved_by", sa.String(length=100), nullable=True),
        sa.Column("approved_at", TS, nullable=True),
        sa.Column("released_by", sa.String(length=100), nullable=True),
        sa.Column("released_at", TS, nullable=True),
        sa.Column("delivery", sa.String(length=20), nullable=False),
        sa.Column("delivery_error", sa.Text(), nullable=True),
        sa.Column("delivered_at", TS, nullable=True),
        sa.PrimaryKeyConstraint("id", name="pk_bank_batches"),
        sa.UniqueConstraint("batch_no", name="uq_bank_batches_batch_no"),
        schema=S,
    )
    op.create_index("ix_bank_batches_county_date", "bank_batches", ["county_code", "batch_date"], schema=S)
    op.create_table(
        "bank_batch_items",
        sa.Column("batch_id", UUID, nullable=False),
        sa.Column("seq", sa.Integer(), nullable=False),
        sa.Column("instruction_id", UUID, nullable=False),
        sa.Column("attempt", sa.Integer(), nullable=False),
        sa.Column("reference", sa.String(length=64), nullable=False),
        sa.Column("amount", sa.Numeric(precision=14, scale=2), nullable=False),
        sa.PrimaryKeyConstraint("batch_id", "seq", name="pk_bank_batch_items"),
        # One attempt of one instruction is in one batch only; a retry (a new attempt) goes in a new one.
        sa.UniqueConstraint("instruction_id", "attempt", name="uq_bank_batch_items_instruction_attempt"),
        schema=S,
    )
    op.create_index("ix_bank_batch_items_reference", "bank_batch_items", ["reference"], schema=S)
    op.create_table(
        "bank_return_files",
        sa.Column("id", UUID, nullable=False),
        sa.Column("file_sha256", sa.String(length=64), nullable=False),
        sa.Column("batch_id", UUID, nullable=False),
        sa.Column("return_date", sa.Date(), nullable=False),
        sa.Column("line_count", sa.Integer(), nullable=False),
        sa.Column("paid", sa.Integer(), nullable=False),
        sa.Column("failed", sa.Integer(), nullable=False),
        sa.Column("returned", sa.Integer(), nullable=False),
        sa.Column("exceptions", sa.Integer(), nullable=False),
        sa.Column("unchanged", sa.Integer(), nullable=False),
        sa.Column("imported_by", sa.String(length=100), nullable=False),
        sa.Column("imported_at", TS, nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_bank_return_files"),
        # The same file imported twice changes nothing: its hash is the idempotency key.
        sa.UniqueConstraint("file_sha256", name="uq_bank_return_files_file_sha256"),
        schema=S,
    )
    op.create_table(
        "bank_return_lines",
        sa.Column("return_file_id", UUID, nullable=False),
        sa.Column("line_no", sa.Integer(), nullable=False),
        sa.Column("reference", sa.String(length=64), nullable=False),
        sa.Column("amount", sa.Numeric(precision=14, scale=2), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("reason_code", sa.String(length=20), nullable=True),
        sa.Column("reason_text", sa.Text(), nullable=True),
        sa.Column("outcome", sa.String(length=20), nullable=False),
        sa.Column("instruction_id", UUID, nullable=True),
        sa.PrimaryKeyConstraint("return_file_id", "line_no", name="pk_bank_return_lines"),
        schema=S,
    )
    op.create_table(
        "bank_statements",
        sa.Column("id", UUID, nullable=False),
        sa.Column("file_sha256", sa.String(length=64), nullable=False),
        sa.Column("county_code", sa.String(length=6), nullable=False),
        sa.Column("period_start", sa.Date(), nullable=False),
        sa.Column("period_end", sa.Date(), nullable=False),
        sa.Column("line_count", sa.Integer(), nullable=False),
        sa.Column("matched", sa.Integer(), nullable=False),
        sa.Column("exceptions", sa.Integer(), nullable=False),
        sa.Column("imported_by", sa.String(length=100), nullable=False),
        sa.Column("imported_at", TS, nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_bank_statements"),
        sa.UniqueConstraint("file_sha256", name="uq_bank_statements_file_sha256"),
        schema=S,
    )
    op.create_table(
        "reconciliation_exceptions",
        sa.Column("id", sa.BigInteger(), sa.Identity(always=False), nullable=False),
        sa.Column("kind", sa.String(length=30), nullable=False),
        sa.Column("county_code", sa.String(length=6), nullable=False),
        sa.Column("township_code", sa.String(length=9), nullable=True),
        sa.Column("return_file_id", UUID, nullable=True),
        sa.Column("statement_id", UUID, nullable=True),
        sa.Column("line_no", sa.Integer(), nullable=True),
        sa.Column("instruction_id", UUID, nullable=True),
        sa.Column("receipt_check_id", UUID, nullable=True),
        sa.Column("detail", sa.Text(), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("created_at", TS, nullable=False),
        sa.Column("resolved_by", sa.String(length=100), nullable=True),
        sa.Column("resolution", sa.Text(), nullable=True),
        sa.Column("resolved_at", TS, nullable=True),
        sa.PrimaryKeyConstraint("id", name="pk_reconciliation_exceptions"),
        schema=S,
    )
    op.create_index(
        "ix_reconciliation_exceptions_county_status",
        "reconciliation_exceptions",
        ["county_code", "status"],
        schema=S,
    )
    op.create_table(
        "receipt_checks",
        sa.Column("id", UUID, nullable=False),
        sa.Column("instruction_id", UUID, nullable=False),
        sa.Column("case_id", UUID, nullable=False),
        sa.Column("county_code", sa.String(length=6), nullable=False),
        sa.Column("township_code", sa.String(length=9), nullable=False),
        sa.Column("reference", sa.String(length=64), nullable=False),
        sa.Column("amount", sa.Numeric(precision=14, scale=2), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("created_at", TS, nullable=False),
        sa.Column("outcome", sa.String(length=20), nullable=True),
        sa.Column("note", sa.Text(), nullable=True),
        sa.Column("checked_by", sa.String(length=100), nullable=True),
        sa.Column("checked_at", TS, nullable=True),
        sa.PrimaryKeyConstraint("id", name="pk_receipt_checks"),
        sa.UniqueConstraint("instruction_id", name="uq_receipt_checks_instruction_id"),
        schema=S,
    )
    op.create_index(
        "ix_receipt_checks_township_status", "receipt_checks", ["township_code", "status"], schema=S
    )


def downgrade() -> None:
    op.drop_index("ix_receipt_checks_township_status", table_name="receipt_checks", schema=S)
    op.drop_table("receipt_checks", schema=S)
    op.drop_index(
        "ix_reconciliation_exceptions_county_status", table_name="reconciliation_exceptions", schema=S
    )
    op.drop_table("reconciliation_exceptions", schema=S)
    op.drop_table("bank_statements", schema=S)
    op.drop_table("bank_return_lines", schema=S)
    op.drop_table("bank_return_files", schema=S)
    op.drop_index("ix_bank_batch_items_reference", table_name="bank_batch_items", schema=S)
    op.drop_table("bank_batch_items", schema=S)
    op.drop_index("ix_bank_batches_county_date", table_name="bank_batches", schema=S)
    op.drop_table("bank_batches", schema=S)
    op.drop_table("bank_settings", schema=S)
