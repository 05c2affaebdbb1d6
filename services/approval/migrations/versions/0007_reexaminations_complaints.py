"""re-examination (复核) policies, re-examinations and complaints (R-REX-1..4)

Revision ID: approval_reexam
Revises: 0006
"""

import sqlalchemy as sa
from alembic import op

revision = "approval_reexam"
down_revision = "0006"
branch_labels = None
depends_on = None

S = "approval"


def upgrade() -> None:
    op.create_table(
        "reexamination_policies",
        sa.Column("id", sa.BigInteger(), sa.Identity(always=False), nullable=False),
        sa.Column("county_code", sa.String(length=6), nullable=False),
        sa.Column("effective_from", sa.Date(), nullable=False),
        sa.Column("request_window_days", sa.Integer(), nullable=False),
        sa.Column("decision_days", sa.Integer(), nullable=False),
        sa.Column("complaint_days", sa.Integer(), nullable=False),
        sa.Column("actor", sa.String(length=100), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_reexamination_policies")),
        schema=S,
    )
    op.create_index(
        "ix_reexamination_policies_lookup",
        "reexamination_policies",
        ["county_code", "effective_from"],
        unique=False,
        schema=S,
    )
    op.create_table(
        "reexaminations",
        sa.Column("id", sa.UUID(as_uuid=False), nullable=False),
        sa.Column("case_id", sa.UUID(as_uuid=False), nullable=False),
        sa.Column("seq", sa.Integer(), nullable=False),
        sa.Column("county_code", sa.String(length=6), nullable=False),
        sa.Column("township_code", sa.String(length=9), nullable=False),
        sa.Column("ground", sa.String(length=20), nullable=False),
        sa.Column("grounds_text", sa.Text(), nullable=False),
        sa.Column("channel", sa.String(length=20), nullable=False),
        sa.Column("requested_by", sa.String(length=100), nullable=False),
        sa.Column("requested_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("notice_on", sa.Date(), nullable=False),
        sa.Column("window_closes_on", sa.Date(), nullable=False),
        sa.Column("deadline", sa.Date(), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("decision_before", sa.String(length=20), nullable=False),
        sa.Column("amount_before", sa.Numeric(precision=14, scale=2), nullable=False),
        sa.Column("level_before", sa.String(length=20), nullable=False),
        sa.Column("decision_after", sa.String(length=20), nullable=True),
        sa.Column("amount_after", sa.Numeric(precision=14, scale=2), nullable=True),
        sa.Column("difference", sa.Numeric(precision=14, scale=2), nullable=True),
        sa.Column("not_recovered", sa.Numeric(precision=14, scale=2), nullable=True),
        sa.Column("level", sa.String(length=20), nullable=True),
        sa.Column("decided_by", sa.String(length=100), nullable=True),
        sa.Column("reasons", sa.Text(), nullable=True),
        sa.Column("decided_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_reexaminations")),
        schema=S,
    )
    op.create_index("uq_reexaminations_case_seq", "reexaminations", ["case_id", "seq"], unique=True, schema=S)
    op.create_index(
        "uq_reexaminations_one_open",
        "reexaminations",
        ["case_id"],
        unique=True,
        schema=S,
        postgresql_where=sa.text("status = 'open'"),
    )
    op.create_index(
        "ix_reexaminations_status_deadline", "reexaminations", ["status", "deadline"], unique=False, schema=S
    )
    op.create_table(
        "complaints",
        sa.Column("id", sa.UUID(as_uuid=False), nullable=False),
        sa.Column("case_id", sa.UUID(as_uuid=False), nullable=False),
        sa.Column("county_code", sa.String(length=6), nullable=False),
        sa.Column("township_code", sa.String(length=9), nullable=False),
        sa.Column("topic", sa.String(length=20), nullable=False),
        sa.Column("summary", sa.Text(), nullable=False),
        sa.Column("channel", sa.String(length=20), nullable=False),
        sa.Column("filed_by", sa.String(length=100), nullable=False),
        sa.Column("filed_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("deadline", sa.Date(), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("assigned_to", sa.String(length=100), nullable=True),
        sa.Column("assigned_by", sa.String(length=100), nullable=True),
        sa.Column("assigned_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("answer", sa.Text(), nullable=True),
        sa.Column("answered_by", sa.String(length=100), nullable=True),
        sa.Column("answered_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("closed_by", sa.String(length=100), nullable=True),
        sa.Column("closed_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_complaints")),
        schema=S,
    )
    op.create_index(op.f("ix_complaints_case_id"), "complaints", ["case_id"], unique=False, schema=S)
    op.create_index(
        "ix_complaints_status_deadline", "complaints", ["status", "deadline"], unique=False, schema=S
    )


def downgrade() -> None:
    op.drop_table("complaints", schema=S)
    op.drop_table("reexaminations", schema=S)
    op.drop_table("reexamination_policies", schema=S)
