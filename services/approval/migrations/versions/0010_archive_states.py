"""the case archive's completeness as intake reports it, and county approvers' overrides (R-ARC-1)

Revision ID: approval_visit
Revises: approval_budget_scorecards
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects.postgresql import JSONB, UUID

revision = "approval_visit"
down_revision = "approval_budget_scorecards"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "archive_states",
        sa.Column("case_id", UUID(as_uuid=False), nullable=False),
        sa.Column("county_code", sa.String(length=6), nullable=False),
        sa.Column("township_code", sa.String(length=9), nullable=False),
        sa.Column("policy_version", sa.String(length=60), nullable=False),
        sa.Column("required", JSONB(), nullable=False),
        sa.Column("missing", JSONB(), nullable=False),
        sa.Column("blocking", JSONB(), nullable=False),
        sa.Column("as_of", sa.DateTime(timezone=True), nullable=False),
        sa.Column("override_items", JSONB(), nullable=True),
        sa.Column("override_by", sa.String(length=100), nullable=True),
        sa.Column("override_reason", sa.Text(), nullable=True),
        sa.Column("override_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("case_id", name=op.f("pk_archive_states")),
        schema="approval",
    )


def downgrade() -> None:
    op.drop_table("archive_states", schema="approval")
