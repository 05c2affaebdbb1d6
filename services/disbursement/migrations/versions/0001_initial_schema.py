"""initial schema

Revision ID: 0001
Revises:
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

from shared.migrations import create_messaging_tables, drop_messaging_tables

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    create_messaging_tables("disbursement")
    op.create_table(
        "approved_cases",
        sa.Column("case_id", sa.UUID(as_uuid=False), nullable=False),
        sa.Column("form", sa.String(length=20), nullable=False),
        sa.Column("amount", sa.Numeric(precision=14, scale=2), nullable=False),
        sa.Column("stages", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.Column("decided_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("case_id", name=op.f("pk_approved_cases")),
        schema="disbursement",
    )
    op.create_table(
        "beneficiaries",
        sa.Column("case_id", sa.UUID(as_uuid=False), nullable=False),
        sa.Column("county_code", sa.String(length=6), nullable=False),
        sa.Column("township_code", sa.String(length=9), nullable=False),
        sa.Column("payee", sa.Text(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.PrimaryKeyConstraint("case_id", name=op.f("pk_beneficiaries")),
        schema="disbursement",
    )
    op.create_table(
        "payment_instructions",
        sa.Column("id", sa.UUID(as_uuid=False), nullable=False),
        sa.Column("case_id", sa.UUID(as_uuid=False), nullable=False),
        sa.Column("stage", sa.Integer(), nullable=False),
        sa.Column("reference", sa.String(length=64), nullable=False),
        sa.Column("amount", sa.Numeric(precision=14, scale=2), nullable=False),
        sa.Column("channel", sa.String(length=20), nullable=False),
        sa.Column("payee", sa.Text(), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("due_on", sa.Date(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_payment_instructions")),
        sa.UniqueConstraint("case_id", "stage", name=op.f("uq_payment_instructions_case_id_stage")),
        sa.UniqueConstraint("reference", name=op.f("uq_payment_instructions_reference")),
        schema="disbursement",
    )
    op.create_index(
        "ix_payment_instructions_status_created",
        "payment_instructions",
        ["status", "created_at"],
        unique=False,
        schema="disbursement",
    )


def downgrade() -> None:
    op.drop_index(
        "ix_payment_instructions_status_created", table_name="payment_instructions", schema="disbursement"
    )
    op.drop_table("payment_instructions", schema="disbursement")
    op.drop_table("beneficiaries", schema="disbursement")
    op.drop_table("approved_cases", schema="disbursement")
    drop_messaging_tables("disbursement")
