"""decided cases (from approval's events): a raise on an approved case is refused

Revision ID: 0004
Revises: 0003
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects.postgresql import UUID

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "decided_cases",
        sa.Column("case_id", UUID(as_uuid=False), nullable=False),
        sa.Column("decision", sa.String(20), nullable=False),
        sa.Column("decided_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("case_id", name=op.f("pk_decided_cases")),
        schema="assessment",
    )


def downgrade() -> None:
    op.drop_table("decided_cases", schema="assessment")
