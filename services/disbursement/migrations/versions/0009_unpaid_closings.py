"""Retention (R-RET-1, R-RET-2): the cases closed without a payment (refused, or approved as referral
services only), so that their payee is purged after its period like a paid case's.

Revision ID: disbursement_purge
Revises: disbursement_retention
"""

import sqlalchemy as sa
from alembic import op

revision = "disbursement_purge"
down_revision = "disbursement_retention"
branch_labels = None
depends_on = None

SCHEMA = "disbursement"


def upgrade() -> None:
    op.create_table(
        "unpaid_closings",
        sa.Column("case_id", sa.UUID(as_uuid=False), nullable=False),
        sa.Column("decision", sa.String(length=20), nullable=False),
        sa.Column("form", sa.String(length=20), nullable=False),
        sa.Column("closed_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("recorded_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.PrimaryKeyConstraint("case_id", name=op.f("pk_unpaid_closings")),
        schema=SCHEMA,
    )


def downgrade() -> None:
    op.drop_table("unpaid_closings", schema=SCHEMA)
