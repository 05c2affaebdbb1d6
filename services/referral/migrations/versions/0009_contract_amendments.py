"""purchased-service contracts: amendments (effective-dated revisions) and cancellations

Frozen DDL (issue 18 part 4, R-CHA-3): every change of a contract's budget, target volumes or end of period
is a new revision with its effective date, reason, author and the old and new values, never an overwrite of
the contract as signed; an early termination (cancellation) with its effective date and reason, at most one
per contract.

Revision ID: referral_amend
Revises: referral_retention
"""

import sqlalchemy as sa
from alembic import context, op
from sqlalchemy.dialects import postgresql

revision = "referral_amend"
down_revision = "referral_retention"
branch_labels = None
depends_on = None


def _schema() -> str:
    return str(context.config.attributes.get("schema", "referral"))


def upgrade() -> None:
    schema = _schema()
    op.create_table(
        "contract_amendments",
        sa.Column("id", sa.UUID(as_uuid=False), nullable=False),
        sa.Column("contract_id", sa.UUID(as_uuid=False), nullable=False),
        sa.Column("revision", sa.Integer(), nullable=False),
        sa.Column("effective_on", sa.Date(), nullable=False),
        sa.Column("budget", sa.Numeric(precision=14, scale=2), nullable=False),
        sa.Column("ends_on", sa.Date(), nullable=False),
        sa.Column("targets", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.Column("changes", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.Column("reason", sa.String(length=500), nullable=False),
        sa.Column("amended_by", sa.String(length=100), nullable=False),
        sa.Column("amended_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_contract_amendments")),
        sa.UniqueConstraint(
            "contract_id", "revision", name=op.f("uq_contract_amendments_contract_id_revision")
        ),
        schema=schema,
    )
    op.create_table(
        "contract_cancellations",
        sa.Column("contract_id", sa.UUID(as_uuid=False), nullable=False),
        sa.Column("effective_on", sa.Date(), nullable=False),
        sa.Column("reason", sa.String(length=500), nullable=False),
        sa.Column("cancelled_by", sa.String(length=100), nullable=False),
        sa.Column("cancelled_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("contract_id", name=op.f("pk_contract_cancellations")),
        schema=schema,
    )


def downgrade() -> None:
    schema = _schema()
    op.drop_table("contract_cancellations", schema=schema)
    op.drop_table("contract_amendments", schema=schema)
