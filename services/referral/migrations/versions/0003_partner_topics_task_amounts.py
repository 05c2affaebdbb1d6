"""per-partner Kafka topic choice, the amount each task asks for (part-fulfilment)

Revision ID: 0003
Revises: 0002
"""

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None

S = "referral"


def upgrade() -> None:
    op.add_column(
        "partners",
        sa.Column("kafka_topic", sa.String(length=10), nullable=False, server_default="shared"),
        schema=S,
    )
    op.add_column(
        "tasks", sa.Column("requested_amount", sa.Numeric(precision=14, scale=2), nullable=True), schema=S
    )
    op.create_index(
        "ix_tasks_open_by_partner",
        "tasks",
        ["partner_id"],
        unique=False,
        schema=S,
        postgresql_where=sa.text("status IN ('requested', 'accepted', 'in-progress')"),
    )


def downgrade() -> None:
    op.drop_index("ix_tasks_open_by_partner", table_name="tasks", schema=S)
    op.drop_column("tasks", "requested_amount", schema=S)
    op.drop_column("partners", "kafka_topic", schema=S)
