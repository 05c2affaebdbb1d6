"""help at the scene (R-FLOW-2 with R-OVS-2): the leads intake announces (codes only, with the case id
reserved for each lead's application) and the lead a help-first grant was given on before the application

Revision ID: approval_scenehelp
Revises: approval_retention
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "approval_scenehelp"
down_revision = "approval_retention"
branch_labels = None
depends_on = None

SCHEMA = "approval"


def upgrade() -> None:
    op.create_table(
        "leads",
        sa.Column("lead_id", postgresql.UUID(as_uuid=False), nullable=False),
        sa.Column("case_id", postgresql.UUID(as_uuid=False), nullable=False),
        sa.Column("county_code", sa.String(length=6), nullable=False),
        sa.Column("township_code", sa.String(length=9), nullable=False),
        sa.Column("source", sa.String(length=32), nullable=False),
        sa.Column("urgency", sa.String(length=16), nullable=False),
        sa.Column("category", sa.String(length=32), nullable=True),
        sa.Column("subtype", sa.String(length=32), nullable=True),
        sa.Column("received_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.PrimaryKeyConstraint("lead_id", name=op.f("pk_leads")),
        sa.UniqueConstraint("case_id", name=op.f("uq_leads_case_id")),
        schema=SCHEMA,
    )
    op.add_column(
        "help_first_grants",
        sa.Column("lead_id", postgresql.UUID(as_uuid=False), nullable=True),
        schema=SCHEMA,
    )
    op.create_unique_constraint(
        op.f("uq_help_first_grants_lead_id"), "help_first_grants", ["lead_id"], schema=SCHEMA
    )


def downgrade() -> None:
    op.drop_constraint(op.f("uq_help_first_grants_lead_id"), "help_first_grants", schema=SCHEMA)
    op.drop_column("help_first_grants", "lead_id", schema=SCHEMA)
    op.drop_table("leads", schema=SCHEMA)
