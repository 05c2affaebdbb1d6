"""a person's correction requests, applied as amendments after a second officer's review (PIPL art. 46)

Revision ID: intake_pipl
Revises: intake_visit_steps
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects.postgresql import UUID

revision = "intake_pipl"
down_revision = "intake_visit_steps"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "corrections",
        sa.Column("id", UUID(as_uuid=False), nullable=False),
        sa.Column("application_id", UUID(as_uuid=False), nullable=False),
        sa.Column("county_code", sa.String(length=6), nullable=False),
        sa.Column("township_code", sa.String(length=9), nullable=False),
        sa.Column("field", sa.String(length=30), nullable=False),
        sa.Column("member_seq", sa.Integer(), nullable=True),
        sa.Column("value_sealed", sa.Text(), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("requested_by", sa.String(length=100), nullable=False),
        sa.Column("requested_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("reviewed_by", sa.String(length=100), nullable=True),
        sa.Column("reviewed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("review_reason", sa.Text(), nullable=True),
        sa.Column("applied_revision", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["application_id"],
            ["intake.applications.id"],
            name=op.f("fk_corrections_application_id_applications"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_corrections")),
        schema="intake",
    )
    op.create_index("ix_corrections_application", "corrections", ["application_id"], schema="intake")


def downgrade() -> None:
    op.drop_index("ix_corrections_application", table_name="corrections", schema="intake")
    op.drop_table("corrections", schema="intake")
