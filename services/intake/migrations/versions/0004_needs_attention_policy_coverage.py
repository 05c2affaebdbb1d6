"""needs_attention (a downstream service could not process the case) and assessment's policy coverage

Revision ID: 0004
Revises: 0003
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects.postgresql import JSONB

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("applications", sa.Column("attention", JSONB()), schema="intake")
    op.create_table(
        "policy_coverage",
        sa.Column("version", sa.String(60), nullable=False),
        sa.Column("county_code", sa.String(6), nullable=False),
        sa.Column("effective_from", sa.Date(), nullable=False),
        sa.Column("effective_to", sa.Date()),
        sa.Column("updated_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.PrimaryKeyConstraint("version", name=op.f("pk_policy_coverage")),
        schema="intake",
    )
    op.create_index(
        "ix_policy_coverage_county", "policy_coverage", ["county_code", "effective_from"], schema="intake"
    )


def downgrade() -> None:
    op.drop_index("ix_policy_coverage_county", table_name="policy_coverage", schema="intake")
    op.drop_table("policy_coverage", schema="intake")
    op.drop_column("applications", "attention", schema="intake")
