"""assessment revisions apart from application revisions; county-government raises (R-AMT-4)

Revision ID: 0002
Revises: 0001
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column(
        "assessments", sa.Column("application_revision", sa.Integer(), nullable=True), schema="assessment"
    )
    op.execute("UPDATE assessment.assessments SET application_revision = revision")
    op.alter_column("assessments", "application_revision", nullable=False, schema="assessment")
    op.add_column(
        "assessments",
        sa.Column("raise_decision", postgresql.JSONB(astext_type=sa.Text()), nullable=True),
        schema="assessment",
    )
    op.add_column(
        "assessments", sa.Column("recorded_by", sa.String(length=100), nullable=True), schema="assessment"
    )
    op.create_index(
        "uq_assessments_application_revision",
        "assessments",
        ["case_id", "application_revision"],
        unique=True,
        schema="assessment",
        postgresql_where=sa.text("raise_decision IS NULL"),
    )


def downgrade() -> None:
    op.drop_index("uq_assessments_application_revision", table_name="assessments", schema="assessment")
    op.drop_column("assessments", "recorded_by", schema="assessment")
    op.drop_column("assessments", "raise_decision", schema="assessment")
    op.drop_column("assessments", "application_revision", schema="assessment")
