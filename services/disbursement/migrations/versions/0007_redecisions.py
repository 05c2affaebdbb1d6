"""redecisions: re-examinations (复核) that changed the amount, and the instruction paying the difference
(R-REX-3)

Revision ID: disbursement_reexam
Revises: disbursement_reserve
"""

import sqlalchemy as sa
from alembic import op

revision = "disbursement_reexam"
down_revision = "disbursement_reserve"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "redecisions",
        sa.Column("reexamination_id", sa.UUID(as_uuid=False), nullable=False),
        sa.Column("case_id", sa.UUID(as_uuid=False), nullable=False),
        sa.Column("seq", sa.Integer(), nullable=False),
        sa.Column("form", sa.String(length=20), nullable=False),
        sa.Column("amount_before", sa.Numeric(precision=14, scale=2), nullable=False),
        sa.Column("amount_after", sa.Numeric(precision=14, scale=2), nullable=False),
        sa.Column("difference", sa.Numeric(precision=14, scale=2), nullable=False),
        sa.Column("not_recovered", sa.Numeric(precision=14, scale=2), nullable=False),
        sa.Column("decided_by", sa.String(length=100), nullable=False),
        sa.Column("decided_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("instruction_id", sa.UUID(as_uuid=False), nullable=True),
        sa.Column("recorded_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.PrimaryKeyConstraint("reexamination_id", name=op.f("pk_redecisions")),
        schema="disbursement",
    )
    op.create_index(
        op.f("ix_redecisions_case_id"), "redecisions", ["case_id"], unique=False, schema="disbursement"
    )


def downgrade() -> None:
    op.drop_table("redecisions", schema="disbursement")
