"""review and approval opinions kept for the case's forms (审批表, R-ARC-1)

Revision ID: intake_visit_steps
Revises: intake_visit
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects.postgresql import UUID

revision = "intake_visit_steps"
down_revision = "intake_visit"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "case_steps",
        sa.Column("id", sa.BigInteger(), sa.Identity(always=False), nullable=False),
        sa.Column("application_id", UUID(as_uuid=False), nullable=False),
        sa.Column("step", sa.String(length=20), nullable=False),
        sa.Column("opinion", sa.String(length=20), nullable=False),
        sa.Column("level", sa.String(length=20), nullable=False),
        sa.Column("actor", sa.String(length=100), nullable=True),
        sa.Column("reasons", sa.Text(), nullable=True),
        sa.Column("amount", sa.Numeric(precision=12, scale=2), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["application_id"],
            ["intake.applications.id"],
            name=op.f("fk_case_steps_application_id_applications"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_case_steps")),
        schema="intake",
    )
    op.create_index("ix_case_steps_application", "case_steps", ["application_id"], schema="intake")


def downgrade() -> None:
    op.drop_index("ix_case_steps_application", table_name="case_steps", schema="intake")
    op.drop_table("case_steps", schema="intake")
