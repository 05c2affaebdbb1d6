"""home-visit (入户调查) reports, signed by two distinct officers (R-ARC-1)

Revision ID: intake_visit
Revises: intake_leads
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects.postgresql import JSONB, UUID

revision = "intake_visit"
down_revision = "intake_leads"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "home_visits",
        sa.Column("id", UUID(as_uuid=False), nullable=False),
        sa.Column("application_id", UUID(as_uuid=False), nullable=False),
        sa.Column("visited_on", sa.Date(), nullable=False),
        sa.Column("first_visitor", sa.String(length=100), nullable=False),
        sa.Column("second_visitor", sa.String(length=100), nullable=False),
        sa.Column("report", sa.Text(), nullable=False),
        sa.Column("photo_document_ids", JSONB(), nullable=False),
        sa.Column("status", sa.String(length=32), nullable=False),
        sa.Column("recorded_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.Column("confirmed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("document_id", UUID(as_uuid=False), nullable=True),
        sa.ForeignKeyConstraint(
            ["application_id"],
            ["intake.applications.id"],
            name=op.f("fk_home_visits_application_id_applications"),
        ),
        sa.ForeignKeyConstraint(
            ["document_id"], ["intake.documents.id"], name=op.f("fk_home_visits_document_id_documents")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_home_visits")),
        schema="intake",
    )
    op.create_index("ix_home_visits_application", "home_visits", ["application_id"], schema="intake")


def downgrade() -> None:
    op.drop_index("ix_home_visits_application", table_name="home_visits", schema="intake")
    op.drop_table("home_visits", schema="intake")
