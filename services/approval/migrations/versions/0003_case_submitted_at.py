"""cases.submitted_at: when intake received the application, for time to decision (R-OVS-2)

Revision ID: 0003
Revises: 0002
"""

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column(
        "cases", sa.Column("submitted_at", sa.DateTime(timezone=True), nullable=True), schema="approval"
    )


def downgrade() -> None:
    op.drop_column("cases", "submitted_at", schema="approval")
