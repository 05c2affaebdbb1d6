"""a lead intake closed without an application (LeadClosed): no help at the scene on it from then on

Revision ID: approval_lead_closed
Revises: approval_scenehelp
"""

import sqlalchemy as sa
from alembic import op

revision = "approval_lead_closed"
down_revision = "approval_scenehelp"
branch_labels = None
depends_on = None

SCHEMA = "approval"


def upgrade() -> None:
    op.add_column("leads", sa.Column("closed_at", sa.DateTime(timezone=True), nullable=True), schema=SCHEMA)


def downgrade() -> None:
    op.drop_column("leads", "closed_at", schema=SCHEMA)
