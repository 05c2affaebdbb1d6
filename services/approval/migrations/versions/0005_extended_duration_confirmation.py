"""R-AMT-2: a decision records the county rule it confirmed for more than the normal months

Revision ID: 0005
Revises: 0004
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects.postgresql import JSONB

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("decisions", sa.Column("extended_duration", JSONB()), schema="approval")


def downgrade() -> None:
    op.drop_column("decisions", "extended_duration", schema="approval")
