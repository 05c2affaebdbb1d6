"""help at the scene (R-FLOW-2 with R-OVS-2): the case id reserved for a lead's application, and what
approval granted at the scene and whether its paperwork fell overdue, shown on the lead

Revision ID: intake_scenehelp
Revises: intake_retention
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "intake_scenehelp"
down_revision = "intake_retention"
branch_labels = None
depends_on = None

SCHEMA = "intake"


def upgrade() -> None:
    op.add_column("leads", sa.Column("case_id", postgresql.UUID(as_uuid=False), nullable=True), schema=SCHEMA)
    op.add_column(
        "leads",
        sa.Column("scene_help_grant_id", postgresql.UUID(as_uuid=False), nullable=True),
        schema=SCHEMA,
    )
    op.add_column(
        "leads",
        sa.Column("scene_help_amount", sa.Numeric(precision=14, scale=2), nullable=True),
        schema=SCHEMA,
    )
    op.add_column(
        "leads", sa.Column("scene_help_granted_at", sa.DateTime(timezone=True), nullable=True), schema=SCHEMA
    )
    op.add_column("leads", sa.Column("paperwork_deadline", sa.Date(), nullable=True), schema=SCHEMA)
    op.add_column(
        "leads", sa.Column("paperwork_overdue_at", sa.DateTime(timezone=True), nullable=True), schema=SCHEMA
    )
    op.create_unique_constraint(op.f("uq_leads_case_id"), "leads", ["case_id"], schema=SCHEMA)


def downgrade() -> None:
    op.drop_constraint(op.f("uq_leads_case_id"), "leads", schema=SCHEMA)
    for column in (
        "paperwork_overdue_at",
        "paperwork_deadline",
        "scene_help_granted_at",
        "scene_help_amount",
        "scene_help_grant_id",
        "case_id",
    ):
        op.drop_column("leads", column, schema=SCHEMA)
