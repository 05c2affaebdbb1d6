"""R-OVS-3: county budget envelopes per funding source, commitments, their trace, and budget rules

Revision ID: approval_budget
Revises: approval_reexam
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "approval_budget"
down_revision = "approval_reexam"
branch_labels = None
depends_on = None

MONEY = sa.Numeric(precision=14, scale=2)


def upgrade() -> None:
    op.create_table(
        "budget_envelopes",
        sa.Column("id", sa.BigInteger(), sa.Identity(always=False), nullable=False),
        sa.Column("county_code", sa.String(length=6), nullable=False),
        sa.Column("year", sa.Integer(), nullable=False),
        sa.Column("source", sa.String(length=20), nullable=False),
        sa.Column("amount", MONEY, nullable=False),
        sa.Column("committed", MONEY, server_default="0", nullable=False),
        sa.Column("spent", MONEY, server_default="0", nullable=False),
        sa.Column("actor", sa.String(length=100), nullable=True),
        sa.Column("updated_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_budget_envelopes")),
        sa.UniqueConstraint(
            "county_code", "year", "source", name=op.f("uq_budget_envelopes_county_code_year_source")
        ),
        schema="approval",
    )
    op.create_table(
        "budget_commitments",
        sa.Column("id", sa.BigInteger(), sa.Identity(always=False), nullable=False),
        sa.Column("case_id", sa.UUID(as_uuid=False), nullable=False),
        sa.Column("envelope_id", sa.BigInteger(), nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("amount", MONEY, nullable=False),
        sa.Column("spent", MONEY, server_default="0", nullable=False),
        sa.Column("released", MONEY, server_default="0", nullable=False),
        sa.Column("overrun", MONEY, server_default="0", nullable=False),
        sa.Column("actor", sa.String(length=100), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_budget_commitments")),
        schema="approval",
    )
    op.create_index(
        op.f("ix_budget_commitments_case_id"),
        "budget_commitments",
        ["case_id"],
        unique=False,
        schema="approval",
    )
    op.create_index(
        op.f("ix_budget_commitments_envelope_id"),
        "budget_commitments",
        ["envelope_id"],
        unique=False,
        schema="approval",
    )
    op.create_table(
        "budget_movements",
        sa.Column("id", sa.BigInteger(), sa.Identity(always=False), nullable=False),
        sa.Column("envelope_id", sa.BigInteger(), nullable=True),
        sa.Column("commitment_id", sa.BigInteger(), nullable=True),
        sa.Column("case_id", sa.UUID(as_uuid=False), nullable=True),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("amount", MONEY, nullable=False),
        sa.Column("instruction_id", sa.UUID(as_uuid=False), nullable=True),
        sa.Column("actor", sa.String(length=100), nullable=True),
        sa.Column("at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_budget_movements")),
        schema="approval",
    )
    op.create_index(
        "ix_budget_movements_envelope",
        "budget_movements",
        ["envelope_id", "id"],
        unique=False,
        schema="approval",
    )
    op.create_table(
        "budget_policies",
        sa.Column("id", sa.BigInteger(), sa.Identity(always=False), nullable=False),
        sa.Column("county_code", sa.String(length=6), nullable=False),
        sa.Column("effective_from", sa.Date(), nullable=False),
        sa.Column("source_order", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.Column("by_category", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.Column("over_envelope", sa.String(length=20), nullable=False),
        sa.Column("actor", sa.String(length=100), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_budget_policies")),
        schema="approval",
    )
    op.create_index(
        "ix_budget_policies_lookup",
        "budget_policies",
        ["county_code", "effective_from"],
        unique=False,
        schema="approval",
    )


def downgrade() -> None:
    op.drop_index("ix_budget_policies_lookup", table_name="budget_policies", schema="approval")
    op.drop_table("budget_policies", schema="approval")
    op.drop_index("ix_budget_movements_envelope", table_name="budget_movements", schema="approval")
    op.drop_table("budget_movements", schema="approval")
    op.drop_index(
        op.f("ix_budget_commitments_envelope_id"), table_name="budget_commitments", schema="approval"
    )
    op.drop_index(op.f("ix_budget_commitments_case_id"), table_name="budget_commitments", schema="approval")
    op.drop_table("budget_commitments", schema="approval")
    op.drop_table("budget_envelopes", schema="approval")
