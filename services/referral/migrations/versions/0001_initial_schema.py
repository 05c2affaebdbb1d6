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
    create_messaging_tables("referral")
    op.create_table(
        "cases",
        sa.Column("case_id", sa.UUID(as_uuid=False), nullable=False),
        sa.Column("case_ref", sa.String(length=32), nullable=False),
        sa.Column("county_code", sa.String(length=6), nullable=True),
        sa.Column("township_code", sa.String(length=9), nullable=True),
        sa.Column("household_size", sa.Integer(), nullable=True),
        sa.Column("consents", postgresql.JSONB(astext_type=sa.Text()), nullable=True),
        sa.Column("decision", postgresql.JSONB(astext_type=sa.Text()), nullable=True),
        sa.Column("updated_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.PrimaryKeyConstraint("case_id", name=op.f("pk_cases")),
        sa.UniqueConstraint("case_ref", name=op.f("uq_cases_case_ref")),
        schema="referral",
    )
    op.create_table(
        "needs_records",
        sa.Column("id", sa.UUID(as_uuid=False), nullable=False),
        sa.Column("case_id", sa.UUID(as_uuid=False), nullable=False),
        sa.Column("case_ref", sa.String(length=32), nullable=False),
        sa.Column("county_code", sa.String(length=6), nullable=False),
        sa.Column("township_code", sa.String(length=9), nullable=False),
        sa.Column("need_type", sa.String(length=20), nullable=False),
        sa.Column("remaining_amount", sa.Numeric(precision=14, scale=2), nullable=False),
        sa.Column("household_size", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("published_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("withdrawn_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_needs_records")),
        sa.UniqueConstraint("case_id", "need_type", name=op.f("uq_needs_records_case_id_need_type")),
        schema="referral",
    )
    op.create_index(
        "ix_needs_records_published", "needs_records", ["published_at", "id"], unique=False, schema="referral"
    )


def downgrade() -> None:
    op.drop_index("ix_needs_records_published", table_name="needs_records", schema="referral")
    op.drop_table("needs_records", schema="referral")
    op.drop_table("cases", schema="referral")
    drop_messaging_tables("referral")
