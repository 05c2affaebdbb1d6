"""review and approval steps, help-first grants, working-day calendars

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
    op.add_column("decisions", sa.Column("role", sa.String(length=20), nullable=True), schema="approval")
    op.add_column(
        "township_limits", sa.Column("actor", sa.String(length=100), nullable=True), schema="approval"
    )
    op.create_table(
        "help_first_grants",
        sa.Column("case_id", sa.UUID(as_uuid=False), nullable=False),
        sa.Column("grant_id", sa.UUID(as_uuid=False), nullable=False),
        sa.Column("county_code", sa.String(length=6), nullable=False),
        sa.Column("township_code", sa.String(length=9), nullable=False),
        sa.Column("level", sa.String(length=20), nullable=False),
        sa.Column("actor", sa.String(length=100), nullable=False),
        sa.Column("reasons", sa.Text(), nullable=False),
        sa.Column("amount", sa.Numeric(precision=14, scale=2), nullable=False),
        sa.Column("form", sa.String(length=20), nullable=False),
        sa.Column("channel", sa.String(length=20), nullable=False),
        sa.Column("granted_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("emergency_over_on", sa.Date(), nullable=True),
        sa.Column("declared_over_by", sa.String(length=100), nullable=True),
        sa.Column("deadline", sa.Date(), nullable=True),
        sa.Column("calendar", sa.Text(), nullable=True),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("overdue_notified_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("completed_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("case_id", name=op.f("pk_help_first_grants")),
        sa.UniqueConstraint("grant_id", name=op.f("uq_help_first_grants_grant_id")),
        schema="approval",
    )
    op.create_index(
        "ix_help_first_grants_open_deadline",
        "help_first_grants",
        ["status", "deadline"],
        unique=False,
        schema="approval",
    )
    op.create_table(
        "calendars",
        sa.Column("scope", sa.String(length=10), nullable=False),
        sa.Column("year", sa.Integer(), nullable=False),
        sa.Column("holidays", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.Column("workdays", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.Column("source", sa.Text(), nullable=False),
        sa.Column("actor", sa.String(length=100), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.PrimaryKeyConstraint("scope", "year", name=op.f("pk_calendars")),
        schema="approval",
    )


def downgrade() -> None:
    op.drop_table("calendars", schema="approval")
    op.drop_index("ix_help_first_grants_open_deadline", table_name="help_first_grants", schema="approval")
    op.drop_table("help_first_grants", schema="approval")
    op.drop_column("township_limits", "actor", schema="approval")
    op.drop_column("decisions", "role", schema="approval")
