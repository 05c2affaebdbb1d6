"""Retention (R-RET-1, R-RET-2): county retention periods per data class, the purge job's dry runs and the
record of which case's class was purged.

Revision ID: assessment_retention
Revises: assessment_verify
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "assessment_retention"
down_revision = "assessment_verify"
branch_labels = None
depends_on = None

SCHEMA = "assessment"


def upgrade() -> None:
    op.create_table(
        "retention_policies",
        sa.Column("version", sa.String(length=60), nullable=False),
        sa.Column("county_code", sa.String(length=6), nullable=False),
        sa.Column("effective_from", sa.Date(), nullable=False),
        sa.Column("years", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.Column("set_by", sa.String(length=100), nullable=False),
        sa.Column("reason", sa.Text(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.PrimaryKeyConstraint("version", name=op.f("pk_retention_policies")),
        schema=SCHEMA,
    )
    op.create_index(
        "ix_retention_policies_county",
        "retention_policies",
        ["county_code", "effective_from"],
        unique=False,
        schema=SCHEMA,
    )
    op.create_table(
        "retention_runs",
        sa.Column("id", sa.UUID(as_uuid=False), nullable=False),
        sa.Column("county_code", sa.String(length=6), nullable=False),
        sa.Column("as_of", sa.Date(), nullable=False),
        sa.Column("periods", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.Column("plan", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.Column("counts", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("planned_by", sa.String(length=100), nullable=False),
        sa.Column("planned_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("applied_by", sa.String(length=100), nullable=True),
        sa.Column("applied_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("applied", postgresql.JSONB(astext_type=sa.Text()), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_retention_runs")),
        schema=SCHEMA,
    )
    op.create_index(
        "ix_retention_runs_county",
        "retention_runs",
        ["county_code", "planned_at"],
        unique=False,
        schema=SCHEMA,
    )
    op.create_table(
        "retention_purges",
        sa.Column("case_id", sa.UUID(as_uuid=False), nullable=False),
        sa.Column("data_class", sa.String(length=40), nullable=False),
        sa.Column("run_id", sa.UUID(as_uuid=False), nullable=False),
        sa.Column("purged_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("case_id", "data_class", name=op.f("pk_retention_purges")),
        schema=SCHEMA,
    )


def downgrade() -> None:
    op.drop_table("retention_purges", schema=SCHEMA)
    op.drop_index("ix_retention_runs_county", table_name="retention_runs", schema=SCHEMA)
    op.drop_table("retention_runs", schema=SCHEMA)
    op.drop_index("ix_retention_policies_county", table_name="retention_policies", schema=SCHEMA)
    op.drop_table("retention_policies", schema=SCHEMA)
