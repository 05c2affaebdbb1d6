"""leads: proactive discovery (主动发现, R-OVS-2), each a visit task with a response-time target

Revision ID: intake_leads
Revises: 0005
"""

import sqlalchemy as sa
from alembic import op

revision = "intake_leads"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "leads",
        sa.Column("id", sa.UUID(as_uuid=False), nullable=False),
        sa.Column("source", sa.String(length=32), nullable=False),
        sa.Column("reported_by", sa.String(length=100), nullable=False),
        sa.Column("source_ref", sa.String(length=100)),
        sa.Column("county_code", sa.String(length=6), nullable=False),
        sa.Column("township_code", sa.String(length=9), nullable=False),
        sa.Column("urgency", sa.String(length=16), nullable=False),
        sa.Column("category", sa.String(length=32)),
        sa.Column("subtype", sa.String(length=32)),
        sa.Column("personal", sa.Text(), nullable=False),
        sa.Column("person_bidx", sa.String(length=64)),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("target_version", sa.String(length=60), nullable=False),
        sa.Column("response_hours", sa.Integer(), nullable=False),
        sa.Column("received_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("due_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("assigned_to", sa.String(length=100)),
        sa.Column("assigned_at", sa.DateTime(timezone=True)),
        sa.Column("first_contact_at", sa.DateTime(timezone=True)),
        sa.Column("contacted_by", sa.String(length=100)),
        sa.Column("contact_note", sa.Text()),
        sa.Column("closed_at", sa.DateTime(timezone=True)),
        sa.Column("closed_by", sa.String(length=100)),
        sa.Column("close_reason", sa.Text()),
        sa.Column("application_id", sa.UUID(as_uuid=False)),
        sa.Column("converted_at", sa.DateTime(timezone=True)),
        sa.Column("overdue_notified_at", sa.DateTime(timezone=True)),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.ForeignKeyConstraint(
            ["application_id"], ["intake.applications.id"], name=op.f("fk_leads_application_id_applications")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_leads")),
        sa.UniqueConstraint("reported_by", "source_ref", name=op.f("uq_leads_reported_by_source_ref")),
        schema="intake",
    )
    op.create_index(
        "ix_leads_township_received", "leads", ["township_code", "received_at", "id"], schema="intake"
    )
    op.create_index(
        "ix_leads_county_received", "leads", ["county_code", "received_at", "id"], schema="intake"
    )
    op.create_index("ix_leads_status_due", "leads", ["status", "due_at"], schema="intake")
    op.create_index("ix_leads_application", "leads", ["application_id"], schema="intake")


def downgrade() -> None:
    for name in ("ix_leads_application", "ix_leads_status_due", "ix_leads_county_received"):
        op.drop_index(name, table_name="leads", schema="intake")
    op.drop_index("ix_leads_township_received", table_name="leads", schema="intake")
    op.drop_table("leads", schema="intake")
