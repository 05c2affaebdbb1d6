"""a closed lead reopened because help at the scene had been granted before approval learned of the closing

Revision ID: intake_lead_reopened
Revises: intake_scenehelp
"""

import sqlalchemy as sa
from alembic import op

revision = "intake_lead_reopened"
down_revision = "intake_scenehelp"
branch_labels = None
depends_on = None

SCHEMA = "intake"


def upgrade() -> None:
    op.add_column("leads", sa.Column("reopened_at", sa.DateTime(timezone=True), nullable=True), schema=SCHEMA)


def downgrade() -> None:
    op.drop_column("leads", "reopened_at", schema=SCHEMA)
